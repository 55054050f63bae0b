import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import { DistillClient } from '../../src/client/index.js';
import { databaseBackend, redisBackend, suiteTitle } from '../helpers/backends.js';
import { freePort } from '../helpers/net.js';
import { waitFor } from '../helpers/store.js';

const postgres = await databaseBackend('postgres');
const redis = await redisBackend();
const skipReason = postgres.skipReason ?? redis.skipReason;

const HOSTS = 40;
const URLS = 2000;
const HOST_CONCURRENCY = 2;

describe.skipIf(skipReason !== undefined)(
  suiteTitle('distributed mode: one API and two workers over PostgreSQL and Redis', skipReason),
  () => {
    const processes: ChildProcess[] = [];
    let corpus: CorpusServer | undefined;

    afterEach(async () => {
      for (const proc of processes) if (proc.exitCode === null) proc.kill('SIGKILL');
      await corpus?.close();
    });

    it('finishes 2,000 URLs once each after a worker is SIGKILLed, within the per-host limits across processes', async () => {
      const database = await postgres.open();
      const prefix = redis.prefix();
      corpus = await startCorpusServer({
        hosts: HOSTS,
        latencyMs: 20,
        jitterMs: 30,
        handler: (path) => {
          if (path === '/robots.txt') return { status: 404, body: '' };
          const n = path.split('/').pop();
          return {
            body: `<html><head><title>Page ${n}</title></head><body><article><h1>Page ${n}</h1><p>Text of page ${n}, long enough to be the main content of this small page.</p></article></body></html>`,
          };
        },
      });
      const port = await freePort();
      const env = {
        ...process.env,
        PORT: String(port),
        DISTILL_DATABASE_URL: database.url,
        DISTILL_REDIS_URL: redis.url(),
        DISTILL_REDIS_PREFIX: prefix.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64),
        DISTILL_FETCH_ALLOW: '127.0.0.1',
        DISTILL_FETCH_TIMEOUT_MS: '5000',
        DISTILL_HOST_CONCURRENCY: String(HOST_CONCURRENCY),
        DISTILL_HOST_RATE: '20',
        DISTILL_HOST_BURST: '5',
        DISTILL_CONCURRENCY: '24',
        DISTILL_LEASE_MS: '3000',
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_LOG_LEVEL: 'error',
      };
      const start = (role: 'api' | 'worker'): ChildProcess => {
        const proc = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/distill.ts', role], {
          env,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        processes.push(proc);
        return proc;
      };
      start('api');
      const client = new DistillClient({ baseUrl: `http://127.0.0.1:${port}` });
      await waitFor(
        async () =>
          client.health().then(
            () => true,
            () => false,
          ),
        30_000,
        'the API',
      );
      const doomed = start('worker');
      start('worker');

      const urls = corpus.urls(URLS);
      const { job } = await client.submitStream(urls);
      expect(job.total).toBe(URLS);
      await waitFor(
        async () => (await client.getJob(job.id)).counts.succeeded >= 300,
        60_000,
        'progress before the kill',
      );
      doomed.kill('SIGKILL');

      await waitFor(
        async () => {
          const current = await client.getJob(job.id);
          return current.status === 'completed';
        },
        120_000,
        'the job to complete after the kill',
      );
      const final = await client.getJob(job.id);
      expect(final.counts).toMatchObject({ queued: 0, running: 0, cancelled: 0 });
      expect(final.counts.succeeded + final.counts.failed).toBe(URLS);
      expect(final.counts.failed).toBe(0);

      const seen = new Map<string, number>();
      const documentIds = new Set<string>();
      for await (const doc of client.results(job.id, { fields: ['id', 'url'] })) {
        seen.set(doc.url!, (seen.get(doc.url!) ?? 0) + 1);
        documentIds.add(doc.id!);
      }
      expect(seen.size).toBe(URLS);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      expect(documentIds.size).toBe(URLS);
      // The corpus server counted requests in flight per host: the shared limit held across processes.
      expect(corpus.maxInFlightPerHost()).toBeLessThanOrEqual(HOST_CONCURRENCY);
      expect(corpus.stats.byHost.size).toBe(HOSTS);
    }, 240_000);
  },
);
