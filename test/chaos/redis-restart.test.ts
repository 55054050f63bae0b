import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import type { App } from '../../src/app/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { waitFor } from '../helpers/store.js';
import {
  corpusPage,
  eventually,
  expectExactlyOnce,
  startCluster,
  startOwnRedis,
  startRole,
  type OwnRedis,
} from '../helpers/cluster.js';

const postgres = await databaseBackend('postgres');

const URLS = 600;

describe.skipIf(postgres.skipReason !== undefined)(
  suiteTitle('chaos: Redis restarts mid-job and forgets every delivery', postgres.skipReason),
  () => {
    const apps: App[] = [];
    let redis: OwnRedis | undefined;
    let corpus: CorpusServer | undefined;

    afterEach(async () => {
      await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
      await redis?.close();
      await corpus?.close();
    });

    it('finishes every URL exactly once: the repair gives queued items without a delivery a new one', async () => {
      const database = await postgres.open();
      redis = await startOwnRedis();
      corpus = await startCorpusServer({ hosts: 6, latencyMs: 30, jitterMs: 40, handler: corpusPage });
      const { api, client } = await startCluster(apps, {
        DISTILL_DATABASE_URL: database.url,
        DISTILL_REDIS_URL: redis.url,
      });

      const urls = corpus.urls(URLS);
      const { job } = await client.submit(urls, { maxAge: 0 });
      await waitFor(
        async () => (await client.getJob(job.id)).counts.succeeded >= 60,
        30_000,
        'progress before the restart',
      );

      await redis.kill();
      const before = await client.getJob(job.id);
      // With Redis gone, every delivery is gone: what is still queued can only run through the repair.
      expect(before.counts.queued).toBeGreaterThan(0);
      // The API still answers from the database, and says the queue is away.
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      const report = (await ready.json()) as { checks: Record<string, { ok: boolean; message?: string }> };
      expect(report.checks.queue?.ok).toBe(false);
      expect(report.checks.hostLimiter?.ok).toBe(false);
      expect(report.checks.database?.ok).toBe(true);
      // A job submitted while Redis is away is stored and accepted; the repair delivers it later.
      const lateUrls = corpus.urls(URLS + 20).slice(URLS);
      const late = await client.submit(lateUrls, { maxAge: 0 });
      expect(late.job.counts.queued).toBe(20);

      await redis.start();
      await eventually(
        async () => (await fetch(`${api.url}/readyz`)).status === 200,
        30_000,
        '/readyz to be ready again',
      );
      await eventually(
        async () => (await client.getJob(job.id)).status === 'completed',
        90_000,
        'the job to complete after the restart',
      );
      await eventually(
        async () => (await client.getJob(late.job.id)).status === 'completed',
        60_000,
        'the job submitted while Redis was away to complete',
      );

      await expectExactlyOnce(api.url!, job.id, urls);
      await expectExactlyOnce(api.url!, late.job.id, lateUrls);
      expect(corpus.stats.requests).toBeGreaterThanOrEqual(URLS);
    }, 150_000);

    it('runs items committed without a delivery (a crash between commit and enqueue) exactly once', async () => {
      const database = await postgres.open();
      redis = await startOwnRedis();
      corpus = await startCorpusServer({ hosts: 2, handler: corpusPage });
      const env = {
        DISTILL_DATABASE_URL: database.url,
        DISTILL_REDIS_URL: redis.url,
        DISTILL_HOST_RATE: '100',
        DISTILL_HOST_BURST: '20',
      };
      const api = await startRole('api', env);
      apps.push(api);
      // The job and its items are committed, but the process "dies" before `enqueue`: no delivery exists.
      const urls = corpus.urls(40);
      const { job } = await api.repository.createJob({
        id: randomUUID(),
        options: { ...api.jobDefaults(), maxAgeSeconds: 0 },
        webhook: null,
        idempotencyKey: undefined,
      });
      const { queued } = await api.repository.addItems(
        job.id,
        urls.map((url) => ({ url, reuseDocumentId: undefined })),
      );
      expect(queued).toHaveLength(40);

      // Two workers: one holds the repair lease and gives the items their deliveries.
      apps.push(await startRole('worker', env), await startRole('worker', env));
      await eventually(
        async () => (await api.repository.getJob(job.id))?.status === 'completed',
        30_000,
        'the job to complete',
      );
      await expectExactlyOnce(api.url!, job.id, urls);
    });
  },
);
