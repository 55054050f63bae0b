import { afterEach, describe, expect, it } from 'vitest';
import { createTestStore, fakeDocument, FakeClock, seedJob, type TestStore } from '../helpers/store.js';

describe('embedded queue and job repository', () => {
  let store: TestStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  it('collapses duplicate URLs within a batch and across appends', async () => {
    store = await createTestStore();
    const { repository } = store;
    await repository.createJob({
      id: 'j1',
      options: { maxAgeSeconds: 0, formats: ['text'], timeoutMs: 1000, maxAttempts: 3 },
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
    expect(job?.total).toBe(3);
    expect(job?.counts.queued).toBe(3);
    expect(job?.status).toBe('queued');
  });

  it('claims each item once, under a lease, and completes it with its document', async () => {
    const clock = new FakeClock();
    store = await createTestStore({ clock });
    const jobId = await seedJob(store.repository, 5);
    const first = await store.queue.claim(3, 30_000);
    const second = await store.queue.claim(10, 30_000);
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(2);
    const seqs = [...first, ...second].map((i) => i.seq).sort();
    expect(seqs).toEqual([0, 1, 2, 3, 4]);
    expect(await store.queue.claim(10, 30_000)).toHaveLength(0);
    for (const item of [...first, ...second]) {
      expect(item.attempt).toBe(1);
      expect(
        await store.repository.finishAttempt(item, { kind: 'succeeded', document: fakeDocument(item.url) }),
      ).toBe(true);
    }
    const job = await store.repository.getJob(jobId);
    expect(job?.status).toBe('completed');
    expect(job?.counts).toEqual({ queued: 0, running: 0, succeeded: 5, failed: 0, cancelled: 0 });
    const results = await store.repository.listResults(jobId, { limit: 10 });
    expect(results.items.map((r) => r.document.title)).toEqual(
      [0, 1, 2, 3, 4].map((i) => `Title of https://example.com/page/${i}`),
    );
  });

  it('refuses the outcome of a worker whose lease expired and was taken over', async () => {
    const clock = new FakeClock();
    store = await createTestStore({ clock });
    const jobId = await seedJob(store.repository, 1);
    const [stale] = await store.queue.claim(1, 1000);
    clock.advance(1001);
    expect(await store.queue.reclaimExpired()).toBe(1);
    const [fresh] = await store.queue.claim(1, 30_000);
    expect(fresh!.seq).toBe(stale!.seq);
    expect(fresh!.token).not.toBe(stale!.token);
    expect(fresh!.attempt).toBe(2);
    // The old holder wakes up and tries to report: nothing changes.
    expect(
      await store.repository.finishAttempt(stale!, {
        kind: 'failed',
        error: { code: 'timeout', message: 'late' },
      }),
    ).toBe(false);
    expect(await store.queue.renewLease(stale!, 30_000)).toBe(false);
    expect(await store.queue.renewLease(fresh!, 30_000)).toBe(true);
    expect(
      await store.repository.finishAttempt(fresh!, { kind: 'succeeded', document: fakeDocument(fresh!.url) }),
    ).toBe(true);
    const job = await store.repository.getJob(jobId);
    expect(job?.counts).toMatchObject({ succeeded: 1, failed: 0, running: 0 });
  });

  it('fails an item whose worker died on every attempt instead of looping forever', async () => {
    const clock = new FakeClock();
    store = await createTestStore({ clock });
    const jobId = await seedJob(store.repository, 1, { jobOptions: { maxAttempts: 2 } });
    for (let i = 0; i < 2; i++) {
      expect(await store.queue.claim(1, 1000)).toHaveLength(1);
      clock.advance(1001);
      await store.queue.reclaimExpired();
    }
    const items = await store.repository.listItems(jobId, { limit: 10 });
    expect(items.items[0]).toMatchObject({ state: 'failed', attempts: 2, error: { code: 'lease_expired' } });
  });

  it('does not hand out an item before its run-after time', async () => {
    const clock = new FakeClock();
    store = await createTestStore({ clock });
    await seedJob(store.repository, 1);
    const [item] = await store.queue.claim(1, 30_000);
    await store.repository.finishAttempt(item!, {
      kind: 'retry',
      error: { code: 'timeout', message: 'slow' },
      runAfter: clock.now() + 5000,
      countsAttempt: true,
    });
    expect(await store.queue.claim(1, 30_000)).toHaveLength(0);
    clock.advance(5000);
    const [again] = await store.queue.claim(1, 30_000);
    expect(again?.attempt).toBe(2);
  });

  it('serves a small job submitted behind a large one on the next claim (round-robin)', async () => {
    store = await createTestStore();
    const big = await seedJob(store.repository, 2000, { host: 'big.test' });
    const small = await seedJob(store.repository, 10, { host: 'small.test' });
    const claimed = await store.queue.claim(8, 30_000);
    const perJob = new Map<string, number>();
    for (const item of claimed) perJob.set(item.jobId, (perJob.get(item.jobId) ?? 0) + 1);
    expect(perJob.get(big)).toBe(4);
    expect(perJob.get(small)).toBe(4);
    // And it keeps alternating: the next claim starts with the job served longest ago.
    const next = await store.queue.claim(2, 30_000);
    expect(new Set(next.map((i) => i.jobId))).toEqual(new Set([big, small]));
  });

  it('cancels every queued item of a job and nothing of another job', async () => {
    store = await createTestStore();
    const a = await seedJob(store.repository, 20, { host: 'a.test' });
    const b = await seedJob(store.repository, 5, { host: 'b.test' });
    const running = await store.queue.claim(2, 30_000);
    const { cancelledItems, job } = await store.repository.cancelJob(a);
    const runningInA = running.filter((i) => i.jobId === a).length;
    expect(cancelledItems).toBe(20 - runningInA);
    expect(job?.status).toBe('cancelled');
    expect(await store.repository.cancelledJobIds([a, b])).toEqual(new Set([a]));
    const rest = await store.queue.claim(100, 30_000);
    expect(rest.every((i) => i.jobId === b)).toBe(true);
    // Cancelling again changes nothing.
    expect((await store.repository.cancelJob(a)).cancelledItems).toBe(0);
  });

  it('fetches a URL wanted by two jobs once and gives both the document (single flight)', async () => {
    store = await createTestStore();
    const a = await seedJob(store.repository, 1, { host: 'shared.test' });
    const b = await seedJob(store.repository, 1, { host: 'shared.test' });
    const claimed = await store.queue.claim(10, 30_000);
    expect(claimed).toHaveLength(1);
    await store.repository.finishAttempt(claimed[0]!, {
      kind: 'succeeded',
      document: fakeDocument(claimed[0]!.url),
    });
    const [jobA, jobB] = [await store.repository.getJob(a), await store.repository.getJob(b)];
    expect(jobA?.status).toBe('completed');
    expect(jobB?.status).toBe('completed');
    const resultsB = await store.repository.listResults(b, { limit: 10 });
    const resultsA = await store.repository.listResults(a, { limit: 10 });
    expect(resultsB.items[0]?.document.id).toBe(resultsA.items[0]?.document.id);
  });

  it('pages through items with a stable cursor and rejects a forged one', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 25);
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.repository.listItems(jobId, { limit: 10, cursor });
      seen.push(...page.items.map((i) => i.seq));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => i));
    await expect(store.repository.listItems(jobId, { limit: 10, cursor: 'bm9wZQ' })).rejects.toThrow(
      /cursor/,
    );
  });

  it('returns the same job for a repeated idempotency key', async () => {
    store = await createTestStore();
    const options = { maxAgeSeconds: 0, formats: ['text' as const], timeoutMs: 1000, maxAttempts: 3 };
    const first = await store.repository.createJob({ id: 'x1', options, webhook: null, idempotencyKey: 'k' });
    const second = await store.repository.createJob({
      id: 'x2',
      options,
      webhook: null,
      idempotencyKey: 'k',
    });
    expect(first.isNew).toBe(true);
    expect(second).toMatchObject({ isNew: false, job: { id: 'x1' } });
  });

  it('ends cancelled, not queued forever, an item of a cancelled job whose worker died', async () => {
    const clock = new FakeClock();
    store = await createTestStore({ clock });
    const jobId = await seedJob(store.repository, 1);
    await store.queue.claim(1, 1000);
    await store.repository.cancelJob(jobId);
    clock.advance(1001);
    expect(await store.queue.reclaimExpired()).toBe(1);
    const job = await store.repository.getJob(jobId);
    expect(job).toMatchObject({ status: 'cancelled', counts: { queued: 0, running: 0, cancelled: 1 } });
  });

  it('writes job.completed as the last event of a job', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 2);
    const [a, b] = await store.queue.claim(2, 30_000);
    await store.repository.finishAttempt(a!, { kind: 'succeeded', document: fakeDocument(a!.url) });
    await store.repository.finishAttempt(b!, {
      kind: 'failed',
      error: { code: 'http_error', message: 'HTTP 404' },
    });
    const events = await store.repository.listEvents({ jobId, afterId: 0, limit: 10 });
    expect(events.map((e) => e.type)).toEqual([
      'job.created',
      'document.extracted',
      'item.failed',
      'job.completed',
    ]);
  });
});
