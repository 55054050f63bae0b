import type { QueuedItemRef, QueuedItemsCursor } from '../../jobs/index.js';
import type { StoreContext } from './store-context.js';

/**
 * One page of the queued items of every job, with when each may run: what `BullmqQueue`'s repair
 * needs to give an item that lost its delivery (Redis restarted without its data, or a crash
 * between commit and enqueue) a new one. Walks jobs with queued items in id order and, within a
 * job, the claim index `(job_id, state, run_after, seq)`; `next` continues the walk (null at the
 * end). An item whose `run_after` changes during a walk may be seen twice or be left for the next
 * walk; the caller's writes are idempotent, and it walks again while deliveries are missing.
 */
export async function listQueuedItems(
  context: StoreContext,
  limit: number,
  after?: QueuedItemsCursor,
): Promise<{ items: QueuedItemRef[]; next: QueuedItemsCursor | null }> {
  const items: QueuedItemRef[] = [];
  let jobId = after?.jobId;
  let position = after;
  while (items.length < limit) {
    const jobs = context.db.selectFrom('jobs').select('id').where('queued', '>', 0);
    const job = await (jobId === undefined ? jobs : jobs.where('id', position ? '>=' : '>', jobId))
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!job) return { items, next: null };
    const from = position?.jobId === job.id ? position : undefined;
    const want = limit - items.length;
    const rows = await context.db
      .selectFrom('job_items')
      .select(['seq', 'run_after'])
      .where('job_id', '=', job.id)
      .where('state', '=', 'queued')
      .$if(from !== undefined, (q) =>
        q.where((eb) =>
          eb.or([
            eb('run_after', '>', from!.runAfter),
            eb.and([eb('run_after', '=', from!.runAfter), eb('seq', '>', from!.seq)]),
          ]),
        ),
      )
      .orderBy('run_after')
      .orderBy('seq')
      .limit(want)
      .execute();
    for (const row of rows)
      items.push({ jobId: job.id, seq: Number(row.seq), runAfter: Number(row.run_after) });
    const last = rows.at(-1);
    if (rows.length === want && last) {
      return { items, next: { jobId: job.id, runAfter: Number(last.run_after), seq: Number(last.seq) } };
    }
    // This job has no more: go on with the next one.
    jobId = job.id;
    position = undefined;
  }
  return { items, next: null };
}
