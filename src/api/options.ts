import { defaultWebRoot } from './static.js';

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
