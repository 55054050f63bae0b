import type { ClaimedItem, ItemRef, LeaseStore, QueueStore } from '../../jobs/index.js';
import type { Clock, Logger } from '../../lib/index.js';
import type { RedisOptions } from 'ioredis';
import type { Job as BullJob } from 'bullmq';

/** What BullMQ's queue needs of the database: its queue store, and a named lease for the repair. */
export type BullmqQueueStore = Pick<
  QueueStore,
  'claimDeliveries' | 'renewLeases' | 'reclaimExpired' | 'countItemsByState' | 'listQueuedItems'
> &
  Pick<LeaseStore, 'acquireLease'>;

/** Options of `BullmqQueue`. */
export interface BullmqQueueOptions {
  /** Redis to use: a URL (`redis://host:6379/0`) or ioredis options. The queue opens its own connections. */
  connection: string | RedisOptions;
  /** The database, which stays the source of truth of every item's state. */
  repository: BullmqQueueStore;
  /** Prefix of every BullMQ key. @default 'distill' */
  prefix?: string;
  /** BullMQ queue name. @default 'distill-items' */
  queueName?: string;
  /**
   * Lock BullMQ puts on a delivery when it is taken, in milliseconds; `claim` extends it to the
   * pool's `leaseMs` when they differ. @default 30000
   */
  lockDurationMs?: number;
  /**
   * How often this process runs BullMQ's stalled check (only one process per interval actually
   * runs it), in milliseconds. A dead worker's deliveries come back within about
   * lock + 2 × this. @default 5000
   */
  stalledIntervalMs?: number;
  /**
   * Most deliveries one `claim(max)` looks at before it returns, at least `max`: deliveries of
   * cancelled or finished items are dropped on the way, and a job of a million cancelled items
   * must not make one claim spin. @default max(64, 4 × max)
   */
  maxDeliveriesPerClaim?: number;
  /**
   * How often a worker process checks for queued items that have no delivery and gives them one
   * (see "Repair" in the class comment), in milliseconds. Only the holder of the `bullmq-repair`
   * lease does it; it also runs each time the Redis connection becomes ready. @default 10000
   */
  repairIntervalMs?: number;
  /** Queued items the repair reads and checks at a time (one database page, one Redis pipeline). @default 500 */
  repairBatchSize?: number;
  /** Clock the repository uses: delays in BullMQ are computed from it. @default systemClock */
  clock?: Clock;
  logger?: Logger;
}

/** BullMQ's highest priority number (the lowest priority); priorities are 1…this. */
export const PRIORITY_LIMIT = 2 ** 21 - 1;
/** BullMQ job ids per `addBulk` call. */
export const ADD_CHUNK = 1000;
/** Stalled deliveries are always put back, never failed: the database alone decides failures. */
export const MAX_STALLED_COUNT = Number.MAX_SAFE_INTEGER;
/** Pause before a delivery is looked at again after the database could not be asked. */
export const DB_ERROR_RETRY_MS = 1000;
/** Name of the database lease that picks the one worker process that runs the repair. */
export const REPAIR_LEASE = 'bullmq-repair';
/** BullMQ states of a job that is still a delivery (not completed or failed). */
export const PENDING_STATES = [
  'active',
  'wait',
  'paused',
  'prioritized',
  'delayed',
  'waiting-children',
] as const;

export interface DeliveryData {
  jobId: string;
  seq: number;
}

/** A delivery this process took from BullMQ, with the lock token that proves it. */
export interface Delivery {
  job: BullJob<DeliveryData>;
  token: string;
  ref: ItemRef | null;
}

/** BullMQ job id of an item: one BullMQ job per item for its whole life (BullMQ forbids `:` in ids). */
export function deliveryId(ref: ItemRef): string {
  return `${ref.jobId}.${ref.seq}`;
}

export function itemKey(item: Pick<ClaimedItem, 'jobId' | 'seq' | 'token'>): string {
  return `${item.jobId}\u0000${item.seq}\u0000${item.token}`;
}

export function parseRef(data: unknown): ItemRef | null {
  if (typeof data !== 'object' || data === null) return null;
  const { jobId, seq } = data as Partial<DeliveryData>;
  return typeof jobId === 'string' && Number.isSafeInteger(seq) ? { jobId, seq: seq! } : null;
}
