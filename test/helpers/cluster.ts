/**
 * Helpers of the chaos tests: a Redis of the test's own (so it can be killed without touching the
 * shared one), in-process distill processes by role, and the one check every chaos test ends with:
 * every submitted URL ended in exactly one final state, once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { App, type AppRole } from '../../src/app/index.js';
import { DistillClient } from '../../src/client/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/index.js';
import type { TaskFunction } from '../../src/worker/index.js';
import { eventLogOf } from './app-server.js';
import { freePort } from './net.js';
import { waitFor } from './store.js';
import { TEST_SERVER_ENV } from './server-env.js';

export { freePort } from './net.js';

/** A redis-server of the test's own, without persistence (a restart forgets everything, as in production without AOF/RDB). */
export interface OwnRedis {
  url: string;
  port: number;
  /** SIGKILLs the server and waits until it is gone. */
  kill(): Promise<void>;
  /** Starts a fresh, empty server on the same port and waits until it answers. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const started = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    let spawnError: Error | undefined;
    started.on('error', (error) => {
      spawnError = error;
    });
    proc = started;
    await waitFor(
      async () => {
        if (spawnError)
          throw new Error(`redis-server could not be started (is it installed?): ${spawnError.message}`);
        const probe = new Redis({
          port,
          host: '127.0.0.1',
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          retryStrategy: () => null,
        });
        // A refused connection is expected until the server listens; the rejected connect() says so.
        probe.on('error', () => undefined);
        try {
          await probe.connect();
          return (await probe.ping()) === 'PONG';
        } catch {
          return false;
        } finally {
          probe.disconnect();
        }
      },
      10_000,
      `redis-server on port ${port}`,
    );
  };
  const kill = async (): Promise<void> => {
    const running = proc;
    proc = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, kill, start, close: kill };
}

/** Settings of the distributed chaos tests: small leases and timeouts, so that a failure shows within seconds. */
const CLUSTER_ENV = {
  DISTILL_HOST_CONCURRENCY: '2',
  DISTILL_HOST_RATE: '50',
  DISTILL_HOST_BURST: '10',
  DISTILL_CONCURRENCY: '8',
  DISTILL_LEASE_MS: '3000',
  DISTILL_FETCH_TIMEOUT_MS: '5000',
  DISTILL_DATABASE_POOL_SIZE: '4',
};

/**
 * Distributed mode in this process: one `api` and two `worker` Apps over `databaseUrl` and
 * `redisUrl`. Every App started is pushed to `apps` (the caller stops them), and a client of the API
 * is returned.
 */
export async function startCluster(
  apps: App[],
  env: { DISTILL_DATABASE_URL: string; DISTILL_REDIS_URL: string } & Record<string, string>,
): Promise<{ api: App; client: DistillClient }> {
  const settings = { ...CLUSTER_ENV, ...env };
  const api = await startRole('api', settings);
  apps.push(api);
  apps.push(await startRole('worker', settings), await startRole('worker', settings));
  return { api, client: new DistillClient({ baseUrl: api.url! }) };
}

/** One in-process distill process (an `App` of one role), listening on a free port when it has an API. */
export async function startRole(
  role: AppRole,
  env: Record<string, string>,
  options: { task?: TaskFunction } = {},
): Promise<App> {
  const config = loadConfig({
    ...TEST_SERVER_ENV,
    PORT: '0',
    DISTILL_LOG_LEVEL: 'silent',
    DISTILL_EXTRACT_THREADS: '1',
    DISTILL_FETCH_ALLOW: '127.0.0.1',
    ...env,
  });
  const app = new App(config, {
    role,
    logger: silentLogger,
    ...(options.task ? { task: options.task } : {}),
  });
  await app.start();
  return app;
}

/** `waitFor` over a check that may throw meanwhile (the API answering 503 while a dependency is away counts as "not yet"). */
export function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  return waitFor(() => check().catch(() => false), timeoutMs, what);
}

/**
 * The end of every chaos test: the job completed; every submitted URL is in exactly one final state
 * (`expected`), once; one document per URL and no document twice; and the event log has exactly one
 * `document.extracted` per URL, so no item was finished twice.
 */
export async function expectExactlyOnce(base: string, jobId: string, urls: readonly string[]): Promise<void> {
  const client = new DistillClient({ baseUrl: base });
  const job = await client.getJob(jobId);
  expect(job.status).toBe('completed');
  expect(job.counts).toEqual({ queued: 0, running: 0, succeeded: urls.length, failed: 0, cancelled: 0 });

  const byUrl = new Map<string, number>();
  const documentIds = new Set<string>();
  for await (const doc of client.results(jobId, { fields: ['id', 'url'] })) {
    byUrl.set(doc.url!, (byUrl.get(doc.url!) ?? 0) + 1);
    documentIds.add(doc.id!);
  }
  expect(byUrl.size).toBe(urls.length);
  expect([...byUrl.entries()].filter(([, n]) => n !== 1)).toEqual([]);
  expect(new Set(urls)).toEqual(new Set(byUrl.keys()));
  expect(documentIds.size).toBe(urls.length);

  // The event log holds back its youngest second on PostgreSQL (see `listEventLog`): wait for the last event.
  let log: Array<{ id: string; type: string }> = [];
  await waitFor(
    async () => {
      log = await eventLogOf(base, jobId);
      return log.some((e) => e.type === 'job.completed');
    },
    10_000,
    'job.completed in the event log',
  );
  const extracted = log.filter((e) => e.type === 'document.extracted');
  expect(extracted).toHaveLength(urls.length);
  expect(log.filter((e) => e.type === 'job.completed')).toHaveLength(1);
}

/** An HTML page per path, for the corpus server: long enough to be the main content. */
export function corpusPage(path: string): { status?: number; body: string } {
  if (path === '/robots.txt') return { status: 404, body: '' };
  const n = path.split('/').pop();
  return {
    body: `<html><head><title>Page ${n}</title></head><body><article><h1>Page ${n}</h1><p>Text of page ${n}, long enough to be the main content of this small page.</p></article></body></html>`,
  };
}
