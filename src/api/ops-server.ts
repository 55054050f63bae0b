import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ApiServices } from './services.js';
import { registerErrorHandling } from './error-handler.js';
import { healthRoutes } from './routes/health.js';

/**
 * The HTTP server of a process without the API (`distill worker`): `/healthz`, `/readyz` and
 * `/metrics` only, so that an orchestrator can probe a worker and Prometheus can scrape what only
 * workers measure (item outcomes, fetch and extraction times, host-limiter waits). It does not
 * listen; the caller does.
 */
export function buildOpsServer(
  deps: Pick<ApiServices, 'readiness' | 'metrics'> & { logger?: FastifyBaseLogger },
): FastifyInstance {
  const app = deps.logger
    ? Fastify({ loggerInstance: deps.logger, disableRequestLogging: true })
    : Fastify({ logger: false });
  registerErrorHandling(app);
  void app.register(healthRoutes({ services: deps }));
  return app;
}
