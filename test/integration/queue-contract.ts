/**
 * The repository and queue contract, run against every backend: the repository on SQLite,
 * PostgreSQL and MySQL, and each queue (embedded, BullMQ) over each of them. The tests of
 * test/queue/embedded-queue.test.ts are ported here with real time instead of a fake clock (BullMQ
 * keeps time in Redis), so they hold for every combination; that file stays as the fast SQLite
 * unit version.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ClaimedItem, ItemOutcome, ItemRef, JobOptions, Queue } from '../../src/jobs/index.js';
import { BullmqQueue, EmbeddedQueue } from '../../src/queue/index.js';
import type { KyselyJobRepository } from '../../src/storage/index.js';
import { WorkerPool } from '../../src/worker/index.js';
import type { DialectName } from '../../src/storage/index.js';
import {
  databaseBackend,
  redisBackend,
  suiteTitle,
  type RedisBackend,
  type TestConnection,
  type TestDatabase,
} from '../helpers/backends.js';
import { defaultOptions, fakeDocument, waitFor } from '../helpers/store.js';

/** The queue port plus the `settle` this suite proposes for it. */
type SettlingQueue = Queue & { settle(item: ClaimedItem, outcome: ItemOutcome | null): Promise<void> };

interface QueueKind {
  name: 'embedded' | 'bullmq';
  skipReason: string | undefined;
  create(connection: TestConnection, options?: { prefix?: string }): SettlingQueue;
}

const embeddedKind: QueueKind = {
  name: 'embedded',
  skipReason: undefined,
  create: ({ repository }) => new EmbeddedQueue(repository),
};

const bullmqKind = (redis: RedisBackend): QueueKind => ({
  name: 'bullmq',
  skipReason: redis.skipReason,
  create({ repository }, options = {}) {
    const queue = new BullmqQueue({
      connection: redis.url(),
      prefix: options.prefix ?? redis.prefix(),
      repository,
      stalledIntervalMs: 100,
    });
    onTestFinished(() => queue.close());
    return queue;
  },
});

/** Creates a job of `n` URLs on `host` and enqueues its queued items; returns the job id. */
async function seed(
  repository: KyselyJobRepository,
  queue: Queue,
  n: number,
  options: { host?: string; jobOptions?: Partial<JobOptions> } = {},
): Promise<string> {
  const id = crypto.randomUUID();
  await repository.createJob({ id, options: { ...defaultOptions, ...options.jobOptions }, webhook: null });
  const host = options.host ?? 'example.com';
  const { queued } = await repository.addItems(
    id,
    Array.from({ length: n }, (_, i) => ({ url: `https://${host}/page/${i}` })),
  );
  await queue.enqueue(queued);
  return id;
}

/** Claims until something comes (deliveries through BullMQ can take a stalled-check round). */
async function claimEventually(
  queue: Queue,
  max: number,
  leaseMs: number,
  timeoutMs = 5000,
): Promise<ClaimedItem[]> {
  let claimed: ClaimedItem[] = [];
  await waitFor(async () => (claimed = await queue.claim(max, leaseMs)).length > 0, timeoutMs, 'a claim');
  return claimed;
}

async function finish(
  repository: KyselyJobRepository,
  queue: SettlingQueue,
  item: ClaimedItem,
  outcome: ItemOutcome,
): Promise<boolean> {
  const isRecorded = await repository.finishAttempt(item, outcome);
  await queue.settle(item, isRecorded ? outcome : null);
  return isRecorded;
}

const succeeded = (item: ClaimedItem): ItemOutcome => ({
  kind: 'succeeded',
  document: fakeDocument(item.url),
});

/** Defines the repository suite and a queue suite per queue kind for one database backend. */
export async function defineQueueContract(dialect: DialectName): Promise<void> {
  const backend = await databaseBackend(dialect);
  const redis = await redisBackend();
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`job repository on ${backend.name}`, backend.skipReason),
    () => {
      it('collapses duplicate URLs within a batch and across appends', async () => {
        const { repository } = await backend.open();
        await repository.createJob({
          id: 'j1',
          options: { ...defaultOptions, formats: ['text'] },
          webhook: null,
        });
        const first = await repository.addItems('j1', [
          { url: 'https://a.test/1' },
          { url: 'https://a.test/1' },
          { url: 'https://a.test/2' },
        ]);
        expect(first).toMatchObject({ added: 2, duplicates: 1, reused: 0 });
        const second = await repository.addItems('j1', [
          { url: 'https://a.test/2' },
          { url: 'https://a.test/3' },
        ]);
        expect(second).toMatchObject({ added: 1, duplicates: 1 });
        const job = await repository.getJob('j1');
        expect(job).toMatchObject({ total: 3, status: 'queued', counts: { queued: 3 } });
      });

      it('pages through items with a stable cursor and rejects a forged one', async () => {
        const { repository } = await backend.open();
        const jobId = await seed(repository, { enqueue: () => Promise.resolve() } as unknown as Queue, 25);
        const seen: number[] = [];
        let cursor: string | undefined;
        do {
          const page = await repository.listItems(jobId, { limit: 10, cursor });
          seen.push(...page.items.map((i) => i.seq));
          cursor = page.nextCursor ?? undefined;
        } while (cursor);
        expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
        await expect(repository.listItems(jobId, { limit: 10, cursor: 'bm9wZQ' })).rejects.toThrow(/cursor/);
      });

      it('returns one job for an idempotency key, even when two processes race with it', async () => {
        const db = await backend.open();
        const other = db.connect();
        const results = await Promise.all(
          ['x1', 'x2', 'x3', 'x4'].map((id, i) =>
            (i % 2 === 0 ? db.repository : other.repository).createJob({
              id,
              options: defaultOptions,
              webhook: null,
              idempotencyKey: 'k',
            }),
          ),
        );
        expect(results.filter((r) => r.isNew)).toHaveLength(1);
        expect(new Set(results.map((r) => r.job.id)).size).toBe(1);
      });

      it('returns 64-bit columns as numbers and keeps URL keys case-sensitive', async () => {
        const { repository } = await backend.open();
        const jobId = await seed(repository, { enqueue: () => Promise.resolve() } as unknown as Queue, 1);
        const job = await repository.getJob(jobId);
        expect(typeof job?.createdAt).toBe('number');
        const [item] = (await repository.listItems(jobId, { limit: 1 })).items;
        expect(typeof item?.runAfter).toBe('number');
        const depth = await repository.countItemsByState();
        expect(depth.queued).toBe(1);
        // Two URLs differing in case only are two items (keys are hashes compared byte for byte).
        await repository.createJob({ id: 'case', options: defaultOptions, webhook: null });
        expect(
          (await repository.addItems('case', [{ url: 'https://a.test/A' }, { url: 'https://a.test/a' }]))
            .added,
        ).toBe(2);
      });

      it('stores one document per URL when two workers finish it at the same moment', async () => {
        const db = await backend.open();
        const other = db.connect();
        const queue = new EmbeddedQueue(db.repository);
        const a = await seed(db.repository, queue, 1, { host: 'same.test' });
        const b = await seed(db.repository, queue, 1, { host: 'same.test' });
        const [first] = await queue.claim(1, 30_000);
        // Single flight keeps the second from being claimed; force it running as a racing claim would.
        const jobOfSecond = first!.jobId === a ? b : a;
        await db.handle.db
          .updateTable('job_items')
          .set({ state: 'running', lease_token: 't2', attempts: 1, lease_expires_at: Date.now() + 30_000 })
          .where('job_id', '=', jobOfSecond)
          .execute();
        await db.handle.db
          .updateTable('jobs')
          .set({ queued: 0, running: 1, status: 'running' })
          .where('id', '=', jobOfSecond)
          .execute();
        const second: ClaimedItem = { ...first!, jobId: jobOfSecond, seq: 0, token: 't2' };
        const recorded = await Promise.all([
          db.repository.finishAttempt(first!, succeeded(first!)),
          other.repository.finishAttempt(second, succeeded(second)),
        ]);
        expect(recorded).toEqual([true, true]);
        const documents = await db.handle.db.selectFrom('documents').select('id').execute();
        expect(documents).toHaveLength(1);
        const results = await Promise.all([a, b].map((id) => db.repository.listResults(id, { limit: 10 })));
        expect(results.map((r) => r.items[0]?.document.id)).toEqual([documents[0]!.id, documents[0]!.id]);
      });

      it('two processes claiming one job concurrently never share an item, and 500 concurrent finishes keep counters exact', async () => {
        const db = await backend.open({ poolSize: 8 });
        const other = db.connect({ poolSize: 8 });
        const repositories = [db.repository, other.repository];
        const jobId = await seed(
          db.repository,
          { enqueue: () => Promise.resolve() } as unknown as Queue,
          500,
          { host: 'many.test' },
        );
        const claimed: ClaimedItem[] = [];
        // Eight claimers, four per process, each taking small batches until nothing is left.
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const repository = repositories[i % 2]!;
            for (;;) {
              const batch = await repository.claimBatch(7, 60_000);
              if (batch.length === 0) return;
              claimed.push(...batch);
            }
          }),
        );
        const seqs = claimed.map((c) => c.seq).sort((x, y) => x - y);
        expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i));
        expect((await db.repository.getJob(jobId))?.counts).toMatchObject({ queued: 0, running: 500 });

        const outcomes = await Promise.all(
          claimed.map((item, i) => {
            const outcome: ItemOutcome =
              i % 3 === 0
                ? { kind: 'failed', error: { code: 'http_error', message: 'HTTP 404', httpStatus: 404 } }
                : succeeded(item);
            return repositories[i % 2]!.finishAttempt(item, outcome);
          }),
        );
        expect(outcomes.every(Boolean)).toBe(true);
        const job = await db.repository.getJob(jobId);
        const failed = Math.ceil(500 / 3);
        expect(job).toMatchObject({
          status: 'completed',
          counts: { queued: 0, running: 0, succeeded: 500 - failed, failed, cancelled: 0 },
        });
        const completedEvents = await db.handle.db
          .selectFrom('events')
          .select('id')
          .where('type', '=', 'job.completed')
          .where('job_id', '=', jobId)
          .execute();
        expect(completedEvents).toHaveLength(1);
      });

      it('ends each of 200 items finishing at once exactly once, with exact counts, over two jobs (group commit)', async () => {
        const { repository, handle } = await backend.open();
        const noQueue = { enqueue: () => Promise.resolve() } as unknown as Queue;
        const jobA = await seed(repository, noQueue, 120, { host: 'a.group.test' });
        const jobB = await seed(repository, noQueue, 80, { host: 'b.group.test' });
        const claimed: ClaimedItem[] = [];
        for (
          let batch = await repository.claimBatch(50, 60_000);
          batch.length > 0;
          batch = await repository.claimBatch(50, 60_000)
        ) {
          claimed.push(...batch);
        }
        expect(claimed).toHaveLength(200);
        // Every fifth an attempt whose lease another worker holds now (a stale token), every seventh a
        // retry, every third a failure, the rest successes: all submitted in the same instant.
        const outcomeOf = (i: number, item: ClaimedItem): ItemOutcome =>
          i % 7 === 0
            ? { kind: 'retry', error: null, runAfter: Date.now() + 60_000, countsAttempt: false }
            : i % 3 === 0
              ? { kind: 'failed', error: { code: 'http_error', message: 'HTTP 404', httpStatus: 404 } }
              : succeeded(item);
        const recorded = await Promise.all(
          claimed.map((item, i) =>
            repository.finishAttempt(i % 5 === 0 ? { ...item, token: 'stale' } : item, outcomeOf(i, item)),
          ),
        );
        const expected = {
          [jobA]: { queued: 0, running: 0, succeeded: 0, failed: 0 },
          [jobB]: { queued: 0, running: 0, succeeded: 0, failed: 0 },
        };
        claimed.forEach((item, i) => {
          const counts = expected[item.jobId]!;
          expect(recorded[i]).toBe(i % 5 !== 0);
          if (i % 5 === 0) counts.running += 1;
          else if (i % 7 === 0) counts.queued += 1;
          else if (i % 3 === 0) counts.failed += 1;
          else counts.succeeded += 1;
        });
        for (const jobId of [jobA, jobB]) {
          expect((await repository.getJob(jobId))?.counts).toMatchObject(expected[jobId]!);
          const states = await handle.db
            .selectFrom('job_items')
            .select(['state'])
            .where('job_id', '=', jobId)
            .execute();
          const byState = (state: string): number => states.filter((row) => row.state === state).length;
          expect({
            queued: byState('queued'),
            running: byState('running'),
            succeeded: byState('succeeded'),
            failed: byState('failed'),
          }).toEqual(expected[jobId]);
          // One event per success or failure recorded, none for the stale attempts.
          const events = await repository.listEvents({ jobId, afterId: 0, limit: 1000 });
          expect(events.filter((e) => e.type === 'document.extracted')).toHaveLength(
            expected[jobId]!.succeeded,
          );
          expect(events.filter((e) => e.type === 'item.failed')).toHaveLength(expected[jobId]!.failed);
        }
        // The stale attempts' items still run under their real lease and end once when it finishes.
        const late = claimed.filter((_, i) => i % 5 === 0);
        expect(
          await Promise.all(late.map((item) => repository.finishAttempt(item, succeeded(item)))),
        ).toEqual(late.map(() => true));
        expect(
          await Promise.all(late.map((item) => repository.finishAttempt(item, succeeded(item)))),
        ).toEqual(late.map(() => false));
        for (const jobId of [jobA, jobB]) {
          const job = await repository.getJob(jobId);
          expect(job?.counts.running).toBe(0);
          expect(job?.counts.succeeded).toBe(expected[jobId]!.succeeded + expected[jobId]!.running);
        }
        // Finishes were batched: fewer transactions than attempts, none over the bound.
        const stats = repository.attempts.groupCommitStats!;
        expect(stats.batches).toBeLessThan(stats.requests);
        expect(stats.largest).toBeLessThanOrEqual(64);
      });
    },
  );

  for (const kind of [embeddedKind, bullmqKind(redis)]) {
    const skipReason = backend.skipReason ?? kind.skipReason;
    describe.skipIf(skipReason !== undefined)(
      suiteTitle(`${kind.name} queue on ${backend.name}`, skipReason),
      () => {
        async function setup(): Promise<{
          db: TestDatabase;
          repository: KyselyJobRepository;
          queue: SettlingQueue;
        }> {
          const db = await backend.open();
          return { db, repository: db.repository, queue: kind.create(db) };
        }

        it('claims each item once, under a lease, and completes it with its document', async () => {
          const { repository, queue } = await setup();
          const jobId = await seed(repository, queue, 5);
          const first = await queue.claim(3, 30_000);
          const second = await queue.claim(10, 30_000);
          expect(first).toHaveLength(3);
          expect(second).toHaveLength(2);
          expect([...first, ...second].map((i) => i.seq).sort()).toEqual([0, 1, 2, 3, 4]);
          expect(await queue.claim(10, 30_000)).toHaveLength(0);
          for (const item of [...first, ...second]) {
            expect(item.attempt).toBe(1);
            expect(await finish(repository, queue, item, succeeded(item))).toBe(true);
          }
          const job = await repository.getJob(jobId);
          expect(job).toMatchObject({
            status: 'completed',
            counts: { queued: 0, running: 0, succeeded: 5, failed: 0, cancelled: 0 },
          });
          expect(await queue.depth()).toEqual({
            queued: 0,
            running: 0,
            succeeded: 5,
            failed: 0,
            cancelled: 0,
          });
          const results = await repository.listResults(jobId, { limit: 10 });
          expect(results.items.map((r) => r.document.title)).toEqual(
            [0, 1, 2, 3, 4].map((i) => `Title of https://example.com/page/${i}`),
          );
        });

        it('delivers an item enqueued twice only once', async () => {
          const { repository, queue } = await setup();
          const jobId = await seed(repository, queue, 3);
          await queue.enqueue([0, 1, 2].map((seq): ItemRef => ({ jobId, seq })));
          const claimed = await queue.claim(10, 30_000);
          expect(claimed.map((i) => i.seq).sort()).toEqual([0, 1, 2]);
          expect(await queue.claim(10, 30_000)).toHaveLength(0);
        });

        it('refuses the outcome of a worker whose lease expired and was taken over', async () => {
          const { repository, queue } = await setup();
          const jobId = await seed(repository, queue, 1);
          const [stale] = await queue.claim(1, 300);
          await new Promise((r) => setTimeout(r, 400));
          expect(await queue.reclaimExpired()).toBe(1);
          const [fresh] = await claimEventually(queue, 1, 30_000);
          expect(fresh!.seq).toBe(stale!.seq);
          expect(fresh!.token).not.toBe(stale!.token);
          expect(fresh!.attempt).toBe(2);
          // The old holder wakes up and tries to report: nothing changes.
          expect(
            await finish(repository, queue, stale!, {
              kind: 'failed',
              error: { code: 'timeout', message: 'late' },
            }),
          ).toBe(false);
          expect(await queue.renewLease(stale!, 30_000)).toBe(false);
          expect(await queue.renewLease(fresh!, 30_000)).toBe(true);
          expect(await finish(repository, queue, fresh!, succeeded(fresh!))).toBe(true);
          expect((await repository.getJob(jobId))?.counts).toMatchObject({
            succeeded: 1,
            failed: 0,
            running: 0,
          });
          expect(await queue.claim(1, 30_000)).toHaveLength(0);
        });

        it('renews many leases in one batch and names exactly the ones lost', async () => {
          const { repository, queue } = await setup();
          const jobId = await seed(repository, queue, 3);
          await queue.enqueue([0, 1, 2].map((seq): ItemRef => ({ jobId, seq })));
          const held = await queue.claim(3, 300);
          expect(held).toHaveLength(3);
          // Renewed before it expires, the lease of 0 and 1 outlives the short one of 2, which is taken over.
          const [kept0, kept1, lostOne] = [...held].sort((a, b) => a.seq - b.seq) as [
            ClaimedItem,
            ClaimedItem,
            ClaimedItem,
          ];
          expect(await queue.renewLeases([kept0, kept1], 30_000)).toEqual([]);
          await new Promise((r) => setTimeout(r, 400));
          expect(await queue.reclaimExpired()).toBe(1);
          const [takenOver] = await claimEventually(queue, 1, 30_000);
          expect(takenOver!.seq).toBe(lostOne.seq);
          expect(await queue.renewLeases([kept0, lostOne, kept1], 30_000)).toEqual([lostOne]);
          for (const item of [kept0, kept1, takenOver!])
            expect(await finish(repository, queue, item, succeeded(item))).toBe(true);
          expect((await repository.getJob(jobId))?.counts).toMatchObject({ succeeded: 3, running: 0 });
        });

        it('fails an item whose worker died on every attempt instead of looping forever', async () => {
          const { repository, queue } = await setup();
          const jobId = await seed(repository, queue, 1, { jobOptions: { maxAttempts: 2 } });
          for (let i = 0; i < 2; i++) {
            expect(await claimEventually(queue, 1, 200)).toHaveLength(1);
            await new Promise((r) => setTimeout(r, 250));
            await queue.reclaimExpired();
          }
          const items = await repository.listItems(jobId, { limit: 10 });
          expect(items.items[0]).toMatchObject({
            state: 'failed',
            attempts: 2,
            error: { code: 'lease_expired' },
          });
          expect((await repository.getJob(jobId))?.status).toBe('completed');
        });

        it('does not hand out an item before its run-after time', async () => {
          const { repository, queue } = await setup();
          await seed(repository, queue, 1);
          const [item] = await queue.claim(1, 30_000);
          // Far enough ahead that a loaded machine still claims before it (it failed at 400 ms in CI).
          const retryAt = Date.now() + 2000;
          await finish(repository, queue, item!, {
            kind: 'retry',
            error: { code: 'timeout', message: 'slow' },
            runAfter: retryAt,
            countsAttempt: true,
          });
          expect(await queue.claim(1, 30_000)).toHaveLength(0);
          const [again] = await claimEventually(queue, 1, 30_000, 15_000);
          expect(Date.now()).toBeGreaterThanOrEqual(retryAt);
          expect(again?.attempt).toBe(2);
        });

        it('serves a small job submitted behind a large one on the next claim', async () => {
          const { repository, queue } = await setup();
          const big = await seed(repository, queue, 2000, { host: 'big.test' });
          const small = await seed(repository, queue, 10, { host: 'small.test' });
          const claimed = await queue.claim(8, 30_000);
          const perJob = new Map<string, number>();
          for (const item of claimed) perJob.set(item.jobId, (perJob.get(item.jobId) ?? 0) + 1);
          expect(perJob.get(big)).toBe(4);
          expect(perJob.get(small)).toBe(4);
          const next = await queue.claim(2, 30_000);
          expect(new Set(next.map((i) => i.jobId))).toEqual(new Set([big, small]));
        });

        it('cancels every queued item of a job and nothing of another job', async () => {
          const { repository, queue } = await setup();
          const a = await seed(repository, queue, 20, { host: 'a.test' });
          const b = await seed(repository, queue, 5, { host: 'b.test' });
          const running = await queue.claim(2, 30_000);
          const { cancelledItems, job } = await repository.cancelJob(a);
          expect(cancelledItems).toBe(20 - running.filter((i) => i.jobId === a).length);
          expect(job?.status).toBe('cancelled');
          expect(await repository.cancelledJobIds([a, b])).toEqual(new Set([a]));
          const rest = await queue.claim(100, 30_000);
          expect(rest.every((i) => i.jobId === b)).toBe(true);
          expect(rest).toHaveLength(5 - running.filter((i) => i.jobId === b).length);
          expect((await repository.cancelJob(a)).cancelledItems).toBe(0);
        });

        it('fetches a URL wanted by two jobs once and gives both the document (single flight)', async () => {
          const { repository, queue } = await setup();
          const a = await seed(repository, queue, 1, { host: 'shared.test' });
          const b = await seed(repository, queue, 1, { host: 'shared.test' });
          const claimed = await queue.claim(10, 30_000);
          expect(claimed).toHaveLength(1);
          await finish(repository, queue, claimed[0]!, succeeded(claimed[0]!));
          expect((await repository.getJob(a))?.status).toBe('completed');
          expect((await repository.getJob(b))?.status).toBe('completed');
          const [resultsA, resultsB] = await Promise.all(
            [a, b].map((id) => repository.listResults(id, { limit: 10 })),
          );
          expect(resultsB!.items[0]?.document.id).toBe(resultsA!.items[0]?.document.id);
          // Each job tells its consumers about its document, the one that did not fetch it too.
          for (const [jobId, isReused] of [
            [a, false],
            [b, true],
          ] as const) {
            const events = await repository.listEvents({ jobId, afterId: 0, limit: 10 });
            expect(events.map((e) => e.type)).toEqual(['job.created', 'document.extracted', 'job.completed']);
            expect(events[1]!.payload).toMatchObject({
              documentId: resultsA!.items[0]?.document.id,
              ...(isReused ? { reused: true } : {}),
            });
          }
        });

        it('runs a job to the end through a WorkerPool, retries included', async () => {
          const { repository, queue } = await setup();
          const jobId = await seed(repository, queue, 30, { jobOptions: { maxAttempts: 3 } });
          const runs = new Map<number, number>();
          // Prototype of the proposed pool change: settle the queue after a recorded outcome.
          const pool = new WorkerPool({
            queue,
            repository: {
              finishAttempt: (item, outcome) => finish(repository, queue, item, outcome),
              cancelledJobIds: (ids) => repository.cancelledJobIds(ids),
            },
            concurrency: 6,
            pollIntervalMs: 20,
            backoff: { baseMs: 20, maxMs: 60 },
            task: (item) => {
              runs.set(item.seq, (runs.get(item.seq) ?? 0) + 1);
              if (item.seq % 5 === 0 && item.attempt === 1) return Promise.reject(new Error('flaky'));
              return Promise.resolve(succeeded(item));
            },
          });
          onTestFinished(() => pool.stop());
          pool.start();
          await waitFor(
            async () => (await repository.getJob(jobId))?.status === 'completed',
            15_000,
            'the job',
          );
          await pool.stop();
          expect((await repository.getJob(jobId))?.counts).toEqual({
            queued: 0,
            running: 0,
            succeeded: 30,
            failed: 0,
            cancelled: 0,
          });
          expect([...runs.entries()].filter(([seq]) => seq % 5 === 0).every(([, n]) => n === 2)).toBe(true);
          expect([...runs.entries()].filter(([seq]) => seq % 5 !== 0).every(([, n]) => n === 1)).toBe(true);
        });

        if (kind.name === 'bullmq') {
          it('runs the items of a worker that died exactly once more, through the stalled check', async () => {
            const db = await backend.open();
            const prefix = redis.prefix();
            const dying = kind.create(db, { prefix });
            const survivor = kind.create(db.connect(), { prefix });
            const jobId = await seed(db.repository, dying, 6);
            const lost = await dying.claim(3, 300);
            expect(lost).toHaveLength(3);
            // The process dies: its connections close, nothing is settled, locks and leases run out.
            await dying.close();
            const runs = new Map<number, number>();
            const deadline = Date.now() + 8000;
            while ((await db.repository.getJob(jobId))?.status !== 'completed') {
              if (Date.now() > deadline) throw new Error('the job did not complete');
              await survivor.reclaimExpired();
              for (const item of await survivor.claim(10, 30_000)) {
                runs.set(item.seq, (runs.get(item.seq) ?? 0) + 1);
                await finish(db.repository, survivor, item, succeeded(item));
              }
              await new Promise((r) => setTimeout(r, 20));
            }
            expect([...runs.keys()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
            expect([...runs.values()].every((n) => n === 1)).toBe(true);
            const items = (await db.repository.listItems(jobId, { limit: 10 })).items;
            const lostSeqs = new Set(lost.map((i) => i.seq));
            expect(items.map((i) => i.attempts)).toEqual(items.map((i) => (lostSeqs.has(i.seq) ? 2 : 1)));
            // Nothing is left to deliver: every BullMQ job was removed once its item was final.
            await new Promise((r) => setTimeout(r, 400));
            expect(await survivor.claim(10, 30_000)).toHaveLength(0);
          });
        }
      },
    );
  }
}
