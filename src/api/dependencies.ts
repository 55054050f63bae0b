import type { FastifyBaseLogger } from 'fastify';
import type { Redis } from 'ioredis';
import type { ApiKeyVerifier } from './auth.js';
import type { Job, JobRepository, JobsService, StoredEvent } from '../jobs/index.js';
import type { Metrics } from './metrics.js';
import type { EventsApi } from './routes/webhooks.js';
import type { ScreenshotReader } from './routes/screenshots.js';
import { defaultWebRoot } from './static.js';

/**
 * The reads the API makes: a part of the `JobRepository` port. Nothing here is an adapter.
 */
export type ApiRepository = Pick<
  JobRepository,
  'getJob' | 'listJobs' | 'listItems' | 'listResults' | 'getDocument' | 'getDocumentByUrl' | 'listEvents'
> & {
  /** Does the tenant have a job that refers to this document? (Reads of documents under isolation.) */
  isDocumentVisible?(documentId: string, tenant: string): Promise<boolean>;
};

export type { StoredEvent };

/** The state of one dependency as `GET /readyz` reports it. */
export interface ReadinessCheck {
  ok: boolean;
  message?: string;
}

/** What the API needs from the rest of distill; `app/` builds it. Nothing here is an adapter. */
export interface ApiDependencies {
  jobs: Pick<JobsService, 'submit' | 'append' | 'cancel' | 'getJob'>;
  /** API keys: auth is on while one live key exists. Omitted: auth is off for good. */
  keys?: ApiKeyVerifier;
  /** Rate-limit counts shared by every API process (distributed mode); omitted: kept in this process. */
  rateLimitRedis?: Redis;
  repository: ApiRepository;
  /**
   * Is every dependency this process needs usable (the database writable, the queue and Redis
   * reachable)? Drives `GET /readyz` (503 when not ready); `checks` also reports dependencies that
   * do not count (see `createReadiness`).
   */
  readiness(): Promise<{ isReady: boolean; checks: Record<string, ReadinessCheck> }>;
  metrics: Metrics;
  /** pino or any logger Fastify 5 takes as `loggerInstance`. Omitted: the API logs nothing. */
  logger?: FastifyBaseLogger;
  /**
   * Waits until a job is final (`completed` or `cancelled`) or `signal` aborts; resolves with the
   * job (null if it disappeared). Used by `POST /v1/extract`. Omitted: the API polls `getJob`.
   */
  waitForJob?(jobId: string, options: { signal: AbortSignal }): Promise<Job | null>;
  /**
   * The event log and webhook deliveries (`GET /v1/events`, `/v1/jobs/:id/webhooks`), and the
   * check of a submitted webhook URL. Omitted: those routes are not registered and webhook URLs
   * are checked by the schema only.
   */
  events?: EventsApi;
  /** Stored screenshots, for `GET /v1/documents/:id/screenshot`. Omitted: every document has none. */
  screenshots?: ScreenshotReader;
}

/** Tunables of the API. Every limit has a default that suits the embedded mode. */
export interface ApiOptions {
  /** Most URLs in one JSON request (`/urls` maxItems). @default 100000 */
  maxUrlsPerRequest?: number;
  /** Largest JSON request body, in bytes; streamed text/NDJSON bodies are not held in memory. @default 64 MiB */
  maxRequestBytes?: number;
  /** Most URLs read from one streamed (text/plain or NDJSON) request; the rest is ignored. @default 10000000 */
  maxStreamedUrls?: number;
  /** Longest line of a streamed body, in bytes; a longer line is an invalid entry. @default 10240 */
  maxLineBytes?: number;
  /** How long `POST /v1/extract` waits for its document, in milliseconds. @default 60000 */
  extractTimeoutMs?: number;
  /** How often `POST /v1/extract` polls its job when no `waitForJob` is given, in milliseconds. @default 75 */
  extractPollMs?: number;
  /** Concurrent SSE streams; one more gets 503 `too_many_streams`. @default 1000 */
  maxEventStreams?: number;
  /** How often an SSE stream polls the event log and the job's counts, in milliseconds. @default 250 */
  eventPollMs?: number;
  /** Interval of SSE heartbeat comments, in milliseconds. @default 15000 */
  heartbeatMs?: number;
  /** `/v1/` requests per API key (per client IP while auth is off) per window; 0 = no limit. @default 0 */
  rateLimit?: number;
  /** Window of `rateLimit`, in milliseconds. @default 60000 */
  rateLimitWindowMs?: number;
  /** Prefix of the rate-limit keys in Redis. @default 'distill' */
  redisPrefix?: string;
  /** Each tenant sees only the documents its own jobs refer to. @default false */
  tenantIsolation?: boolean;
  /** Serve Swagger UI at `/docs`. @default true */
  hasDocs?: boolean;
  /** Folder of the built browser page served at `/`. @default dist/web of this package */
  webRoot?: string;
}

/** `ApiOptions` with every default applied. */
export type ResolvedApiOptions = Required<ApiOptions>;

/** Applies the defaults and checks every option, throwing `TypeError` for a bad one. */
export function resolveApiOptions(options: ApiOptions = {}): ResolvedApiOptions {
  const resolved: ResolvedApiOptions = {
    maxUrlsPerRequest: options.maxUrlsPerRequest ?? 100_000,
    webRoot: options.webRoot ?? defaultWebRoot(),
    maxRequestBytes: options.maxRequestBytes ?? 64 * 1024 * 1024,
    maxStreamedUrls: options.maxStreamedUrls ?? 10_000_000,
    maxLineBytes: options.maxLineBytes ?? 10 * 1024,
    extractTimeoutMs: options.extractTimeoutMs ?? 60_000,
    extractPollMs: options.extractPollMs ?? 75,
    maxEventStreams: options.maxEventStreams ?? 1000,
    eventPollMs: options.eventPollMs ?? 250,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    hasDocs: options.hasDocs ?? true,
    rateLimit: options.rateLimit ?? 0,
    rateLimitWindowMs: options.rateLimitWindowMs ?? 60_000,
    redisPrefix: options.redisPrefix ?? 'distill',
    tenantIsolation: options.tenantIsolation ?? false,
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (name === 'rateLimit' && value === 0) continue;
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${value}\``);
    }
  }
  return resolved;
}
