import type { Config } from '../config/index.js';

/**
 * Which parts a process runs, as asked by its command: `serve` is the API and the workers in one
 * process (the embedded default); `api` and `worker` split them for distributed mode; `cli` runs
 * the workers for `distill extract`.
 */
export type AppRole = 'serve' | 'api' | 'worker' | 'cli';

/** A role as the app runs it: `distill worker --render` is a render worker. */
export type ProcessRole = AppRole | 'render-worker';

/**
 * The parts a role may run beyond what every process has (database, queue, fetcher, host limiter,
 * extractor, metrics and the jobs, crawls and schedules services, which the API needs as much as
 * the workers):
 *
 * - `api`: the HTTP API (and its rate-limit Redis connection in distributed mode);
 * - `ops`: `/healthz`, `/readyz` and `/metrics` of a process without the API, when `DISTILL_WORKER_PORT` is set;
 * - `workers`: the worker pool that fetches, extracts and stores items;
 * - `browser`: the browser pool, launched on the first page that needs it;
 * - `browser-at-start`: the browser pool, launched at start so that a missing Chromium shows at once;
 * - `events`: the outbox relay (webhooks, RabbitMQ); one per database leads;
 * - `scheduler`: fires due schedules; one per database leads;
 * - `retention`: deletes old jobs and orphaned documents, unless `DISTILL_JOB_RETENTION` is 0.
 */
export type Part =
  'api' | 'ops' | 'workers' | 'browser' | 'browser-at-start' | 'events' | 'scheduler' | 'retention';

/** The table from role to the parts it runs. */
export const ROLE_PARTS: Readonly<Record<ProcessRole, readonly Part[]>> = {
  serve: ['api', 'workers', 'browser', 'events', 'scheduler', 'retention'],
  api: ['api'],
  worker: ['ops', 'workers', 'events', 'scheduler', 'retention'],
  'render-worker': ['ops', 'workers', 'browser-at-start', 'events', 'scheduler', 'retention'],
  cli: ['workers', 'browser'],
};

/** The role a process runs: a `worker` with `render` set is a render worker. */
export function processRoleOf(role: AppRole, config: Pick<Config, 'render'>): ProcessRole {
  return role === 'worker' && config.render ? 'render-worker' : role;
}

/** The parts `role` runs, to ask `parts.has('api')`. */
export function partsOf(role: ProcessRole): ReadonlySet<Part> {
  return new Set(ROLE_PARTS[role]);
}
