import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { ClaimedItem, ItemOutcome } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/lib/index.js';
import type { TaskFunction } from '../../src/worker/index.js';
import { fakeDocument } from './store.js';
import { TEST_SERVER_ENV } from './server-env.js';

/** A task that succeeds with a fake document after `before(item)` resolves: no network. */
export function gatedTask(
  before: (item: ClaimedItem) => Promise<void> = () => Promise.resolve(),
): TaskFunction {
  return async (item): Promise<ItemOutcome> => {
    await before(item);
    return { kind: 'succeeded', document: fakeDocument(item.url) };
  };
}

/** A started App on a fresh SQLite file in a folder of its own; `close` stops it and removes the folder. */
export interface TestApp {
  app: App;
  url: string;
  /** The folder of the database files (a test may read them, e.g. to prove no secret is in them). */
  dir: string;
  close: () => Promise<void>;
}

async function startOnSqlite(
  prefix: string,
  env: Record<string, string>,
  options: { task?: TaskFunction | undefined; role?: 'serve' | 'worker' | 'api' | undefined },
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const config = loadConfig({
    ...TEST_SERVER_ENV,
    PORT: '0',
    DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
    DISTILL_LOG_LEVEL: 'silent',
    ...env,
  });
  const app = new App(config, {
    role: options.role ?? 'serve',
    logger: silentLogger,
    ...(options.task === undefined ? {} : { task: options.task }),
  });
  try {
    await app.start();
  } catch (error) {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    app,
    url: app.url ?? '',
    dir,
    close: async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An App (role `serve` unless told) on a fresh SQLite file, listening on 127.0.0.1, with fast event polling and no network (`gatedTask`). */
export function startApp(
  env: Record<string, string>,
  options: { task?: TaskFunction; role?: 'serve' | 'worker' | 'api' } = {},
): Promise<TestApp> {
  return startOnSqlite(
    'distill-events-',
    { DISTILL_CONCURRENCY: '8', DISTILL_EXTRACT_THREADS: '1', DISTILL_EVENT_POLL_MS: '50', ...env },
    { role: options.role, task: options.task ?? gatedTask() },
  );
}

/** An App that really fetches and extracts (the worker's own task), on a fresh SQLite file; `env` on top of the test defaults. */
export function startFetchingApp(
  env: Record<string, string>,
  options: { prefix?: string; role?: 'serve' | 'worker' | 'api' } = {},
): Promise<TestApp> {
  return startOnSqlite(options.prefix ?? 'distill-app-', env, { role: options.role });
}

/** POSTs JSON to the app and returns status and body. */
export async function postJson(
  url: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every event of a job in the log, through `GET /v1/events` paging. */
export async function eventLogOf(base: string, jobId: string): Promise<Array<{ id: string; type: string }>> {
  const all: Array<{ id: string; type: string }> = [];
  let after = '0';
  for (;;) {
    const { body } = await getJson(`${base}/v1/events?jobId=${jobId}&after=${after}&limit=100`);
    all.push(...(body.items as Array<{ id: string; type: string }>));
    after = body.next as string;
    if (body.hasMore !== true) return all;
  }
}
