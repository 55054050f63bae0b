import { afterEach, describe, expect, it } from 'vitest';
import { createDeferred, type Deferred } from '../../src/lib/index.js';
import { BodyHandOff, WorkerPool, type TaskFunction } from '../../src/worker/index.js';
import { createTestStore, fakeDocument, seedJob, waitFor, type TestStore } from '../helpers/store.js';

/** A few turns of the event loop: room for the claim loop to claim, were it going to. */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('the hand-off between fetching and extraction (a byte budget)', () => {
  let store: TestStore | undefined;
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.stop();
    await store?.close();
    pool = undefined;
    store = undefined;
  });

  it('frees the fetch slot of a handed-off body, pauses fetching while the budget is full, and resumes as bodies leave', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 12);
    const handOff = new BodyHandOff({ maxBytes: 100_000, minChargeBytes: 1 });
    let fetched = 0;
    // A slow extractor: each fetched body waits until the test lets its extraction end.
    const extractions: Array<Deferred<void>> = [];
    const task: TaskFunction = async (item, context) => {
      fetched++;
      context.handOff?.(50_000);
      const extraction = createDeferred<void>();
      extractions.push(extraction);
      await extraction.promise;
      return { kind: 'succeeded', document: fakeDocument(item.url) };
    };
    pool = new WorkerPool({
      queue: store.queue,
      repository: store.repository,
      task,
      concurrency: 3,
      pollIntervalMs: 10,
      handOff,
    });
    pool.start();

    // Three slots fetch three bodies (150,000 bytes): the budget is full and no slot fetches, though all are free.
    await waitFor(() => fetched === 3 && pool!.isFetchingPaused, 10_000, 'the budget to fill');
    pool.notify();
    await turns();
    expect(fetched).toBe(3);
    expect(pool.fetchingCount).toBe(0);
    expect(pool.inFlightCount).toBe(3);
    expect(handOff.stats()).toMatchObject({ bytes: 150_000, bodies: 3, pauses: 1 });
    expect((await store.repository.getJob(jobId))?.counts.queued).toBe(9);

    // One extraction ends: 100,000 bytes are still held, the budget still full.
    extractions.shift()!.resolve();
    await waitFor(() => pool!.inFlightCount === 2, 10_000, 'the first item to finish');
    await turns();
    expect(fetched).toBe(3);

    // A second ends: 50,000 bytes, under the budget. Fetching resumes (three free slots) and fills it again.
    extractions.shift()!.resolve();
    await waitFor(
      () => fetched === 6 && pool!.isFetchingPaused,
      10_000,
      'fetching to resume and the budget to fill again',
    );
    await turns();
    expect(fetched).toBe(6);
    expect(handOff.stats()).toMatchObject({ bytes: 200_000, bodies: 4, pauses: 2 });

    // Every extraction lets go: the rest of the job runs through and nothing stays held.
    const release = setInterval(() => extractions.splice(0).forEach((extraction) => extraction.resolve()), 5);
    try {
      await waitFor(
        async () => (await store!.repository.getJob(jobId))?.status === 'completed',
        15_000,
        'the job to complete',
      );
    } finally {
      clearInterval(release);
    }
    expect((await store.repository.getJob(jobId))?.counts.succeeded).toBe(12);
    expect(fetched).toBe(12);
    await pool.onIdle();
    expect(handOff.stats()).toMatchObject({ bytes: 0, bodies: 0 });
  });

  it('without a budget, an item keeps its slot until it ends', async () => {
    store = await createTestStore();
    await seedJob(store.repository, 6);
    let fetched = 0;
    const extractions: Array<Deferred<void>> = [];
    const task: TaskFunction = async (item, context) => {
      fetched++;
      expect(context.handOff).toBeUndefined();
      const extraction = createDeferred<void>();
      extractions.push(extraction);
      await extraction.promise;
      return { kind: 'succeeded', document: fakeDocument(item.url) };
    };
    pool = new WorkerPool({
      queue: store.queue,
      repository: store.repository,
      task,
      concurrency: 2,
      pollIntervalMs: 10,
    });
    pool.start();
    await waitFor(() => fetched === 2, 10_000, 'two items to start');
    await turns();
    expect(fetched).toBe(2);
    expect(pool.fetchingCount).toBe(2);
    const release = setInterval(() => extractions.splice(0).forEach((extraction) => extraction.resolve()), 5);
    try {
      await waitFor(() => fetched === 6 && pool!.inFlightCount === 0, 15_000, 'every item');
    } finally {
      clearInterval(release);
    }
  });

  it('counts a body for at least its minimum charge and refuses a budget that is not a positive integer', () => {
    const handOff = new BodyHandOff({ maxBytes: 40_000, minChargeBytes: 16_384 });
    const releaseEmpty = handOff.admit(0);
    const releaseLarge = handOff.admit(30_000);
    expect(handOff.stats()).toMatchObject({ bytes: 46_384, bodies: 2 });
    expect(handOff.isFull).toBe(true);
    releaseLarge();
    releaseLarge();
    expect(handOff.stats()).toMatchObject({ bytes: 16_384, bodies: 1 });
    expect(handOff.isFull).toBe(false);
    releaseEmpty();
    expect(() => new BodyHandOff({ maxBytes: 0 })).toThrow(TypeError);
  });
});
