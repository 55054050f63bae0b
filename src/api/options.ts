import { defaultWebRoot } from './static.js';

/** Tunables of the API. Every limit has a default that suits the embedded mode. */
export interface ApiOptions {
  /** Most URLs in one JSON request (`/urls` maxItems). @default 100000 */
  maxUrlsPerRequest?: number;
  /** Largest JSON request body, in bytes; streamed text/NDJSON bodies are not held in memory and have no size limit. A JSON body is parsed in one go on the event loop (about 50 ms per MiB), so this bounds the stall. @default 8 MiB */
  maxRequestBytes?: number;
  /** Most URLs read from one streamed (text/plain or NDJSON) request; the rest is ignored. @default 10000000 */
  maxStreamedUrls?: number;
  /** Longest line of a streamed body, in bytes; a longer line is an invalid entry. @default 10240 */
  maxLineBytes?: number;
  /** Largest file `POST /v1/files` takes, in bytes; a larger one gets 413 `file_too_large`. @default 52428800 (50 MiB) */
  maxUploadBytes?: number;
  /** How long `POST /v1/extract` waits for its document, in milliseconds. @default 60000 */
  extractTimeoutMs?: number;
  /** How often `POST /v1/extract` polls its job when no `waitForJob` is given, in milliseconds. @default 75 */
  extractPollMs?: number;
  /** Concurrent SSE streams; one more gets 503 `too_many_streams`. @default 1000 */
  maxEventStreams?: number;
  /** Concurrent SSE streams of one tenant (requests with an API key); one more gets 429 `tenant_streams_limit`. @default 100 */
  maxEventStreamsPerTenant?: number;
  /** Time limit until a request's headers have arrived, in milliseconds. @default 20000 */
  headersTimeoutMs?: number;
  /** Time limit until a request's body has arrived, in milliseconds (streamed uploads included). @default 300000 */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open between requests, in milliseconds. @default 72000 */
  keepAliveTimeoutMs?: number;
  /** A connection with nothing read or written for this long is closed, in milliseconds; 0 = never. @default 120000 */
  idleTimeoutMs?: number;
  /** Open connections one client address may hold; 0 = no cap. @default 256 */
  maxConnectionsPerIp?: number;
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
  /** Host names besides loopback that `/mcp` answers for (its DNS rebinding check). @default [] */
  mcpAllowedHosts?: readonly string[];
}

/** Options for which 0 means "off". */
const ZERO_ALLOWED: ReadonlySet<string> = new Set(['rateLimit', 'idleTimeoutMs', 'maxConnectionsPerIp']);

/** `ApiOptions` with every default applied. */
export type ResolvedApiOptions = Required<ApiOptions>;

/** Applies the defaults and checks every option, throwing `TypeError` for a bad one. */
export function resolveApiOptions(options: ApiOptions = {}): ResolvedApiOptions {
  const resolved: ResolvedApiOptions = {
    maxUrlsPerRequest: options.maxUrlsPerRequest ?? 100_000,
    webRoot: options.webRoot ?? defaultWebRoot(),
    maxRequestBytes: options.maxRequestBytes ?? 8 * 1024 * 1024,
    maxStreamedUrls: options.maxStreamedUrls ?? 10_000_000,
    maxLineBytes: options.maxLineBytes ?? 10 * 1024,
    maxUploadBytes: options.maxUploadBytes ?? 50 * 1024 * 1024,
    extractTimeoutMs: options.extractTimeoutMs ?? 60_000,
    extractPollMs: options.extractPollMs ?? 75,
    maxEventStreams: options.maxEventStreams ?? 1000,
    maxEventStreamsPerTenant: options.maxEventStreamsPerTenant ?? 100,
    headersTimeoutMs: options.headersTimeoutMs ?? 20_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 300_000,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 72_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 120_000,
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? 256,
    eventPollMs: options.eventPollMs ?? 250,
    heartbeatMs: options.heartbeatMs ?? 15_000,
    hasDocs: options.hasDocs ?? true,
    rateLimit: options.rateLimit ?? 0,
    rateLimitWindowMs: options.rateLimitWindowMs ?? 60_000,
    redisPrefix: options.redisPrefix ?? 'distill',
    tenantIsolation: options.tenantIsolation ?? false,
    mcpAllowedHosts: options.mcpAllowedHosts ?? [],
  };
  for (const [name, value] of Object.entries(resolved)) {
    if (ZERO_ALLOWED.has(name) && value === 0) continue;
    if (typeof value === 'number' && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${value}\``);
    }
  }
  if (resolved.headersTimeoutMs > resolved.requestTimeoutMs) {
    throw new TypeError(
      `Expected \`headersTimeoutMs\` (${resolved.headersTimeoutMs}) to be at most \`requestTimeoutMs\` (${resolved.requestTimeoutMs})`,
    );
  }
  return resolved;
}
