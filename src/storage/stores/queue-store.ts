import type {
  ClaimedItem,
  DeliveryDecision,
  ItemCounts,
  ItemRef,
  CountDelta,
  JobOptions,
  QueuedItemRef,
  QueuedItemsCursor,
  QueueStore,
} from '../../jobs/index.js';
import { addCounts, applyCounts, lockJobs, type LockedJob } from './job-counters.js';
import {
  failLeaseExpired,
  leaseCandidate,
  newLease,
  SINGLE_FLIGHT_WAIT_MS,
  updateItem,
} from './item-leases.js';
import { KyselyJobStore } from './job-store.js';
import { listQueuedItems } from './queued-items.js';
import { CHUNK, groupSeqs, inTransaction, type StoreContext } from './store-context.js';

/** A delivery of an item held under a live lease is looked at again this long after the lease ends. */
const LEASE_RECHECK_MARGIN_MS = 250;

function refKey(jobId: string, seq: number): string {
  return `${jobId}\u0000${seq}`;
}

/**
 * The items table as a queue: the claims of the embedded queue (`claimBatch`) and of BullMQ's
 * deliveries (`claimDeliveries`), lease renewals and the reclaim of expired leases. Claims lock the
 * chosen jobs' rows first, in id order (see job-counters.ts), and read candidates
 * `FOR UPDATE SKIP LOCKED`.
 */
export class KyselyQueueStore implements QueueStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  /** Item counts by state over all jobs, from the per-job counters (no scan of items). */
  countItemsByState(): Promise<ItemCounts> {
    return new KyselyJobStore(this.#context).countItemsByState();
  }

  /**
   * The embedded queue's claim: up to `max` runnable items, round-robin across jobs. Jobs are
   * visited oldest-served first (`last_claimed_at`), each giving at most its share of `max`, so a
   * job of ten submitted behind a job of a million gets its items on the very next claim. An item
   * whose URL another worker is fetching right now waits a little instead (single flight).
   *
   * On PostgreSQL and MySQL the chosen jobs' rows are locked first, in id order (the lock order of
   * every transaction here), and candidates are read `FOR UPDATE SKIP LOCKED`: two processes never
   * take one item, and claims on different jobs do not wait for each other. Claims on the same job
   * do wait at its row, which they must update anyway for the counters.
   */
  async claimBatch(max: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (max <= 0) return [];
    return inTransaction(this.#context, async (trx) => {
      const now = trx.clock.now();
      const chosen = await trx.db
        .selectFrom('jobs')
        .select('id')
        .where('queued', '>', 0)
        .where('status', '!=', 'cancelled')
        .orderBy('last_claimed_at')
        .orderBy('created_at')
        .limit(max)
        .execute();
      if (chosen.length === 0) return [];
      // Re-read under the lock: another claim may have emptied or a cancel stopped a job meanwhile.
      const locked = new Map(
        (
          await lockJobs(
            trx,
            chosen.map((j) => j.id),
          )
        ).map((j) => [j.id, j]),
      );
      const jobs = chosen
        .map((j) => locked.get(j.id))
        .filter((j): j is LockedJob => j !== undefined && j.queued > 0 && j.status !== 'cancelled');
      const claimed: ClaimedItem[] = [];
      const share = Math.ceil(max / Math.max(1, jobs.length));
      for (const job of jobs) {
        const room = Math.min(share, max - claimed.length);
        if (room <= 0) break;
        const options = JSON.parse(job.options) as JobOptions;
        // Index order (job_id, state, run_after, seq): no sort even for a job of a million items.
        const candidates = await trx.db
          .selectFrom('job_items')
          .select(['seq', 'url', 'url_key', 'attempts'])
          .where('job_id', '=', job.id)
          .where('state', '=', 'queued')
          .where('run_after', '<=', now)
          .orderBy('run_after')
          .orderBy('seq')
          .limit(room)
          .$call(trx.dialect.forUpdateSkipLocked)
          .execute();
        let taken = 0;
        for (const candidate of candidates) {
          const item = await leaseCandidate(trx, job.id, candidate, options, leaseMs, now);
          if (item === null) continue;
          claimed.push(item);
          taken++;
        }
        if (taken > 0) {
          await trx.db.updateTable('jobs').set({ last_claimed_at: now }).where('id', '=', job.id).execute();
          await applyCounts(trx, job.id, { queued: -taken, running: taken }, now);
        }
      }
      return claimed;
    });
  }

  /**
   * The distributed queue's claim: the broker delivered `refs`, and the database decides what each
   * delivery means, in one transaction. A queued item whose time has come is leased (as in
   * `claimBatch`); a queued item not yet due, or one another worker holds under a live lease, is
   * `later` (the broker should deliver it again then); an item that is final, or gone, is `done`
   * (the broker should drop the delivery). An item still `running` under an expired lease (its
   * worker died before `reclaimExpired` noticed) is taken over at once, or failed with
   * `lease_expired` when its attempts are used up, exactly as `reclaimExpired` would. Because every
   * delivery is checked against the row under its lock, a duplicate delivery can never run an item
   * twice. Results are in the order of `refs`.
   */
  async claimDeliveries(refs: readonly ItemRef[], leaseMs: number): Promise<DeliveryDecision[]> {
    if (refs.length === 0) return [];
    return inTransaction(this.#context, async (trx) => {
      const now = trx.clock.now();
      const jobs = new Map(
        (
          await lockJobs(
            trx,
            refs.map((r) => r.jobId),
          )
        ).map((j) => [j.id, j]),
      );
      const decisions = new Map<string, DeliveryDecision>();
      const deltas = new Map<string, CountDelta>();
      const addDelta = (jobId: string, delta: CountDelta): void => {
        deltas.set(jobId, addCounts(deltas.get(jobId) ?? {}, delta));
      };
      for (const [jobId, seqs] of groupSeqs(refs)) {
        const job = jobs.get(jobId);
        if (!job) continue;
        const options = JSON.parse(job.options) as JobOptions;
        const rows = await trx.db
          .selectFrom('job_items')
          .select(['seq', 'url', 'url_key', 'state', 'attempts', 'run_after', 'lease_expires_at'])
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .$call(trx.dialect.forUpdate)
          .execute();
        for (const row of rows) {
          const key = refKey(jobId, Number(row.seq));
          const where = { job_id: jobId, seq: row.seq };
          if (row.state === 'queued' && job.status === 'cancelled') {
            // Cannot happen while cancels and appends both hold the job's row; tidy it if it does.
            await updateItem(trx, where, { state: 'cancelled', updated_at: now, finished_at: now });
            addDelta(jobId, { queued: -1, cancelled: 1 });
            decisions.set(key, { kind: 'done' });
          } else if (row.state === 'queued') {
            if (Number(row.run_after) > now) {
              decisions.set(key, { kind: 'later', runAfter: Number(row.run_after) });
              continue;
            }
            const item = await leaseCandidate(trx, jobId, row, options, leaseMs, now);
            if (item === null) {
              decisions.set(key, { kind: 'later', runAfter: now + SINGLE_FLIGHT_WAIT_MS });
            } else {
              decisions.set(key, { kind: 'claimed', item });
              addDelta(jobId, { queued: -1, running: 1 });
            }
          } else if (
            row.state === 'running' &&
            row.lease_expires_at !== null &&
            Number(row.lease_expires_at) >= now
          ) {
            decisions.set(key, {
              kind: 'later',
              runAfter: Number(row.lease_expires_at) + LEASE_RECHECK_MARGIN_MS,
            });
          } else if (row.state === 'running') {
            if (Number(row.attempts) >= options.maxAttempts) {
              await failLeaseExpired(trx, jobId, row, options.maxAttempts, now);
              addDelta(jobId, { running: -1, failed: 1 });
              decisions.set(key, { kind: 'done' });
            } else {
              const item = newLease(jobId, row, options, leaseMs);
              await updateItem(trx, where, item.values(now));
              decisions.set(key, { kind: 'claimed', item: item.claimed });
            }
          } else {
            decisions.set(key, { kind: 'done' });
          }
        }
      }
      for (const jobId of [...deltas.keys()].sort()) await applyCounts(trx, jobId, deltas.get(jobId)!, now);
      return refs.map((r) => decisions.get(refKey(r.jobId, r.seq)) ?? { kind: 'done' });
    });
  }

  /**
   * Extends the leases of `items` still held under their tokens, with one UPDATE and one SELECT per
   * job (per chunk of items); resolves with the items whose lease was lost. Tokens are unique per
   * claim, so `lease_token IN (…)` can only match the item each token was handed out with.
   */
  async renewLeases(items: readonly ClaimedItem[], leaseMs: number): Promise<ClaimedItem[]> {
    const lost: ClaimedItem[] = [];
    const byJob = new Map<string, ClaimedItem[]>();
    for (const item of items) byJob.set(item.jobId, [...(byJob.get(item.jobId) ?? []), item]);
    const expiresAt = this.#context.clock.now() + leaseMs;
    for (const [jobId, group] of byJob) {
      for (let i = 0; i < group.length; i += CHUNK) {
        const chunk = group.slice(i, i + CHUNK);
        const seqs = chunk.map((item) => item.seq);
        await this.#context.db
          .updateTable('job_items')
          .set({ lease_expires_at: expiresAt })
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .where('state', '=', 'running')
          .where(
            'lease_token',
            'in',
            chunk.map((item) => item.token),
          )
          .execute();
        const rows = await this.#context.db
          .selectFrom('job_items')
          .select(['seq', 'lease_token'])
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .where('state', '=', 'running')
          .execute();
        const held = new Set(rows.map((row) => `${Number(row.seq)}\u0000${row.lease_token}`));
        for (const item of chunk) if (!held.has(`${item.seq}\u0000${item.token}`)) lost.push(item);
      }
    }
    return lost;
  }

  /**
   * Puts items whose lease expired (their worker died or hung) back in the queue. An item that has
   * used all its attempts fails with `lease_expired` instead, so a page that crashes its worker
   * every time cannot loop forever. Returns how many items it moved.
   */
  async reclaimExpired(limit = CHUNK): Promise<number> {
    return inTransaction(this.#context, async (trx) => {
      const now = trx.clock.now();
      const expired = await trx.db
        .selectFrom('job_items')
        .select(['job_id', 'seq'])
        .where('state', '=', 'running')
        .where('lease_expires_at', '<', now)
        .limit(limit)
        .execute();
      if (expired.length === 0) return 0;
      // Lock order: the jobs' rows first, then their items, re-checked under the lock (a late
      // finish or a renewal may have come in between).
      const jobs = new Map(
        (
          await lockJobs(
            trx,
            expired.map((e) => e.job_id),
          )
        ).map((j) => [j.id, j]),
      );
      let moved = 0;
      for (const [jobId, seqs] of groupSeqs(expired.map((e) => ({ jobId: e.job_id, seq: Number(e.seq) })))) {
        const job = jobs.get(jobId);
        if (!job) continue;
        const { maxAttempts } = JSON.parse(job.options) as JobOptions;
        const rows = await trx.db
          .selectFrom('job_items')
          .select(['seq', 'url', 'attempts'])
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .where('state', '=', 'running')
          .where('lease_expires_at', '<', now)
          .$call(trx.dialect.forUpdate)
          .execute();
        const delta: CountDelta = { running: -rows.length, queued: 0, failed: 0, cancelled: 0 };
        for (const row of rows) {
          if (job.status === 'cancelled') {
            // Claims skip cancelled jobs: queued again, the item would wait forever.
            await updateItem(
              trx,
              { job_id: jobId, seq: row.seq },
              {
                lease_token: null,
                lease_expires_at: null,
                updated_at: now,
                state: 'cancelled',
                finished_at: now,
              },
            );
            delta.cancelled! += 1;
          } else if (Number(row.attempts) >= maxAttempts) {
            await failLeaseExpired(trx, jobId, row, maxAttempts, now);
            delta.failed! += 1;
          } else {
            await updateItem(
              trx,
              { job_id: jobId, seq: row.seq },
              { lease_token: null, lease_expires_at: null, updated_at: now, state: 'queued', run_after: now },
            );
            delta.queued! += 1;
          }
        }
        if (rows.length > 0) await applyCounts(trx, jobId, delta, now);
        moved += rows.length;
      }
      return moved;
    });
  }

  /** One page of the queued items of every job, with when each may run (see `listQueuedItems`). */
  listQueuedItems(
    limit: number,
    after?: QueuedItemsCursor,
  ): Promise<{ items: QueuedItemRef[]; next: QueuedItemsCursor | null }> {
    return listQueuedItems(this.#context, limit, after);
  }
}
