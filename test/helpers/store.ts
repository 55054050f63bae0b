import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../../src/lib/index.js';
import type { JobOptions, NewDocument } from '../../src/jobs/index.js';
import { EmbeddedQueue } from '../../src/queue/index.js';
import {
  KyselyJobRepository,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
} from '../../src/storage/index.js';

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  time: number;
  constructor(time = 1_700_000_000_000) {
    this.time = time;
  }
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export interface TestStore {
  dir: string;
  path: string;
  handle: DatabaseHandle;
  repository: KyselyJobRepository;
  queue: EmbeddedQueue;
  close(): Promise<void>;
}

/** A fresh SQLite file in a temporary folder, migrated; `close()` removes it. */
export async function createTestStore(
  options: { clock?: Clock; path?: string; tenantIsolation?: boolean } = {},
): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'distill-test-'));
  const path = options.path ?? join(dir, 'distill.db');
  const handle = openDatabase(`sqlite:${path}`);
  await migrateToLatest(handle.db as never);
  const repository = new KyselyJobRepository({
    db: handle.db,
    dialect: handle.dialect,
    tenantIsolation: options.tenantIsolation ?? false,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  const queue = new EmbeddedQueue(repository);
  return {
    dir,
    path,
    handle,
    repository,
    queue,
    async close() {
      await handle.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const defaultOptions: JobOptions = {
  maxAgeSeconds: 0,
  formats: ['text', 'markdown'],
  timeoutMs: 10_000,
  maxAttempts: 3,
};

/** A document as a test task would produce it. */
export function fakeDocument(url: string, fetchedAt = Date.now()): NewDocument {
  return {
    finalUrl: url,
    canonicalUrl: null,
    mimeType: 'text/html',
    httpStatus: 200,
    title: `Title of ${url}`,
    byline: null,
    description: null,
    siteName: null,
    lang: 'en',
    publishedTime: null,
    text: `Text of ${url}`,
    markdown: `# Title of ${url}`,
    html: null,
    links: [],
    wordCount: 3,
    extractor: 'html-main',
    quality: {},
    metadata: {},
    fetchedAt,
  };
}

/** Creates a job with `n` queued URLs on host `host`; returns its id. */
export async function seedJob(
  repository: KyselyJobRepository,
  n: number,
  options: { host?: string; jobOptions?: Partial<JobOptions>; id?: string } = {},
): Promise<string> {
  const id = options.id ?? crypto.randomUUID();
  await repository.createJob({ id, options: { ...defaultOptions, ...options.jobOptions }, webhook: null });
  const host = options.host ?? 'example.com';
  await repository.addItems(
    id,
    Array.from({ length: n }, (_, i) => ({ url: `https://${host}/page/${i}` })),
  );
  return id;
}

/** Polls `check` until it returns true, failing after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
