import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedItem, ItemOutcome } from '../../src/jobs/index.js';
import { PermanentError, RetryableError, createDeferred, sleep, type Deferred } from '../../src/lib/index.js';
import { WorkerPool, type TaskFunction } from '../../src/worker/index.js';
import { createTestStore, fakeDocument, seedJob, waitFor, type TestStore } from '../helpers/store.js';

const succeed: TaskFunction = (item) =>
  Promise.resolve({ kind: 'succeeded', document: fakeDocument(item.url) });

describe('WorkerPool', () => {
  let store: TestStore | undefined;
  let pool: WorkerPool | undefined;
  afterEach(async () => {
    await pool?.stop();
    await store?.close();
    pool = undefined;
    store = undefined;
  });

  function makePool(
    task: TaskFunction,
    options: Partial<ConstructorParameters<typeof WorkerPool>[0]> = {},
  ): WorkerPool {
    pool = new WorkerPool({
      queue: store!.queue,
      repository: store!.repository,
      task,
      pollIntervalMs: 10,
      backoff: { baseMs: 10, maxMs: 50 },
      ...options,
    });
    return pool;
  }

  async function jobDone(jobId: string): Promise<void> {
    await waitFor(
      async () => (await store!.repository.getJob(jobId))?.status === 'completed',
      15_000,
      `job ${jobId}`,
    );
  }

  it('never runs more than `concurrency` items at once', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 60);
    let inFlight = 0;
    let maxInFlight = 0;
    makePool(
      async (item) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await sleep(2 + (item.seq % 5));
        inFlight--;
        return { kind: 'succeeded', document: fakeDocument(item.url) };
      },
      { concurrency: 4 },
    ).start();
    await jobDone(jobId);
    expect(maxInFlight).toBe(4);
    expect((await store.repository.getJob(jobId))?.counts.succeeded).toBe(60);
  });

  it('with `auto` concurrency, adds slots while every one is busy, and gives them up when extraction falls behind', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 200);
    const held: Array<Deferred<void>> = [];
    let backlog = 0;
    const steps: Array<{ level: number; reason: string }> = [];
    makePool(
      async (item) => {
        const gate = createDeferred<void>();
        held.push(gate);
        await gate.promise;
        return { kind: 'succeeded', document: fakeDocument(item.url) };
      },
      {
        concurrency: 'auto',
        adjustIntervalMs: 20,
        autoConcurrency: {
          min: 4,
          max: 40,
          initial: 4,
          signals: { extractionBacklog: () => backlog, extractionThreads: () => 2 },
        },
        onConcurrencyStep: (step) => steps.push(step),
      },
    ).start();
    // Every slot is held: the level climbs to the ceiling and the pool fills the new slots.
    await waitFor(() => pool!.concurrency === 40 && held.length === 40, 10_000, 'the pool at its ceiling');
    expect(pool!.inFlightCount).toBe(40);
    expect(steps.some((s) => s.reason === 'saturated')).toBe(true);

    // Extraction falls behind: the level comes down, and as items finish no new ones start above it.
    backlog = 50;
    await waitFor(() => pool!.concurrency === 4, 10_000, 'the pool at its floor');
    expect(steps.at(-1)).toMatchObject({ level: 4, reason: 'extraction_backlog' });
    const before = held.length;
    for (const gate of held.splice(0, 30)) gate.resolve();
    await waitFor(() => pool!.inFlightCount === 10, 10_000, 'thirty items to finish');
    expect(held.length + 30).toBe(before); // nothing new was claimed above the level
    backlog = 0;
    const release = setInterval(() => held.splice(0).forEach((gate) => gate.resolve()), 5);
    await jobDone(jobId);
    clearInterval(release);
    expect((await store.repository.getJob(jobId))?.counts.succeeded).toBe(200);
  });

  it('refuses `auto` concurrency without its signals', () => {
    expect(
      () =>
        new WorkerPool({ queue: {} as never, repository: {} as never, task: succeed, concurrency: 'auto' }),
    ).toThrow(/autoConcurrency/);
  });

  it('retries a retryable failure with backoff, then fails with the last error after maxAttempts', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 1, { jobOptions: { maxAttempts: 3 } });
    const attempts: Array<{ attempt: number; at: number }> = [];
    makePool((item) => {
      attempts.push({ attempt: item.attempt, at: Date.now() });
      return Promise.reject(new RetryableError('timeout', `attempt ${item.attempt} timed out`));
    }).start();
    await jobDone(jobId);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // Backoff: each retry waited at least half its exponential delay (10 ms, then 20 ms).
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(5);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(10);
    const [item] = (await store.repository.listItems(jobId, { limit: 1 })).items;
    expect(item).toMatchObject({
      state: 'failed',
      attempts: 3,
      error: { code: 'timeout', message: 'attempt 3 timed out' },
    });
  });

  it('fails a permanent error at once and keeps running other items after a task throws anything', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 3, { jobOptions: { maxAttempts: 2 } });
    makePool((item) => {
      if (item.seq === 0) return Promise.reject(new PermanentError('http_error', 'HTTP 404'));
      if (item.seq === 1) throw new TypeError('a bug in the task');
      return succeed(item, { signal: new AbortController().signal });
    }).start();
    await jobDone(jobId);
    const items = (await store.repository.listItems(jobId, { limit: 10 })).items;
    expect(items.map((i) => [i.state, i.attempts, i.error?.code ?? null])).toEqual([
      ['failed', 1, 'http_error'],
      ['failed', 2, 'internal_error'],
      ['succeeded', 1, null],
    ]);
  });

  it('aborts running items of a cancelled job promptly and records them cancelled', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 10);
    const started: string[] = [];
    makePool(
      (item, { signal }) => {
        started.push(item.url);
        return new Promise<ItemOutcome>((_resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
        });
      },
      { concurrency: 3, cancelCheckMs: 20 },
    ).start();
    await waitFor(() => started.length === 3);
    await store.repository.cancelJob(jobId);
    await waitFor(
      async () => (await store!.repository.getJob(jobId))?.counts.running === 0,
      5000,
      'running items to end',
    );
    const job = await store.repository.getJob(jobId);
    expect(job).toMatchObject({
      status: 'cancelled',
      counts: { queued: 0, running: 0, cancelled: 10, succeeded: 0 },
    });
  });

  it('stops gracefully: lets in-flight items finish, claims nothing more', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 10);
    const gates: Deferred<void>[] = [];
    makePool(
      async (item) => {
        const gate = createDeferred();
        gates.push(gate);
        await gate.promise;
        return { kind: 'succeeded', document: fakeDocument(item.url) };
      },
      { concurrency: 2 },
    ).start();
    await waitFor(() => gates.length === 2);
    const stopping = pool!.stop();
    expect(pool!.stop()).toBe(stopping);
    for (const gate of gates) gate.resolve();
    await stopping;
    const job = await store.repository.getJob(jobId);
    expect(job?.counts).toMatchObject({ succeeded: 2, running: 0, queued: 8 });
    expect(gates).toHaveLength(2);
  });

  it('on a stop past the grace period, aborts in-flight items and returns them to the queue unspent', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 2);
    const started: ClaimedItem[] = [];
    makePool(
      (item, { signal }) => {
        started.push(item);
        return new Promise<ItemOutcome>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        );
      },
      { concurrency: 2, shutdownTimeoutMs: 50 },
    ).start();
    await waitFor(() => started.length === 2);
    await pool!.stop();
    const items = (await store.repository.listItems(jobId, { limit: 10 })).items;
    expect(items.map((i) => [i.state, i.attempts])).toEqual([
      ['queued', 0],
      ['queued', 0],
    ]);
  });

  it('loses nothing when a worker process is SIGKILLed mid-task: another process finishes every item once', async () => {
    store = await createTestStore();
    const jobId = await seedJob(store.repository, 40);
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/worker/fixtures/claim-and-hang.ts', store.path, '8'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const [chunk] = (await Promise.race([
      once(child.stdout, 'data'),
      sleep(20_000).then(() => ['timeout']),
    ])) as [Buffer | string];
    expect(String(chunk)).toContain('claimed');
    const beforeKill = await store.repository.getJob(jobId);
    expect(beforeKill?.counts.running).toBe(8);
    child.kill('SIGKILL');
    await once(child, 'exit');

    const runs = new Map<number, number>();
    makePool(
      (item) => {
        runs.set(item.seq, (runs.get(item.seq) ?? 0) + 1);
        return succeed(item, { signal: new AbortController().signal });
      },
      { concurrency: 4, reclaimIntervalMs: 100 },
    ).start();
    await jobDone(jobId);
    const items = (await store.repository.listItems(jobId, { limit: 100 })).items;
    expect(items).toHaveLength(40);
    expect(items.every((i) => i.state === 'succeeded' && i.documentId !== null)).toBe(true);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(40);
    // The 8 items the dead process held were reclaimed and ran a second attempt.
    expect(items.filter((i) => i.attempts === 2)).toHaveLength(8);
    expect((await store.repository.getJob(jobId))?.counts).toEqual({
      queued: 0,
      running: 0,
      succeeded: 40,
      failed: 0,
      cancelled: 0,
    });
  });
});
