import { describe, expect, it } from 'vitest';
import type { Logger } from '../lib/index.js';
import { JobsService } from './jobs-service.js';
import type { ItemOutcome, ItemRef, JobRepository, Queue } from './ports.js';
import type { ClaimedItem, JobOptions } from './types.js';

const options: JobOptions = { maxAgeSeconds: 0, formats: ['text'], timeoutMs: 1000, maxAttempts: 3 };
const item: ClaimedItem = {
  jobId: 'job-1',
  seq: 0,
  url: 'https://site.test/',
  attempt: 1,
  token: 't',
  options,
};
const outcome: ItemOutcome = { kind: 'cancelled' };

/** A jobs service over a repository that records attempts as told, and a queue that records enqueues. */
function service(
  recorded: { isRecorded: boolean; queued: ItemRef[] },
  enqueue: (items: readonly ItemRef[]) => Promise<void>,
) {
  const calls = { notified: 0, errors: [] as unknown[], recorded: [] as Array<[ClaimedItem, ItemOutcome]> };
  const repository = {
    recordAttempt: (i: ClaimedItem, o: ItemOutcome) => {
      calls.recorded.push([i, o]);
      return Promise.resolve(recorded);
    },
  } as unknown as JobRepository;
  const logger = { error: (...args: unknown[]) => calls.errors.push(args) } as unknown as Logger;
  const jobs = new JobsService({
    repository,
    queue: { enqueue } as unknown as Queue,
    defaults: options,
    onEnqueued: () => calls.notified++,
    logger,
  });
  return { jobs, calls };
}

describe('JobsService.finishAttempt', () => {
  it('records the outcome and enqueues the items a crawl page added, then notifies the pool', async () => {
    const enqueued: ItemRef[][] = [];
    const queued = [
      { jobId: 'job-1', seq: 1 },
      { jobId: 'job-1', seq: 2 },
    ];
    const { jobs, calls } = service({ isRecorded: true, queued }, (items) => {
      enqueued.push([...items]);
      return Promise.resolve();
    });
    await expect(jobs.finishAttempt(item, outcome)).resolves.toBe(true);
    expect(calls.recorded).toEqual([[item, outcome]]);
    expect(enqueued).toEqual([queued]);
    expect(calls.notified).toBe(1);
  });

  it('enqueues nothing when the attempt added no items, and says when the lease was lost', async () => {
    const enqueued: ItemRef[][] = [];
    const { jobs, calls } = service({ isRecorded: false, queued: [] }, (items) => {
      enqueued.push([...items]);
      return Promise.resolve();
    });
    await expect(jobs.finishAttempt(item, outcome)).resolves.toBe(false);
    expect(enqueued).toEqual([]);
    expect(calls.notified).toBe(0);
  });

  it('keeps the outcome recorded and logs the error when the queue refuses the new items', async () => {
    const { jobs, calls } = service({ isRecorded: true, queued: [{ jobId: 'job-1', seq: 1 }] }, () =>
      Promise.reject(new Error('Redis is down')),
    );
    await expect(jobs.finishAttempt(item, outcome)).resolves.toBe(true);
    expect(calls.errors).toHaveLength(1);
    expect(calls.notified).toBe(0);
  });
});
