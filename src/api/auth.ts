import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Principal } from '../auth/index.js';
import { DEFAULT_TENANT, JobNotFoundError, type Job } from '../jobs/index.js';
import { ApiError } from './api-error.js';
import { isApiPath } from './canonical-target.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request acts for: its key's, or `default` while auth is off. */
    tenant: string;
    /** The request's API key; null while auth is off. */
    principal: Principal | null;
    /** The job of a `/v1/jobs/:id…` or `/v1/crawls/:id` route, read once and checked to be the tenant's. */
    ownedJob: Job | undefined;
  }
}

/**
 * The job of a job route, as the tenant check read it before the handler: the routes use it rather
 * than reading the job a second time.
 */
export function ownedJobOf(request: FastifyRequest): Job {
  const job = request.ownedJob;
  if (!job)
    throw new Error(`${request.routeOptions.url ?? request.url} is not a job route: no job was read for it`);
  return job;
}

/** What the API needs of the key store (`ApiKeys` of src/auth). */
export interface ApiKeyVerifier {
  /** Was any key ever made? Auth is on exactly then. */
  isEnabled(): Promise<boolean>;
  verify(secret: string): Promise<Principal | null>;
}

/** The routes that carry a job id as `:id`: the tenant check reads the job once before them. */
const JOB_ROUTE = /^\/v1\/(jobs|crawls)\/:id(\/|$)/;
/** The routes that carry a document id as `:id`: checked under tenant isolation only. */
const DOCUMENT_ROUTE = /^\/v1\/documents\/:id(\/|$)/;

/** What the tenant checks read. */
export interface TenantLookups {
  getJob(id: string): Promise<Job | null>;
  /** Set under tenant isolation: may the tenant read this document? */
  isDocumentVisible?: ((documentId: string, tenant: string) => Promise<boolean>) | undefined;
}

/**
 * Only the API itself is guarded and limited: health, metrics, docs and the web page's files are
 * not. Decided from the route the router chose, never from the raw target: `request.url` is already
 * canonical (`canonicalRequestTarget`, the server's `rewriteUrl`), and a request that matched no route
 * is inside the API when its path is, in any letter case, so that it answers 401, not 404, without a key.
 */
function isApiRoute(request: FastifyRequest): boolean {
  return isApiPath(request.routeOptions.url ?? request.url);
}

/** The key a request presents: `Authorization: Bearer <key>`, else `X-API-Key`. */
function presentedKey(request: FastifyRequest): string | undefined {
  const authorization = request.headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' ? header : undefined;
}

/**
 * Authentication and tenant scoping. Auth is off until a first API key is made (the embedded
 * default, said at start-up): every request is the `default` tenant. Once a key exists, every
 * `/v1/` request needs one (`unauthorized`, 401, otherwise) and acts for the key's tenant; a job
 * (or crawl) of another tenant answers exactly as a missing one does, so ids leak nothing.
 */
export function registerAuth(
  app: FastifyInstance,
  keys: ApiKeyVerifier | undefined,
  lookups: TenantLookups,
): void {
  app.decorateRequest('tenant', DEFAULT_TENANT);
  app.decorateRequest('principal', null);
  app.decorateRequest('ownedJob', undefined);

  app.addHook('onRequest', async (request, reply) => {
    if (!keys || !isApiRoute(request) || !(await keys.isEnabled())) return;
    const secret = presentedKey(request);
    const principal = secret === undefined ? null : await keys.verify(secret);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="distill"');
      throw new ApiError(
        'unauthorized',
        secret === undefined
          ? 'This server needs an API key: send the header "Authorization: Bearer <key>" (or "X-API-Key: <key>"); "distill keys create" makes one'
          : 'The API key is unknown or revoked',
      );
    }
    request.principal = principal;
    request.tenant = principal.tenant;
  });

  app.addHook('preHandler', async (request) => {
    const route = request.routeOptions.url;
    const id = (request.params as { id?: unknown } | undefined)?.id;
    if (route === undefined || typeof id !== 'string') return;
    if (DOCUMENT_ROUTE.test(route) && lookups.isDocumentVisible) {
      if (await lookups.isDocumentVisible(id, request.tenant)) return;
      throw new ApiError('document_not_found', `No document with id ${JSON.stringify(id)}`);
    }
    if (!JOB_ROUTE.test(route)) return;
    const job = await lookups.getJob(id);
    if (job && job.tenant === request.tenant) {
      request.ownedJob = job;
      return;
    }
    if (route.startsWith('/v1/crawls/'))
      throw new ApiError('crawl_not_found', `No crawl with id ${JSON.stringify(id)}`);
    throw new JobNotFoundError(id);
  });
}

/** Options of `registerRateLimit`. */
export interface RateLimitOptions {
  /** Requests per window per API key (per client IP while auth is off); 0 = no limit. */
  max: number;
  windowMs: number;
  /** Counts kept in Redis, shared by every API process (distributed mode); else in this process. */
  redis?: Redis | undefined;
  /** Redis key prefix. */
  prefix?: string;
}

/**
 * Rate limits by `@fastify/rate-limit`: RateLimit-Limit, -Remaining and -Reset on every `/v1/`
 * answer (IETF draft names), and over the limit 429 `rate_limited` with Retry-After. If Redis
 * cannot be reached, requests pass rather than fail: the limit protects the service, and refusing
 * every request because of the limiter's store would be the outage it is meant to prevent.
 * Registered after `registerAuth`, so that a request is counted against its key, not its address.
 */
export function registerRateLimit(app: FastifyInstance, options: RateLimitOptions): void {
  if (options.max === 0) return;
  void app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    enableDraftSpec: true,
    skipOnError: true,
    ...(options.redis
      ? { redis: options.redis, nameSpace: `${options.prefix ?? 'distill'}:ratelimit:` }
      : {}),
    allowList: (request) => !isApiRoute(request),
    keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
    errorResponseBuilder: (request, context) =>
      new ApiError(
        'rate_limited',
        `Too many requests from ${request.principal ? 'this API key' : 'this address'}: at most ${context.max} per ${Math.round(options.windowMs / 1000)} s; retry in ${context.after}`,
        {
          extensions: { limit: context.max },
        },
      ),
  });
}
