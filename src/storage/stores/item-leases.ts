import { randomUUID } from 'node:crypto';
import type { ClaimedItem, JobOptions } from '../../jobs/index.js';
import type { JobItemsTable } from '../schema.js';
import { KyselyEventStore } from './event-store.js';
import type { StoreContext } from './store-context.js';

/** How long an item waits while another worker fetches the same URL (single flight). */
export const SINGLE_FLIGHT_WAIT_MS = 1000;

/** The columns of a queued item a claim reads. */
export interface LeaseCandidate {
  seq: number;
  url: string;
  url_key: string;
  attempts: number;
}

/** Updates one item's row. */
export async function updateItem(
  context: StoreContext,
  where: { job_id: string; seq: number },
  values: Partial<JobItemsTable>,
): Promise<void> {
  await context.db
    .updateTable('job_items')
    .set(values)
    .where('job_id', '=', where.job_id)
    .where('seq', '=', where.seq)
    .execute();
}

/**
 * Leases a queued candidate unless another worker is fetching its URL right now (single flight),
 * in which case the candidate waits a little and null is returned. The caller adjusts counters.
 */
export async function leaseCandidate(
  trx: StoreContext,
  jobId: string,
  candidate: LeaseCandidate,
  options: JobOptions,
  leaseMs: number,
  now: number,
): Promise<ClaimedItem | null> {
  const where = { job_id: jobId, seq: candidate.seq };
  const inFlight = await trx.db
    .selectFrom('job_items')
    .select('seq')
    .where('url_key', '=', candidate.url_key)
    .where('state', '=', 'running')
    .limit(1)
    .executeTakeFirst();
  if (inFlight) {
    await updateItem(trx, where, { run_after: now + SINGLE_FLIGHT_WAIT_MS });
    return null;
  }
  const lease = newLease(jobId, candidate, options, leaseMs);
  await updateItem(trx, where, lease.values(now));
  return lease.claimed;
}

/** A fresh lease of an item: the row values to write and the `ClaimedItem` to hand out. */
export function newLease(
  jobId: string,
  row: LeaseCandidate,
  options: JobOptions,
  leaseMs: number,
): { claimed: ClaimedItem; values: (now: number) => Partial<JobItemsTable> } {
  const token = randomUUID();
  const attempt = Number(row.attempts) + 1;
  return {
    claimed: { jobId, seq: Number(row.seq), url: row.url, urlKey: row.url_key, attempt, token, options },
    values: (now) => ({
      state: 'running',
      attempts: attempt,
      lease_token: token,
      lease_expires_at: now + leaseMs,
      updated_at: now,
    }),
  };
}

/** Fails an item whose worker stopped responding on its last attempt; the caller adjusts counters. */
export async function failLeaseExpired(
  trx: StoreContext,
  jobId: string,
  row: { seq: number; url: string },
  maxAttempts: number,
  now: number,
): Promise<void> {
  const message = `The worker holding this item stopped responding on each of ${maxAttempts} attempts`;
  await updateItem(
    trx,
    { job_id: jobId, seq: row.seq },
    {
      lease_token: null,
      lease_expires_at: null,
      updated_at: now,
      state: 'failed',
      error_code: 'lease_expired',
      error_message: message,
      finished_at: now,
    },
  );
  await new KyselyEventStore(trx).appendEvents(jobId, [
    {
      type: 'item.failed',
      payload: { jobId, seq: Number(row.seq), url: row.url, code: 'lease_expired', message },
    },
  ]);
}
