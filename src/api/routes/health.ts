import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ReadinessView } from '../../client/types.js';
import type { ApiServices } from '../services.js';
import { readinessSchema } from '../schemas.js';

/** Registers `/healthz` (process up), `/readyz` (dependencies usable, see `createReadiness`) and `/metrics`. */
export function healthRoutes(context: { services: Pick<ApiServices, 'readiness' | 'metrics'> }) {
  const { services } = context;

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/healthz',
      {
        schema: {
          summary: 'Liveness: the process answers',
          tags: ['operations'],
          response: {
            200: {
              type: 'object',
              required: ['status'],
              properties: { status: { type: 'string', enum: ['ok'] } },
            },
          },
        },
      },
      () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        schema: {
          summary: 'Readiness: every dependency this process needs is usable (503 when not)',
          description:
            'One check per dependency of the process: `database` (reachable and writable: a read-only or full database fails it), ' +
            '`queue` (the embedded queue table, or Redis for BullMQ), `hostLimiter` (Redis, distributed mode); and, reported ' +
            'but never making the process unready because their outage loses no work, `rabbitmq` (events wait in the outbox) ' +
            'and `webhooks` (failed deliveries are retried).',
          tags: ['operations'],
          response: { 200: readinessSchema, 503: readinessSchema },
        },
      },
      async (request, reply: FastifyReply) => {
        let report: ReadinessView;
        try {
          const { isReady, checks } = await services.readiness();
          report = { status: isReady ? 'ready' : 'not_ready', checks };
        } catch (error) {
          request.log.error({ err: error }, 'Readiness check failed');
          report = {
            status: 'not_ready',
            checks: {
              readiness: { ok: false, message: 'The readiness check failed; the server log has the cause' },
            },
          };
        }
        return reply.code(report.status === 'ready' ? 200 : 503).send(report);
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          summary: 'Prometheus metrics (text exposition format)',
          tags: ['operations'],
          response: { 200: { content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      async (_request, reply: FastifyReply) => {
        const { contentType, body } = await services.metrics.render();
        return reply.type(contentType).send(body);
      },
    );
    done();
  };
}
