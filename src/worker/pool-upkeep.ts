// The worker pool's periodic upkeep (pool.ts runs each on its own timer): renewing the leases of the
// items it holds, aborting items whose job was cancelled, and handing expired leases back to the
// queue. None of them throws: a failed round is logged and the next one tries again.
import type { ClaimedItem, Queue } from '../jobs/index.js';
import { toError, type Logger } from '../lib/index.js';
import type { AbortReason } from './retry-policy.js';

/** An item the pool is running. */
export interface InFlight {
  item: ClaimedItem;
  /** The pool's logger bound to this item. */
  log: Logger;
  controller: AbortController;
  abortReason: AbortReason | undefined;
  /** The outcome is being written: from then on the row may be final, which is not a lost lease. */
  isRecording: boolean;
  /** Lets the item's body out of the hand-off; set once the task handed it off. */
  releaseBody: (() => void) | undefined;
  done: Promise<void>;
}

type Abort = (entry: InFlight, reason: AbortReason) => void;

/** Every held lease renewed in one batch (see `Queue.renewLeases`); an item whose lease was lost is aborted. */
export async function renewLeases(
  queue: Queue,
  inFlight: Iterable<InFlight>,
  leaseMs: number,
  log: Logger,
  abort: Abort,
): Promise<void> {
  // Items being recorded are renewed too: a slow write must not let their lease run out.
  const entries = [...inFlight].filter((entry) => entry.abortReason === undefined);
  if (entries.length === 0) return;
  try {
    const lost = new Set(
      await queue.renewLeases(
        entries.map((entry) => entry.item),
        leaseMs,
      ),
    );
    for (const entry of entries) {
      // An item whose outcome was written meanwhile is no longer running: that is not a lost lease.
      if (!lost.has(entry.item) || entry.isRecording) continue;
      entry.log.warn({}, 'Lease lost; aborting the item');
      abort(entry, 'lease_lost');
    }
  } catch (error) {
    log.error({ err: toError(error), items: entries.length }, 'Renewing leases failed');
  }
}

/** Aborts the items whose job was cancelled since they were claimed. */
export async function abortCancelled(
  repository: { cancelledJobIds(jobIds: string[]): Promise<ReadonlySet<string>> },
  inFlight: ReadonlyMap<string, InFlight>,
  log: Logger,
  abort: Abort,
): Promise<void> {
  if (inFlight.size === 0) return;
  try {
    const jobIds = [...new Set([...inFlight.values()].map((e) => e.item.jobId))];
    const cancelled = await repository.cancelledJobIds(jobIds);
    if (cancelled.size === 0) return;
    // The items in flight now: those that ended during the query are not touched.
    for (const entry of inFlight.values()) {
      if (cancelled.has(entry.item.jobId)) abort(entry, 'cancelled');
    }
  } catch (error) {
    log.error({ err: toError(error) }, 'Checking for cancelled jobs failed');
  }
}

/** Hands items whose lease expired back to the queue; true when there were any. */
export async function reclaimExpired(queue: Queue, log: Logger): Promise<boolean> {
  try {
    const reclaimed = await queue.reclaimExpired();
    if (reclaimed > 0) log.info({ reclaimed }, 'Reclaimed items whose lease expired');
    return reclaimed > 0;
  } catch (error) {
    log.error({ err: toError(error) }, 'Reclaiming expired leases failed');
    return false;
  }
}
