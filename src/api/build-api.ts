import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { resolveApiOptions, type ApiOptions } from './options.js';
import { registerAuth, registerRateLimit } from './auth.js';
import { canonicalRequestTarget } from './canonical-target.js';
import { limitConnectionsPerAddress, serverTimeoutOptions } from './connection-limits.js';
import { registerErrorHandling, sendProblem } from './error-handler.js';
import { requestChildLogger } from './request-log.js';
import { hasServices, type RouteContext } from './route-context.js';
import type { ApiServices } from './services.js';
import { chunkRoutes } from './routes/chunks.js';
import { documentRoutes } from './routes/documents.js';
import { eventRoutes } from './routes/events.js';
import { eventLogRoutes } from './routes/events-log.js';
import { extractRoutes } from './routes/extract.js';
import { fileRoutes } from './routes/files.js';
import { healthRoutes } from './routes/health.js';
import { jobRoutes } from './routes/jobs.js';
import { screenshotRoutes } from './routes/screenshots.js';
import { checkSubmittedWebhook, webhookRoutes } from './routes/webhooks.js';
import { crawlRoutes } from './routes/crawls.js';
import { documentVersionRoutes } from './routes/document-versions.js';
import { domainRoutes } from './routes/domains.js';
import { scheduleRoutes } from './routes/schedules.js';
import { mapRoutes } from './routes/map.js';
import { FIRECRAWL_PREFIX, firecrawlRoutes } from './compat/firecrawl/firecrawl-routes.js';
import { searchRoutes } from './routes/search.js';
import { webPagePlugin } from './static.js';
import { mcpHttpRoutes } from './mcp/index.js';

/** A client's `X-Request-Id` is kept when it looks like an id; anything else gets a fresh UUID. */
const REQUEST_ID_PATTERN = /^[\w.:-]{1,128}$/;
/** Longest path parameter the router takes, in characters as sent (percent-escapes included). */
const MAX_PATH_PARAM_CHARS = 1024;

interface QuerySchema {
  properties?: Record<string, { type?: unknown }>;
}

/**
 * Builds the HTTP API on `deps` (see `ApiServices`: a route group whose optional service is not
 * given is not registered); it does not listen (the caller calls `listen`, or `inject` in tests)
 * and it closes nothing of `deps` (they are borrowed). Every route has a JSON schema, the
 * OpenAPI 3.1 document is at `/openapi.json`, Swagger UI (served from the package, no CDN) at
 * `/docs`, and every error is an `application/problem+json` from `error-handler.ts`.
 */
export function buildApi(deps: ApiServices, options: ApiOptions = {}): FastifyInstance {
  const resolved = resolveApiOptions(options);
  const context: RouteContext = { services: deps, options: resolved };
  const serverOptions: FastifyServerOptions = {
    bodyLimit: resolved.maxRequestBytes,
    // Slow clients are cut off: headers, whole request, idle keep-alive and idle socket all have a
    // limit. The idle limit never undercuts `POST /v1/extract`, which writes nothing while it waits.
    ...serverTimeoutOptions({
      ...resolved,
      idleTimeoutMs:
        resolved.idleTimeoutMs === 0 ? 0 : Math.max(resolved.idleTimeoutMs, resolved.extractTimeoutMs + 5000),
    }),
    requestIdHeader: false,
    // Every spelling of a path (absolute form, `%76` for `v`, `//`, `/../`) is routed as its one
    // canonical form, so that auth and rate limits, which decide from the route, see every request.
    rewriteUrl: (request) => canonicalRequestTarget(request.url ?? '/'),
    // Lines of a request about a job carry its `jobId` beside `reqId` (routes that create one bind it).
    childLoggerFactory: requestChildLogger,
    genReqId: (request) => {
      const header = request.headers['x-request-id'];
      return typeof header === 'string' && REQUEST_ID_PATTERN.test(header) ? header : randomUUID();
    },
    // Bodies are never coerced (`"urls": "x"` is a 400, not a one-URL list) and unknown members are
    // refused, not dropped. Query strings are coerced by the hook below, from the route's schema.
    ajv: {
      customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: true },
    },
    // Above every id's schema `maxLength` (128), so that a long id is a `validation_failed` naming
    // it; the router itself refuses longer ones, through `frameworkErrors`.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_CHARS },
    // The router answers a bad path escape (`/v1/jobs/%`) and an over-long parameter before any
    // hook or handler runs, by default in its own JSON: make those problems like every other error.
    frameworkErrors: (error, request, reply) => {
      void sendProblem(error, request, reply.header('x-request-id', request.id));
    },
  };
  const app = deps.logger
    ? Fastify({ ...serverOptions, loggerInstance: deps.logger })
    : Fastify({ ...serverOptions, logger: false });

  registerErrorHandling(app);
  limitConnectionsPerAddress(app.server, resolved.maxConnectionsPerIp, (address, open) =>
    app.log.debug({ address, open }, 'Connection refused: the address holds its limit of open connections'),
  );
  // text/plain is taken, streamed, only by the routes that read URLs (routes/jobs.ts).
  app.removeContentTypeParser('text/plain');

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  // Before any route: the rate limiter attaches itself to the routes registered after it.
  const { repository } = deps;
  registerAuth(app, deps.keys, {
    getJob: (id) => repository.getJob(id),
    isDocumentVisible:
      resolved.tenantIsolation && repository.isDocumentVisible
        ? (id, tenant) => repository.isDocumentVisible!(id, tenant)
        : undefined,
  });
  registerRateLimit(app, {
    max: resolved.rateLimit,
    windowMs: resolved.rateLimitWindowMs,
    redis: deps.rateLimitRedis,
    prefix: resolved.redisPrefix,
  });

  // Query strings arrive as text: numbers the schema asks for are converted before validation.
  app.addHook('preValidation', (request, _reply, done) => {
    const schema = request.routeOptions.schema?.querystring as QuerySchema | undefined;
    const properties = schema?.properties;
    if (properties && typeof request.query === 'object' && request.query !== null) {
      const query = request.query as Record<string, unknown>;
      for (const [key, value] of Object.entries(query)) {
        const type = properties[key]?.type;
        if (
          typeof value === 'string' &&
          (type === 'integer' || type === 'number') &&
          /^-?\d+(\.\d+)?$/.test(value)
        ) {
          query[key] = Number(value);
        }
      }
    }
    done();
  });

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.httpRequestDuration.observe(
      {
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'distill',
        version: '0.1.0',
        description:
          'Turns URLs into clean documents: submit a batch, follow its progress, page through the results. Errors are ' +
          'application/problem+json (RFC 9457) with a stable `code`.',
      },
      tags: [
        { name: 'jobs', description: 'Batches of URLs and their results' },
        { name: 'documents', description: 'Stored documents and synchronous extraction' },
        { name: 'crawls', description: 'Site crawls: jobs that follow links' },
        { name: 'schedules', description: 'Recurring jobs and crawls' },
        {
          name: 'domains',
          description: 'Per-domain settings: rate, concurrency, render, headers, robots, proxy pool, timeout',
        },
        { name: 'operations', description: 'Health, readiness and metrics' },
      ],
    },
  });
  if (resolved.hasDocs) void app.register(swaggerUi, { routePrefix: '/docs' });

  if (deps.events) app.addHook('preHandler', checkSubmittedWebhook(deps.events));
  void app.register(jobRoutes(context));
  if (hasServices(context, 'events')) {
    void app.register(webhookRoutes(context));
    void app.register(eventLogRoutes(context));
  }
  void app.register(eventRoutes(context));
  // Before the document routes: `/v1/documents/search` is a static path beside `/v1/documents/:id`.
  if (hasServices(context, 'search')) void app.register(searchRoutes(context));
  void app.register(documentRoutes(context));
  void app.register(chunkRoutes(context));
  void app.register(screenshotRoutes(context));
  void app.register(extractRoutes(context));
  if (hasServices(context, 'files')) void app.register(fileRoutes(context));
  if (hasServices(context, 'crawls')) void app.register(crawlRoutes(context));
  if (hasServices(context, 'schedules')) void app.register(scheduleRoutes(context));
  if (hasServices(context, 'documentVersions')) void app.register(documentVersionRoutes(context));
  if (hasServices(context, 'map')) void app.register(mapRoutes(context));
  if (hasServices(context, 'domains')) void app.register(domainRoutes(context));
  void app.register(firecrawlRoutes(context), { prefix: FIRECRAWL_PREFIX });
  void app.register(mcpHttpRoutes({ allowedHosts: resolved.mcpAllowedHosts }));
  void app.register(healthRoutes(context));
  // The browser page (src/web, built into dist/web) at `/`.
  void app.register(webPagePlugin, { root: resolved.webRoot });
  void app.register((scope, _options, done) => {
    scope.get(
      '/openapi.json',
      { schema: { hide: true, response: { 200: { type: 'object', additionalProperties: true } } } },
      () => app.swagger(),
    );
    done();
  });
  return app;
}
