import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import {
  buildApi,
  createMetrics,
  createReadiness,
  type ApiDependencies,
  type ApiOptions,
  type Metrics,
} from '../../src/api/index.js';
import { JobsService, type ClaimedItem, type ItemOutcome } from '../../src/jobs/index.js';
import { PermanentError } from '../../src/lib/index.js';
import { WorkerPool, type TaskFunction } from '../../src/worker/index.js';
import { createTestStore, defaultOptions, fakeDocument, waitFor, type TestStore } from './store.js';

/**
 * The fake task of the API tests (no network): the URL's path decides the outcome.
 * `/fail…` fails with `blocked_address`, `/hang…` waits until aborted (cancel, shutdown), anything
 * else succeeds with a fake document.
 */
export const fakeTask: TaskFunction = (item: ClaimedItem, { signal }) => {
  const path = new URL(item.url).pathname;
  if (path.startsWith('/fail')) {
    return Promise.reject(new PermanentError('blocked_address', `${item.url} resolves to a private address`));
  }
  if (path.startsWith('/hang')) {
    return new Promise<ItemOutcome>((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  }
  return Promise.resolve({ kind: 'succeeded', document: fakeDocument(item.url) });
};

export interface Harness {
  store: TestStore;
  jobs: JobsService;
  pool: WorkerPool;
  metrics: Metrics;
  app: FastifyInstance;
  deps: ApiDependencies;
  close(): Promise<void>;
}

/**
 * A real SQLite store, a real JobsService and a WorkerPool running `task`, behind `buildApi`.
 * `isPoolStarted: false` keeps every item queued (tests of listing and cancelling).
 */
export async function createHarness(
  options: {
    api?: ApiOptions;
    task?: TaskFunction;
    isPoolStarted?: boolean;
    readiness?: ApiDependencies['readiness'];
    /** Extra dependencies (API keys, a rate-limit Redis, ...) given to `buildApi`. */
    deps?: (store: TestStore) => Partial<ApiDependencies>;
    /** The JobsService's per-tenant cap on waiting URLs. */
    maxQueuedPerTenant?: number;
    tenantIsolation?: boolean;
  } = {},
): Promise<Harness> {
  const store = await createTestStore({ tenantIsolation: options.tenantIsolation ?? false });
  const pool = new WorkerPool({
    queue: store.queue,
    repository: store.repository,
    task: options.task ?? fakeTask,
    concurrency: 8,
    pollIntervalMs: 10,
    cancelCheckMs: 20,
    shutdownTimeoutMs: 100,
    backoff: { baseMs: 10, maxMs: 50 },
    onOutcome: (_item, outcome, durationMs) =>
      metrics.recordOutcome(outcome.kind, outcome.kind === 'failed' ? outcome.error.code : null, durationMs),
  });
  const metrics = createMetrics({ depth: () => store.queue.depth(), hasDefaultMetrics: false });
  const jobs = new JobsService({
    repository: store.repository,
    queue: store.queue,
    defaults: defaultOptions,
    onEnqueued: () => pool.notify(),
    maxQueuedPerTenant: options.maxQueuedPerTenant ?? 0,
  });
  const deps: ApiDependencies = {
    ...options.deps?.(store),
    jobs,
    repository: store.repository,
    metrics,
    readiness:
      options.readiness ??
      createReadiness({
        database: () => store.repository.countItemsByState(),
        queue: () => store.queue.depth(),
      }),
  };
  const app = buildApi(deps, { eventPollMs: 20, extractPollMs: 10, ...options.api });
  await app.ready();
  if (options.isPoolStarted ?? true) pool.start();
  let closing: Promise<void> | undefined;
  return {
    store,
    jobs,
    pool,
    metrics,
    app,
    deps,
    close() {
      closing ??= (async () => {
        const closed = app.close();
        // A fetch client whose SSE read was cancelled can leave a keep-alive socket that the server
        // does not see as idle until undici's own 4 s timeout: close it rather than wait.
        app.server.closeAllConnections();
        await closed;
        await pool.stop();
        await store.close();
      })();
      return closing;
    },
  };
}

/** Asserts an RFC 9457 problem with `status` and `code`; returns its body. */
export function expectProblem(
  response: LightMyRequestResponse | { statusCode: number; headers: Record<string, unknown>; body: string },
  status: number,
  code: string,
): Record<string, unknown> {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = JSON.parse(response.body) as Record<string, unknown>;
  expect({ status: response.statusCode, code: body.code }).toEqual({ status, code });
  expect(body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String) });
  return body;
}

/** The server still answers: asserted after every bad-input test. */
export async function expectHealthy(app: FastifyInstance): Promise<void> {
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  expect(response.statusCode).toBe(200);
  expect(response.json()).toEqual({ status: 'ok' });
}

/** Waits until the job is completed (or cancelled with nothing running). */
export async function waitForFinal(harness: Harness, jobId: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    async () => {
      const job = await harness.store.repository.getJob(jobId);
      return job?.status === 'completed' || (job?.status === 'cancelled' && job.counts.running === 0);
    },
    timeoutMs,
    `job ${jobId} to be final`,
  );
}

/** `n` distinct URLs on `host`. */
export function urls(n: number, host = 'example.com', path = 'page'): string[] {
  return Array.from({ length: n }, (_, i) => `https://${host}/${path}/${i}`);
}
