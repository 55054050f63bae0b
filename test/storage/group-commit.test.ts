/**
 * Group commit of finished attempts (src/storage/group-commit.ts) on a real SQLite file: what a
 * user would notice if it went wrong. One write that fails must not take the other attempts of its
 * batch with it, and a batch that cannot commit must leave nothing half-written: its items still
 * run under their leases, and once those expire they run again and end exactly once.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedItem, ItemOutcome } from '../../src/jobs/index.js';
import { createTestStore, fakeDocument, FakeClock, seedJob, type TestStore } from '../helpers/store.js';

const succeeded = (item: ClaimedItem): ItemOutcome => ({
  kind: 'succeeded',
  document: fakeDocument(item.url),
});

let store: TestStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function claimAll(s: TestStore, leaseMs = 60_000): Promise<ClaimedItem[]> {
  const claimed: ClaimedItem[] = [];
  for (
    let batch = await s.repository.claimBatch(50, leaseMs);
    batch.length > 0;
    batch = await s.repository.claimBatch(50, leaseMs)
  ) {
    claimed.push(...batch);
  }
  return claimed;
}

describe('group commit of finished items', () => {
  it('a write that fails in a batch fails alone: the other outcomes of the batch are kept', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 100, { host: 'batch.test' });
    const claimed = await claimAll(store);
    expect(claimed).toHaveLength(100);
    // The database refuses to record item 13's success, as a full disk or a constraint would.
    await sql`create trigger refuse_13 before update on job_items when new.seq = 13 and new.state = 'succeeded'
      begin select raise(abort, 'refused'); end`.execute(store.handle.db);
    const results = await Promise.allSettled(
      claimed.map((item) => store!.repository.finishAttempt(item, succeeded(item))),
    );
    claimed.forEach((item, i) => {
      if (item.seq === 13)
        expect(results[i]).toMatchObject({
          status: 'rejected',
          reason: { message: expect.stringMatching(/refused/) },
        });
      else expect(results[i]).toEqual({ status: 'fulfilled', value: true });
    });
    expect((await store.repository.getJob(jobId))?.counts).toMatchObject({
      queued: 0,
      running: 1,
      succeeded: 99,
      failed: 0,
    });
    expect(store.repository.attempts.groupCommitStats?.failedBatches).toBeGreaterThanOrEqual(1);

    // Item 13 is still running under its lease: once the database takes it, it ends, and so does the job.
    await sql`drop trigger refuse_13`.execute(store.handle.db);
    const thirteen = claimed.find((item) => item.seq === 13)!;
    expect(await store.repository.finishAttempt(thirteen, succeeded(thirteen))).toBe(true);
    expect(await store.repository.getJob(jobId)).toMatchObject({
      status: 'completed',
      counts: { running: 0, succeeded: 100 },
    });
    const documents = await store.handle.db.selectFrom('documents').select('id').execute();
    expect(documents).toHaveLength(100);
  });

  it('a batch that cannot commit leaves nothing half-written, and its items run again and end once', async () => {
    const clock = new FakeClock(Date.now());
    store = await createTestStore({ clock });
    const jobId = await seedJob(store.repository, 60, { host: 'crash.test' });
    const claimed = await claimAll(store, 30_000);
    // The counters' write comes last in a batch; refusing it fails every transaction after the
    // items' rows and documents were written, as a crash before COMMIT would.
    await sql`create trigger refuse_counts before update on jobs begin select raise(abort, 'no commit'); end`.execute(
      store.handle.db,
    );
    const results = await Promise.allSettled(
      claimed.map((item) => store!.repository.finishAttempt(item, succeeded(item))),
    );
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    await sql`drop trigger refuse_counts`.execute(store.handle.db);

    // Nothing of the rolled-back batches shows: no document, no item event, every item still running.
    expect(await store.handle.db.selectFrom('documents').select('id').execute()).toHaveLength(0);
    const before = await store.repository.listEvents({ jobId, afterId: 0, limit: 100 });
    expect(before.filter((e) => e.type === 'document.extracted' || e.type === 'job.completed')).toHaveLength(
      0,
    );
    expect((await store.repository.getJob(jobId))?.counts).toMatchObject({
      queued: 0,
      running: 60,
      succeeded: 0,
    });

    // The leases run out, the items are queued again, and a second worker ends each exactly once.
    clock.advance(31_000);
    expect(await store.repository.reclaimExpired()).toBe(60);
    const again = await claimAll(store);
    expect(again.map((item) => item.seq).sort((a, b) => a - b)).toEqual(
      claimed.map((item) => item.seq).sort((a, b) => a - b),
    );
    expect(
      await Promise.all(again.map((item) => store!.repository.finishAttempt(item, succeeded(item)))),
    ).toEqual(again.map(() => true));
    // The first worker's late answers are refused: their leases are gone.
    expect(
      await Promise.all(claimed.map((item) => store!.repository.finishAttempt(item, succeeded(item)))),
    ).toEqual(claimed.map(() => false));
    expect(await store.repository.getJob(jobId)).toMatchObject({
      status: 'completed',
      counts: { running: 0, succeeded: 60 },
    });
    const events = await store.repository.listEvents({ jobId, afterId: 0, limit: 1000 });
    expect(events.filter((e) => e.type === 'document.extracted')).toHaveLength(60);
    expect(events.filter((e) => e.type === 'job.completed')).toHaveLength(1);
    expect(events.at(-1)?.type).toBe('job.completed');
  });
});
