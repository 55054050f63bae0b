import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import { App } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/index.js';
import { databaseBackend, redisBackend, suiteTitle } from '../helpers/backends.js';
import { waitFor } from '../helpers/store.js';
import { corpusPage, eventually, expectExactlyOnce, startCluster } from '../helpers/cluster.js';
import { TEST_SERVER_ENV } from '../helpers/server-env.js';

const postgres = await databaseBackend('postgres');
const redis = await redisBackend();
const skipReason = postgres.skipReason ?? redis.skipReason;

const URLS = 600;

/** The test's database URL with one more `-c` server option (the backend already sets `search_path`). */
function withServerOption(url: string, option: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `${parsed.searchParams.get('options') ?? ''} -c ${option}`.trim());
  return parsed.toString();
}

describe.skipIf(skipReason !== undefined)(
  suiteTitle('chaos: PostgreSQL connections dropped', skipReason),
  () => {
    const apps: App[] = [];
    let corpus: CorpusServer | undefined;

    afterEach(async () => {
      await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
      await corpus?.close();
    });

    it('finishes every URL exactly once after every connection of the API and the workers is terminated mid-job, and the processes stay up', async () => {
      const database = await postgres.open();
      // Only this test's connections carry this name: terminating them leaves other tests alone.
      const applicationName = `distill_chaos_${Math.random().toString(36).slice(2, 10)}`;
      const url = new URL(database.url);
      url.searchParams.set('application_name', applicationName);
      corpus = await startCorpusServer({ hosts: 6, latencyMs: 30, jitterMs: 40, handler: corpusPage });
      const { api, client } = await startCluster(apps, {
        DISTILL_DATABASE_URL: url.toString(),
        DISTILL_REDIS_URL: redis.url(),
        DISTILL_REDIS_PREFIX: redis
          .prefix()
          .replace(/[^A-Za-z0-9_.-]/g, '-')
          .slice(0, 64),
      });

      const urls = corpus.urls(URLS);
      const { job } = await client.submit(urls, { maxAge: 0 });
      await waitFor(
        async () => (await client.getJob(job.id)).counts.succeeded >= 60,
        30_000,
        'progress before the connections drop',
      );

      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      let terminated = 0;
      try {
        // Three rounds, so that connections the pools opened again after the first are dropped too.
        for (let round = 0; round < 3; round++) {
          const { rows } = await admin.query<{ n: number }>(
            `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
            where datname = current_database() and pid <> pg_backend_pid() and application_name = $1`,
            [applicationName],
          );
          terminated += rows[0]?.n ?? 0;
          await new Promise((resolve) => setTimeout(resolve, 300));
        }
      } finally {
        await admin.end();
      }
      expect(terminated).toBeGreaterThanOrEqual(3);

      await eventually(
        async () => (await client.getJob(job.id)).status === 'completed',
        90_000,
        'the job to complete after the connections dropped',
      );
      await expectExactlyOnce(api.url!, job.id, urls);
      // The processes are still up and usable: the API is ready and takes a new job, which the workers run.
      await eventually(
        async () => (await fetch(`${api.url}/readyz`)).status === 200,
        10_000,
        '/readyz to be ready',
      );
      const more = corpus.urls(20, '/after/');
      const { job: next } = await client.submit(more, { maxAge: 0 });
      await eventually(
        async () => (await client.getJob(next.id)).status === 'completed',
        30_000,
        'a job after the chaos to complete',
      );
      await expectExactlyOnce(api.url!, next.id, more);
    }, 150_000);

    it('reports a read-only PostgreSQL (a standby, default_transaction_read_only) as not ready, and refuses writes with storage_unavailable', async () => {
      const database = await postgres.open();
      // Every transaction of this process is read-only, as on a hot standby: reads work, writes fail with 25006.
      const config = loadConfig({
        ...TEST_SERVER_ENV,
        PORT: '0',
        DISTILL_LOG_LEVEL: 'silent',
        DISTILL_DATABASE_URL: withServerOption(database.url, 'default_transaction_read_only=on'),
      });
      const app = new App(config, { role: 'api', logger: silentLogger });
      apps.push(app);
      const api = app.api!;

      const ready = await api.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({
        status: 'not_ready',
        checks: { database: { ok: false, message: expect.stringMatching(/read-only/) }, queue: { ok: true } },
      });

      const submitted = await api.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: ['https://example.com/a'] },
      });
      expect(submitted.statusCode).toBe(503);
      expect(submitted.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(submitted.headers['retry-after']).toBe('10');
      expect(submitted.json()).toMatchObject({ code: 'storage_unavailable', status: 503 });
      // Reads still work.
      expect((await api.inject({ method: 'GET', url: '/v1/jobs' })).statusCode).toBe(200);
    });
  },
);
