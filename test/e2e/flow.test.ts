import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import { DistillClient } from '../../src/client/index.js';
import type { JobView } from '../../src/client/types.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { freePort } from '../helpers/net.js';
import { startServe } from '../helpers/serve.js';
import { waitFor } from '../helpers/store.js';

type Corpus = CorpusServer;

const PAGE = (title: string, n: string): string =>
  `<!doctype html><html lang="en"><head><title>${title}</title></head><body><nav><a href="/">Home</a></nav>
  <article><h1>${title}</h1><p>This is the first paragraph of article ${n}. It talks at length about things that matter
  to readers of article ${n}, with enough words to count as content.</p><p>A second paragraph of article ${n} adds
  more text, and a <a href="/next/${n}">link to the next article</a> so that links are found.</p></article></body></html>`;

/** Paths: /ok/N → article, /missing/N → 404, /flaky/N → 500, /image/N → PNG, /slow/N → article after a delay. */
function handler(path: string): {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
} {
  const [, kind, n = '0'] = path.split('/');
  switch (kind) {
    case 'robots.txt':
      return { status: 404, body: '' };
    case 'ok':
      return { body: PAGE(`Article ${n}`, n) };
    case 'slow':
      return { body: PAGE(`Slow article ${n}`, n), delayMs: 300 };
    case 'missing':
      return { status: 404, headers: { 'content-type': 'text/html' }, body: 'not here' };
    case 'flaky':
      return { status: 500, headers: { 'content-type': 'text/plain' }, body: 'boom' };
    case 'image':
      return {
        headers: { 'content-type': 'image/png' },
        body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
      };
    default:
      return { status: 404, body: '' };
  }
}

const EMBEDDED_ENV = {
  DISTILL_FETCH_ALLOW: '127.0.0.1',
  DISTILL_CONCURRENCY: '16',
  DISTILL_HOST_RATE: '200',
  DISTILL_HOST_BURST: '50',
  DISTILL_HOST_CONCURRENCY: '4',
  DISTILL_EXTRACT_THREADS: '2',
};

async function finalJob(client: DistillClient, id: string, timeoutMs = 60_000): Promise<JobView> {
  let job = await client.getJob(id);
  await waitFor(
    async () => {
      job = await client.getJob(id);
      return job.status === 'completed' || (job.status === 'cancelled' && job.counts.running === 0);
    },
    timeoutMs,
    `job ${id} to finish`,
  );
  return job;
}

describe('the whole flow in embedded mode, over real HTTP', () => {
  let corpus: Corpus;
  let testApp: TestApp | undefined;
  let client: DistillClient;

  beforeAll(async () => {
    corpus = await startCorpusServer({ hosts: 5, handler });
    testApp = await startFetchingApp(EMBEDDED_ENV, { prefix: 'distill-e2e-' });
    client = new DistillClient({ baseUrl: testApp.url });
  });

  afterAll(async () => {
    await testApp?.close();
    await corpus?.close();
  });

  it('runs 500 URLs with errors and duplicates to completion, then reuses the documents', async () => {
    const origin = (i: number): string => corpus.origins[i % corpus.origins.length]!;
    const urls: string[] = [];
    for (let i = 0; i < 440; i++) urls.push(`${origin(i)}/ok/${i}`);
    for (let i = 0; i < 20; i++) urls.push(`${origin(i)}/missing/${i}`);
    for (let i = 0; i < 10; i++) urls.push(`${origin(i)}/flaky/${i}`);
    for (let i = 0; i < 10; i++) urls.push(`${origin(i)}/image/${i}`);
    for (let i = 0; i < 15; i++) urls.push(`${origin(i)}/ok/${i}#fragment`); // duplicates after normalising
    urls.push('ftp://example.com/file', 'not a url', 'javascript:alert(1)', 'http://user:pw@127.0.0.1/x', '');
    expect(urls).toHaveLength(500);

    const submitted = await client.submit(urls, { maxAttempts: 2 });
    expect(submitted.submission).toMatchObject({
      received: 500,
      accepted: 480,
      duplicates: 15,
      invalidCount: 5,
    });
    expect(submitted.submission.invalid.map((e) => e.reason).sort()).toEqual(
      ['credentials_in_url', 'invalid_url', 'invalid_url', 'unsupported_scheme', 'unsupported_scheme'].sort(),
    );

    const job = await finalJob(client, submitted.job.id);
    expect(job.counts).toEqual({ queued: 0, running: 0, succeeded: 440, failed: 40, cancelled: 0 });

    const failed = new Map<string, string>();
    let cursor: string | undefined;
    do {
      const page = await client.listItems(job.id, { state: 'failed', limit: 100, cursor });
      for (const item of page.items) failed.set(item.url.split('/')[3]!, item.error!.code);
      for (const item of page.items) {
        if (item.url.includes('/flaky/')) expect(item.attempts).toBe(2);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect([...failed.entries()].sort()).toEqual([
      ['flaky', 'http_error'],
      ['image', 'extraction_failed'],
      ['missing', 'http_error'],
    ]);

    let documents = 0;
    for await (const doc of client.results(job.id)) {
      documents++;
      expect(doc.title).toMatch(/^Article \d+$/);
      expect(doc.text).toContain('This is the first paragraph of article');
      expect(doc.links?.some((l) => l.includes('/next/'))).toBe(true);
    }
    expect(documents).toBe(440);

    // Again, with the default maxAge: every document is reused, nothing reaches the corpus server.
    const okUrls = urls.filter((u) => u.includes('/ok/') && !u.includes('#'));
    const requestsBefore = corpus.stats.requests;
    const again = await client.submit(okUrls);
    expect(again.submission.reused).toBe(440);
    expect((await finalJob(client, again.job.id)).counts.succeeded).toBe(440);
    expect(corpus.stats.requests).toBe(requestsBefore);

    // With maxAge 0 they are fetched again.
    const fresh = await client.submit(okUrls.slice(0, 20), { maxAge: 0 });
    expect(fresh.submission.reused).toBe(0);
    expect((await finalJob(client, fresh.job.id)).counts.succeeded).toBe(20);
    expect(corpus.stats.requests).toBe(requestsBefore + 20);
  });

  it('streams progress over SSE and ends with completion', async () => {
    const urls = Array.from({ length: 30 }, (_, i) => `${corpus.origins[i % 5]}/ok/sse-${i}`);
    const submitted = await client.submit(urls);
    const seen: string[] = [];
    const ids: string[] = [];
    for await (const event of client.events(submitted.job.id)) {
      seen.push(event.event);
      if (event.id) ids.push(event.id);
    }
    expect(seen).toContain('progress');
    expect(seen.filter((e) => e === 'document.extracted')).toHaveLength(30);
    expect(seen.at(-1)).toBe('completed');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('cancels a job mid-way: nothing stays queued or running', async () => {
    const urls = Array.from({ length: 200 }, (_, i) => `${corpus.origins[i % 5]}/slow/${i}`);
    const submitted = await client.submit(urls);
    await waitFor(
      async () => (await client.getJob(submitted.job.id)).counts.succeeded > 0,
      20_000,
      'a first document',
    );
    const cancelled = await client.cancel(submitted.job.id);
    expect(cancelled.status).toBe('cancelled');
    expect((await client.cancel(submitted.job.id)).status).toBe('cancelled');
    const job = await finalJob(client, submitted.job.id);
    expect(job.counts.queued).toBe(0);
    expect(job.counts.running).toBe(0);
    expect(job.counts.cancelled).toBeGreaterThan(0);
    expect(job.counts.succeeded + job.counts.cancelled + job.counts.failed).toBe(200);
  });
});

describe('crash safety of the service', () => {
  let corpus: Corpus;
  let dir: string;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    corpus = await startCorpusServer({ hosts: 4, handler });
    dir = mkdtempSync(join(tmpdir(), 'distill-crash-'));
  });

  afterAll(async () => {
    child?.kill('SIGKILL');
    await corpus?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** `distill serve` on this test's database, `child` from the moment it exists (see `startServe`). */
  async function startServer(port: number): Promise<ChildProcess> {
    return startServe(
      port,
      {
        DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
        DISTILL_FETCH_ALLOW: '127.0.0.1',
        DISTILL_CONCURRENCY: '8',
        DISTILL_HOST_RATE: '100',
        DISTILL_HOST_BURST: '20',
        DISTILL_LEASE_MS: '2000',
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_LOG_LEVEL: 'warn',
      },
      (proc) => {
        child = proc;
      },
    );
  }

  it('finishes every item exactly once after the server is SIGKILLed mid-job and started again', async () => {
    const port = await freePort();
    child = await startServer(port);
    const client = new DistillClient({ baseUrl: `http://127.0.0.1:${port}` });
    const urls = Array.from({ length: 120 }, (_, i) => `${corpus.origins[i % 4]}/slow/crash-${i}`);
    const submitted = await client.submit(urls);
    await waitFor(
      async () => (await client.getJob(submitted.job.id)).counts.succeeded >= 10,
      60_000,
      'some progress',
    );
    child.kill('SIGKILL');
    await new Promise((resolve) => child!.once('exit', resolve));

    child = await startServer(port);
    const job = await finalJob(client, submitted.job.id, 90_000);
    expect(job.counts).toEqual({ queued: 0, running: 0, succeeded: 120, failed: 0, cancelled: 0 });
    let documents = 0;
    const seen = new Set<string>();
    for await (const doc of client.results(job.id)) {
      documents++;
      seen.add(doc.url!);
    }
    expect(documents).toBe(120);
    expect(seen.size).toBe(120);
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child!.once('exit', resolve));
    expect(code).toBe(0);
    child = undefined;
    // Two start-ups of a process that loads the sources through tsx, and the job's 120 items: about
    // 13 s alone, but far longer on a loaded machine, so the bound is the sum of the waits above.
  }, 300_000);
});
