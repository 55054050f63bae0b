/**
 * The server of the browser tests: the real API (`buildApi`) over a real SQLite store, JobsService
 * and WorkerPool running the real fetch → extract task against a loopback corpus server, plus
 * `webPagePlugin` serving the built page, and uploads (`POST /v1/files`). Listens on 127.0.0.1 on a free port. This mirrors what
 * `src/app.ts` wires for `distill serve`, without its config and process handling.
 */
import type { FastifyInstance } from 'fastify';
import { buildApi, createMetrics, createReadiness, type ApiDependencies } from '../../src/api/index.js';
import { CrawlsService } from '../../src/crawls/index.js';
import { ApiKeys } from '../../src/auth/index.js';
import { ExtractorPool } from '../../src/extract/index.js';
import { createFetcher, HostWaits, MemoryHostLimiter } from '../../src/fetch/index.js';
import { JobsService } from '../../src/jobs/index.js';
import { createProcessItem, createUploadFile, WorkerPool } from '../../src/worker/index.js';
import { createTestStore, defaultOptions, type TestStore } from './store.js';

export interface WebTestServer {
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  app: FastifyInstance;
  store: TestStore;
  /** The API's keys: none at first (auth off); making one turns auth on, as `distill keys create` does. */
  keys: ApiKeys;
  close(): Promise<void>;
}

/** Starts the server; `webRoot` is the built page. `close()` stops everything it started, in reverse. */
export async function startWebTestServer(options: { webRoot: string }): Promise<WebTestServer> {
  const store = await createTestStore();
  // Loopback is private: only this allow-list lets the fetcher reach the corpus server.
  const fetcher = createFetcher({ allow: '127.0.0.1', respectRobots: false, timeoutMs: 120_000 });
  // Two requests at a time per host, as by default: a job of slow pages waits on politeness.
  const hostLimiter = new MemoryHostLimiter({ maxInFlightPerHost: 2, ratePerSecond: 100, burst: 100 });
  const hostWaits = new HostWaits({ limit: { inFlight: 2, ratePerSecond: 100 } });
  const extractor = new ExtractorPool({ threads: 2 });
  const metrics = createMetrics({ depth: () => store.queue.depth(), hasDefaultMetrics: false });
  const pool = new WorkerPool({
    queue: store.queue,
    repository: store.repository,
    task: createProcessItem({ fetcher, hostLimiter, hostWaits, extractor, hostMaxWaitMs: 10_000 }),
    concurrency: 8,
    pollIntervalMs: 20,
    cancelCheckMs: 50,
    shutdownTimeoutMs: 200,
    backoff: { baseMs: 20, maxMs: 100 },
    onOutcome: (_item, outcome, durationMs) =>
      metrics.recordOutcome(outcome.kind, outcome.kind === 'failed' ? outcome.error.code : null, durationMs),
  });
  const jobs = new JobsService({
    repository: store.repository,
    queue: store.queue,
    defaults: { ...defaultOptions, formats: ['text', 'markdown', 'links'], maxAttempts: 1 },
    onEnqueued: () => pool.notify(),
  });
  const keys = new ApiKeys({ store: store.repository, cacheTtlMs: 0 });
  const crawls = new CrawlsService({ jobs, maxPages: 100 });
  const deps: ApiDependencies = {
    jobs,
    hostWaits,
    keys,
    repository: store.repository,
    search: store.repository,
    metrics,
    readiness: createReadiness({
      database: () => store.repository.countItemsByState(),
      queue: () => store.queue.depth(),
    }),
    crawls: { start: (input) => crawls.start(input), settings: (input) => crawls.settings(input) },
    // Uploads (`POST /v1/files`) in the same extraction threads, as `distill serve` wires them.
    files: { upload: createUploadFile({ extractor, jobs }) },
  };
  const app = buildApi(deps, { eventPollMs: 100, hasDocs: false, webRoot: options.webRoot });
  pool.start();
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  let closing: Promise<void> | undefined;
  return {
    baseUrl: address,
    app,
    store,
    keys,
    close() {
      closing ??= (async () => {
        const errors: unknown[] = [];
        const steps: Array<() => Promise<unknown>> = [
          async () => {
            const closed = app.close();
            // Event streams hold their connections: end them rather than wait.
            app.server.closeAllConnections();
            await closed;
          },
          () => pool.stop(),
          () => extractor.stop(),
          () => fetcher.close(),
          () => hostLimiter.close(),
          () => store.close(),
        ];
        for (const step of steps) {
          try {
            await step();
          } catch (error) {
            errors.push(error);
          }
        }
        if (errors.length > 0) throw new AggregateError(errors, 'The web test server did not stop cleanly');
      })();
      return closing;
    },
  };
}
