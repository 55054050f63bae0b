import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { buildApi, buildOpsServer, createMetrics, createReadiness, type Metrics } from '../api/index.js';
import type { ApiKeys } from '../auth/index.js';
import type { Config } from '../config/index.js';
import type { Queue } from '../jobs/index.js';
import type { Logger, SecretBox } from '../lib/index.js';
import type { KyselyJobRepository } from '../storage/index.js';
import { SiteMapper } from '../crawls/index.js';
import type { Events } from './build-events.js';
import type { Fetching } from './build-fetch.js';
import type { Services } from './build-services.js';
import type { Component, ReadinessChecks } from './lifecycle.js';
import type { Part } from './roles.js';
import type { UploadFile } from '../worker/index.js';
import type { DomainsApi } from '../api/services.js';

/** The Prometheus metrics of this process; `/metrics` also reads the queue depth and the outbox backlog. */
export function buildMetrics(deps: {
  queue: Queue;
  repository: KyselyJobRepository;
  logger: Logger;
}): Metrics {
  return createMetrics({
    depth: () => deps.queue.depth(),
    outbox: () => deps.repository.outboxBacklog(),
    groupCommit: () => deps.repository.attempts.groupCommitStats,
    onError: (error, metric) =>
      deps.logger.warn({ err: error, metric }, 'Reading a metric for /metrics failed'),
  });
}

/** What the HTTP servers are built on. */
export interface ServersDependencies {
  repository: KyselyJobRepository;
  apiKeys: ApiKeys;
  services: Services;
  events: Events;
  metrics: Metrics;
  logger: Logger;
  /** The checks of `/readyz`: every component's, asked when a probe comes. */
  readiness: ReadinessChecks;
  /** The fetcher and host limits `POST /v1/map` reads sites with (the workers' own). */
  fetching: Pick<Fetching, 'fetcher' | 'hostLimiter' | 'hostWaits'>;
  /** Seals jobs' headers and cookies; undefined without DISTILL_SECRET_KEY. */
  secretBox?: SecretBox | undefined;
  /** What `POST /v1/files` extracts uploads with. */
  uploadFile: UploadFile;
  /** `/v1/domains` (issue 20). */
  domains?: DomainsApi | undefined;
}

/** The HTTP servers of a role, and the connections they own. */
export interface Servers {
  api: FastifyInstance | undefined;
  /** `/healthz`, `/readyz` and `/metrics` of a `worker` process, on `DISTILL_WORKER_PORT` (0: none). */
  ops: FastifyInstance | undefined;
  /** Closes the rate-limit Redis connection (distributed mode); the app stops it after the queue. */
  rateLimitRedis: Component | undefined;
  /** The servers in start order: the operations server, then the API. */
  components: Component[];
}

/**
 * The HTTP API (roles with `api`) and the operations server (roles with `ops`, when
 * `DISTILL_WORKER_PORT` is set). Neither listens until its component starts.
 */
export function buildServers(config: Config, parts: ReadonlySet<Part>, deps: ServersDependencies): Servers {
  const { repository, services, events, metrics, logger } = deps;
  const components: Component[] = [];
  const readiness = createReadiness(deps.readiness, {
    onError: (name, error) => logger.warn({ err: error, check: name }, 'Readiness check failed'),
  });
  const fastifyLogger = fastifyLoggerOf(logger);

  const ops =
    parts.has('ops') && config.workerPort > 0
      ? buildOpsServer({ readiness, metrics, logger: fastifyLogger })
      : undefined;
  if (ops) {
    components.push({
      name: 'operations server',
      start: async () => void (await ops.listen({ port: config.workerPort, host: config.host })),
      stop: () => ops.close(),
    });
  }
  if (!parts.has('api')) return { api: undefined, ops, rateLimitRedis: undefined, components };

  // Rate limits are shared through Redis when several API processes may serve one client.
  // No offline queue: while Redis is away a count fails at once and the request passes.
  const rateLimitRedis =
    config.redisUrl && config.rateLimit > 0
      ? new Redis(config.redisUrl, {
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          connectTimeout: 2000,
        })
      : undefined;
  rateLimitRedis?.on('error', (error) =>
    logger.debug({ err: error }, 'The rate-limit Redis connection failed'),
  );
  const api = buildApi(
    {
      jobs: services.jobs,
      hostWaits: deps.fetching.hostWaits,
      keys: deps.apiKeys,
      ...(rateLimitRedis ? { rateLimitRedis } : {}),
      repository,
      metrics,
      readiness,
      logger: fastifyLogger,
      events: events.api,
      screenshots: repository,
      schedules: services.schedules,
      crawls: {
        start: (input) => services.crawls.start(input),
        settings: (input) => services.crawls.settings(input),
        checkWebhookUrl: events.checkWebhookUrl,
      },
      documentVersions: repository,
      map: new SiteMapper({
        fetcher: deps.fetching.fetcher,
        hostLimiter: deps.fetching.hostLimiter,
        timeoutMs: config.mapTimeoutMs,
      }),
      search: repository,
      secretBox: deps.secretBox,
      isLlmConfigured: config.llmUrl !== '',
      files: { upload: deps.uploadFile },
      domains: deps.domains,
    },
    {
      maxUrlsPerRequest: config.maxUrlsPerRequest,
      maxRequestBytes: config.maxRequestBytes,
      maxUploadBytes: config.maxUploadBytes,
      extractTimeoutMs: config.syncExtractWaitMs,
      headersTimeoutMs: config.headersTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      keepAliveTimeoutMs: config.keepAliveTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      maxEventStreams: config.maxEventStreams,
      maxEventStreamsPerTenant: config.maxEventStreamsPerTenant,
      rateLimit: config.rateLimit,
      rateLimitWindowMs: config.rateLimitWindowSeconds * 1000,
      redisPrefix: config.redisPrefix,
      tenantIsolation: config.tenantIsolation,
      mcpAllowedHosts: config.mcpAllowedHosts
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
    },
  );
  components.push({
    name: 'HTTP API',
    start: async () => void (await api.listen({ port: config.port, host: config.host })),
    stop: () => api.close(),
  });
  return {
    api,
    ops,
    rateLimitRedis: rateLimitRedis && {
      name: 'rate-limit Redis connection',
      stop: async () => void (await rateLimitRedis.quit().catch(() => rateLimitRedis.disconnect())),
    },
    components,
  };
}

/**
 * The logger as Fastify takes it: a pino logger (what `createLogger` makes) has every method
 * Fastify calls; a logger without them (`silentLogger`) means a server that logs nothing, as Fastify
 * would have logged nothing into it.
 */
function fastifyLoggerOf(logger: Logger): FastifyBaseLogger | undefined {
  return isFastifyLogger(logger) ? logger : undefined;
}

function isFastifyLogger(logger: Logger): logger is Logger & FastifyBaseLogger {
  return 'silent' in logger && typeof logger.silent === 'function';
}
