import type { Selectable } from 'kysely';
import { deriveJobStatus, JobNotFoundError, type CountDelta, type ItemCounts } from '../../jobs/index.js';
import type { JobsTable } from '../schema.js';
import { KyselyEventStore } from './event-store.js';
import { chunks, type StoreContext } from './store-context.js';

/** What the claim paths need of a locked job. */
export type LockedJob = Pick<Selectable<JobsTable>, 'id' | 'status' | 'options' | 'queued'>;

/*
 * The jobs' per-state item counters, shared by every store that moves items between states.
 *
 * Lock order. On PostgreSQL and MySQL every transaction that changes items takes row locks in one
 * order: first the rows of the jobs involved, in id order (`lockJobs`), then the rows of their
 * items. The job's row lock makes its counters exact (`applyCounts` reads and writes them under it)
 * and orders appends, cancels, claims and finishes of one job. SQLite serialises writers.
 */

/**
 * Locks the rows of these jobs, in id order (the lock order of the stores), and returns what the
 * claim paths need of them. Without row locks (SQLite) it only reads them.
 */
export async function lockJobs(context: StoreContext, jobIds: readonly string[]): Promise<LockedJob[]> {
  const ids = [...new Set(jobIds)].sort();
  const rows: LockedJob[] = [];
  for (const chunk of chunks(ids)) {
    rows.push(
      ...(await context.db
        .selectFrom('jobs')
        .select(['id', 'status', 'options', 'queued'])
        .where('id', 'in', chunk)
        .orderBy('id')
        .$call(context.dialect.forUpdate)
        .execute()),
    );
  }
  return rows;
}

/**
 * Applies a change of item counts to a job and re-derives its status; the move to `completed`
 * stamps `finished_at` and writes `job.completed` in the same transaction.
 */
export async function applyCounts(
  context: StoreContext,
  jobId: string,
  delta: CountDelta,
  now: number,
): Promise<void> {
  // Read-modify-write under the job's row lock (callers already hold it; FOR UPDATE makes sure).
  const job = await context.db
    .selectFrom('jobs')
    .selectAll()
    .where('id', '=', jobId)
    .$call(context.dialect.forUpdate)
    .executeTakeFirst();
  if (!job) throw new JobNotFoundError(jobId);
  const counts: ItemCounts = {
    queued: job.queued + (delta.queued ?? 0),
    running: job.running + (delta.running ?? 0),
    succeeded: job.succeeded + (delta.succeeded ?? 0),
    failed: job.failed + (delta.failed ?? 0),
    cancelled: job.cancelled + (delta.cancelled ?? 0),
  };
  const wasCancelled = job.status === 'cancelled';
  const status = deriveJobStatus(counts, wasCancelled);
  const isFinished = counts.queued === 0 && counts.running === 0;
  const finishedAt = isFinished ? (job.finished_at ?? now) : null;
  await context.db
    .updateTable('jobs')
    .set({ ...counts, status, updated_at: now, finished_at: finishedAt })
    .where('id', '=', jobId)
    .execute();
  // A job with items, once (`total` counts them all; the items a change finishes included).
  if (status === 'completed' && job.status !== 'completed' && job.total > 0) {
    await new KyselyEventStore(context).appendEvents(jobId, [
      { type: 'job.completed', payload: { jobId, counts } },
    ]);
  }
}

/** Adds `delta` into `sum`, state by state. */
export function addCounts(sum: CountDelta, delta: CountDelta): CountDelta {
  for (const [state, n] of Object.entries(delta) as Array<[keyof CountDelta, number]>)
    sum[state] = (sum[state] ?? 0) + n;
  return sum;
}
