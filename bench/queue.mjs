// Queue scenario: how fast the embedded queue takes 100,000 URLs and runs them through the worker
// pool with a no-op task (claim → complete, one transaction each), on a fresh SQLite file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobsService } from '../dist/jobs/index.js';
import { EmbeddedQueue } from '../dist/queue/index.js';
import { KyselyJobRepository, migrateToLatest, openDatabase } from '../dist/storage/index.js';
import { WorkerPool } from '../dist/worker/index.js';

const ITEMS = Number(process.env.BENCH_QUEUE_ITEMS ?? 100_000);
const CONCURRENCY = Number(process.env.BENCH_QUEUE_CONCURRENCY ?? 64);

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'distill-bench-'));
  const handle = openDatabase(`sqlite:${join(dir, 'bench.db')}`);
  try {
    await migrateToLatest(handle.db);
    const repository = new KyselyJobRepository({ db: handle.db, dialect: handle.dialect });
    const queue = new EmbeddedQueue(repository);
    const jobs = new JobsService({
      repository,
      queue,
      defaults: { maxAgeSeconds: 0, formats: ['text'], timeoutMs: 10_000, maxAttempts: 3 },
    });
    const urls = Array.from({ length: ITEMS }, (_, i) => `https://host${i % 500}.example/page/${i}`);

    let t0 = performance.now();
    const { job } = await jobs.submit({ urls });
    const enqueueMs = performance.now() - t0;

    const doc = (url) => ({
      finalUrl: url,
      canonicalUrl: null,
      mimeType: 'text/html',
      httpStatus: 200,
      title: 't',
      byline: null,
      description: null,
      siteName: null,
      lang: null,
      publishedTime: null,
      text: 'x',
      markdown: null,
      html: null,
      links: [],
      wordCount: 1,
      extractor: 'text',
      quality: {},
      metadata: {},
      fetchedAt: Date.now(),
    });
    const pool = new WorkerPool({
      queue,
      repository,
      concurrency: CONCURRENCY,
      pollIntervalMs: 5,
      task: (item) => Promise.resolve({ kind: 'succeeded', document: doc(item.url) }),
    });
    t0 = performance.now();
    const cpu0 = process.cpuUsage();
    pool.start();
    for (;;) {
      const current = await repository.getJob(job.id);
      if (current.status === 'completed') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const runMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    await pool.stop();
    const rows = [
      {
        measure: `enqueue ${ITEMS} URLs (one submit)`,
        value: Math.round(ITEMS / (enqueueMs / 1000)),
        unit: 'URLs/s',
        ms: Math.round(enqueueMs),
      },
      {
        measure: `claim → complete, no-op task, ${CONCURRENCY} slots`,
        value: Math.round(ITEMS / (runMs / 1000)),
        unit: 'items/s',
        ms: Math.round(runMs),
      },
      {
        measure: 'CPU per completed item',
        value: Number(((cpu.user + cpu.system) / 1000 / ITEMS).toFixed(3)),
        unit: 'ms',
        ms: null,
      },
    ];
    return { items: ITEMS, concurrency: CONCURRENCY, enqueueMs, runMs, rows };
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
