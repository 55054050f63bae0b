import { randomUUID } from 'node:crypto';
import { Queue as BullQueue, Worker, type Job as BullJob } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { ClaimedItem, ItemCounts, ItemOutcome, ItemRef, Queue } from '../../jobs/index.js';
import { silentLogger, systemClock, toError, type Clock, type Logger, positiveInteger } from '../../lib/index.js';
import type { DeliveryDecision, KyselyJobRepository } from '../../storage/index.js';

/** Options of `BullmqQueue`. */
export interface BullmqQueueOptions {
  /** Redis to use: a URL (`redis://host:6379/0`) or ioredis options. The queue opens its own connections. */
  connection: string | RedisOptions;
  /** The database, which stays the source of truth of every item's state. */
  repository: KyselyJobRepository;
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
  /** Clock the repository uses: delays in BullMQ are computed from it. @default systemClock */
  clock?: Clock;
  logger?: Logger;
}

/** BullMQ's highest priority number (the lowest priority); priorities are 1…this. */
const PRIORITY_LIMIT = 2 ** 21 - 1;
/** BullMQ job ids per `addBulk` call. */
const ADD_CHUNK = 1000;
/** Stalled deliveries are always put back, never failed: the database alone decides failures. */
const MAX_STALLED_COUNT = Number.MAX_SAFE_INTEGER;
/** Pause before a delivery is looked at again after the database could not be asked. */
const DB_ERROR_RETRY_MS = 1000;

interface DeliveryData {
  jobId: string;
  seq: number;
}

/** A delivery this process took from BullMQ, with the lock token that proves it. */
interface Delivery {
  job: BullJob<DeliveryData>;
  token: string;
  ref: ItemRef | null;
}

/** BullMQ job id of an item: one BullMQ job per item for its whole life (BullMQ forbids `:` in ids). */
export function deliveryId(ref: ItemRef): string {
  return `${ref.jobId}.${ref.seq}`;
}

function itemKey(item: Pick<ClaimedItem, 'jobId' | 'seq' | 'token'>): string {
  return `${item.jobId}\u0000${item.seq}\u0000${item.token}`;
}

function parseRef(data: unknown): ItemRef | null {
  if (typeof data !== 'object' || data === null) return null;
  const { jobId, seq } = data as Partial<DeliveryData>;
  return typeof jobId === 'string' && Number.isSafeInteger(seq) ? { jobId, seq: seq! } : null;
}


/**
 * The distributed `Queue`: BullMQ on Redis delivers items, the database decides what a delivery
 * means. Each item has exactly one BullMQ job (id `<jobId>.<seq>`) from `enqueue` until the
 * database says the item is final; that job is the item's only ticket to a worker, so an item can
 * never be delivered twice at once, and it is never lost while the database still wants it run.
 *
 * Life of a BullMQ job (states of BullMQ; the item's state is in the database):
 *
 *   enqueue ──► prioritized ──claim──► active ──settle(success | failed | cancelled)──► removed
 *                    ▲                   │ ├──settle(retry)──► delayed until runAfter ─┐
 *                    │                   │ ├──item final or gone──► removed            │
 *                    │                   │ └──item not due / leased elsewhere──► delayed┤
 *                    ├── stalled check ◄─┘ (holder died: lock expired)                 │
 *                    └─────────────────────────────────────────────────────────────────┘
 *
 * - Fairness: priority = the item's seq within its job + 1 (BullMQ serves the lowest number first,
 *   ties in insertion order), so all jobs are served in step, first items first: the first items of
 *   a ten-URL job submitted behind a million-URL job run next. A retried item keeps its priority.
 * - `claim` takes deliveries with a manual worker (`getNextJob`, non-blocking) and asks the
 *   database about all of them in one transaction (`claimDeliveries`): queued and due → leased
 *   with a fresh token and attempt + 1; not due, or leased elsewhere and alive → moved to delayed
 *   until then; final, cancelled or unknown → completed (removed).
 * - Stalled recovery: a worker that dies leaves its deliveries active; this process runs BullMQ's
 *   stalled check, which puts them back (never fails them), and the database lease expires too.
 *   Whichever comes first, the single delivery meets the item either still leased (expired →
 *   taken over at once; alive → delayed) or queued again, and runs it once more: never twice.
 * - Exactly one final outcome: only the holder of the database lease token can record one
 *   (`finishAttempt`), and a final state never changes.
 *
 * Owns the Redis connections it opens; `close()` closes them. The repository is borrowed.
 */
export class BullmqQueue implements Queue {
  readonly #repository: KyselyJobRepository;
  readonly #connection: string | RedisOptions;
  readonly #prefix: string;
  readonly #queueName: string;
  readonly #lockDurationMs: number;
  readonly #stalledIntervalMs: number;
  readonly #maxDeliveriesPerClaim: number | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;

  #producerRedis: Redis | undefined;
  #producer: BullQueue<DeliveryData> | undefined;
  #workerRedis: Redis | undefined;
  #worker: Worker<DeliveryData> | undefined;
  /** Deliveries whose item this process holds under a database lease, by item and token. */
  readonly #held = new Map<string, Delivery>();
  #closing: Promise<void> | undefined;

  constructor(options: BullmqQueueOptions) {
    const { connection, repository } = options;
    if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
      throw new TypeError('Expected `connection` to be a Redis URL or ioredis options');
    }
    this.#connection = connection;
    this.#repository = repository;
    this.#prefix = options.prefix ?? 'distill';
    this.#queueName = options.queueName ?? 'distill-items';
    if (this.#queueName.includes(':')) {
      throw new TypeError(`Expected \`queueName\` without \`:\`, got \`${this.#queueName}\``);
    }
    this.#lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs ?? 30_000);
    this.#stalledIntervalMs = positiveInteger('stalledIntervalMs', options.stalledIntervalMs ?? 5000);
    this.#maxDeliveriesPerClaim =
      options.maxDeliveriesPerClaim === undefined ? undefined : positiveInteger('maxDeliveriesPerClaim', options.maxDeliveriesPerClaim);
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: 'bullmq-queue' });
  }

  /** Items this process holds (claimed and not yet settled). */
  get heldCount(): number {
    return this.#held.size;
  }

  /**
   * Adds one BullMQ job per item, in bulk. Adding an item that already has its job does nothing
   * (the id dedupes), so enqueueing twice is harmless.
   */
  async enqueue(items: readonly ItemRef[]): Promise<void> {
    if (items.length === 0) return;
    const producer = this.#openProducer();
    for (let i = 0; i < items.length; i += ADD_CHUNK) {
      await producer.addBulk(
        items.slice(i, i + ADD_CHUNK).map((ref) => ({
          name: 'item',
          data: { jobId: ref.jobId, seq: ref.seq },
          opts: {
            jobId: deliveryId(ref),
            priority: Math.min(PRIORITY_LIMIT, ref.seq + 1),
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
    }
  }

  /** Takes up to `max` deliveries and leases their items in the database (see the class comment). */
  async claim(max: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (max <= 0 || this.#closing) return [];
    const worker = this.#openWorker();
    const budget = Math.max(max, this.#maxDeliveriesPerClaim ?? Math.max(64, 4 * max));
    const claimed: ClaimedItem[] = [];
    let looked = 0;
    while (claimed.length < max && looked < budget && !this.#closing) {
      const deliveries: Delivery[] = [];
      const want = Math.min(max - claimed.length, budget - looked);
      while (deliveries.length < want) {
        const token = randomUUID();
        const job = await worker.getNextJob(token, { block: false });
        if (!job) break;
        deliveries.push({ job, token, ref: parseRef(job.data) });
      }
      if (deliveries.length === 0) break;
      looked += deliveries.length;
      const refs = deliveries.flatMap((d) => (d.ref ? [d.ref] : []));
      let decisions: DeliveryDecision[];
      try {
        decisions = await this.#repository.claimDeliveries(refs, leaseMs);
      } catch (error) {
        // Hand the deliveries back to BullMQ for a little later; what was claimed before is kept.
        await this.#settleAll(deliveries.map((d) => [d, { kind: 'later', runAfter: this.#clock.now() + DB_ERROR_RETRY_MS }]));
        if (claimed.length > 0) {
          this.#log.error({ err: toError(error) }, 'Claiming deliveries in the database failed');
          break;
        }
        throw error;
      }
      const byRef = new Map(refs.map((ref, i) => [`${ref.jobId}\u0000${ref.seq}`, decisions[i]!]));
      const toSettle: Array<[Delivery, DeliveryDecision]> = [];
      for (const delivery of deliveries) {
        const decision = delivery.ref ? byRef.get(`${delivery.ref.jobId}\u0000${delivery.ref.seq}`) : undefined;
        if (decision?.kind === 'claimed') {
          this.#held.set(itemKey(decision.item), delivery);
          claimed.push(decision.item);
          if (leaseMs !== this.#lockDurationMs) toSettle.push([delivery, decision]);
        } else {
          toSettle.push([delivery, decision ?? { kind: 'done' }]);
        }
      }
      await this.#settleAll(toSettle, leaseMs);
    }
    return claimed;
  }

  /** Extends the database lease and the BullMQ lock; false when the database lease was lost. */
  async renewLease(item: ClaimedItem, leaseMs: number): Promise<boolean> {
    const isHeld = await this.#repository.renewLease(item, leaseMs);
    const delivery = this.#held.get(itemKey(item));
    if (!delivery) return isHeld;
    if (!isHeld) {
      // The pool gives the item up and will not settle it: let the database look at the delivery now.
      this.#held.delete(itemKey(item));
      await this.#settleAll([[delivery, { kind: 'later', runAfter: this.#clock.now() }]]);
      return false;
    }
    try {
      await delivery.job.extendLock(delivery.token, leaseMs);
    } catch (error) {
      // The database lease is what counts; a lost lock only means the stalled check may hand the
      // delivery to another worker, which will find the item leased and delay it.
      this.#log.warn({ err: toError(error), jobId: item.jobId, seq: item.seq }, 'Extending a BullMQ lock failed');
    }
    return true;
  }

  /**
   * Settles the BullMQ job of an item after `finishAttempt`: removed when the item is final,
   * delayed until `runAfter` on a retry. `null` means the outcome was not recorded (the lease was
   * lost): the delivery, if this process still holds it, goes back to be looked at again now.
   * Never throws: a settle that fails leaves the delivery to BullMQ's stalled check, and the
   * database decides again when it comes back.
   */
  async settle(item: ClaimedItem, outcome: ItemOutcome | null): Promise<void> {
    const delivery = this.#held.get(itemKey(item));
    if (!delivery) return;
    this.#held.delete(itemKey(item));
    const decision: DeliveryDecision =
      outcome === null
        ? { kind: 'later', runAfter: this.#clock.now() }
        : outcome.kind === 'retry'
          ? { kind: 'later', runAfter: outcome.runAfter }
          : { kind: 'done' };
    await this.#settleAll([[delivery, decision]]);
  }

  /** Database leases that expired go back to queued; their deliveries come back through BullMQ. */
  reclaimExpired(): Promise<number> {
    return this.#repository.reclaimExpired();
  }

  /** Item counts from the database, the source of truth (BullMQ's counts include stale deliveries). */
  depth(): Promise<ItemCounts> {
    return this.#repository.countItemsByState();
  }

  /** Closes the worker, the queue and the Redis connections this object opened. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    const errors: unknown[] = [];
    const steps: Array<() => Promise<unknown> | undefined> = [
      () => this.#worker?.close(),
      () => this.#producer?.close(),
      () => this.#workerRedis?.quit(),
      () => this.#producerRedis?.quit(),
    ];
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        errors.push(error);
      }
    }
    // Unsettled deliveries keep their locks until they expire; the stalled check puts them back.
    this.#held.clear();
    if (errors.length > 0) throw new AggregateError(errors, 'Closing the BullMQ queue failed');
  }

  /** Moves each delivery as the database decided: removed (`done`), delayed (`later`) or lock extended. */
  async #settleAll(entries: Array<[Delivery, DeliveryDecision]>, leaseMs?: number): Promise<void> {
    const results = await Promise.allSettled(
      entries.map(([{ job, token }, decision]) => {
        switch (decision.kind) {
          case 'done':
            return job.moveToCompleted(null, token, false);
          case 'later':
            // BullMQ's delay is in its own (Redis client) time: convert from the repository's clock.
            return job.moveToDelayed(Date.now() + Math.max(0, decision.runAfter - this.#clock.now()), token);
          case 'claimed':
            return job.extendLock(token, leaseMs ?? this.#lockDurationMs);
        }
      }),
    );
    for (const [i, result] of results.entries()) {
      if (result.status === 'rejected') {
        const [{ job }, decision] = entries[i]!;
        this.#log.warn({ err: toError(result.reason), deliveryId: job.id, decision: decision.kind }, 'Settling a BullMQ delivery failed');
      }
    }
  }

  #openProducer(): BullQueue<DeliveryData> {
    if (this.#closing) throw new Error('BullmqQueue is closed');
    if (!this.#producer) {
      // Default ioredis retries: an enqueue fails (and the API says so) when Redis is down.
      this.#producerRedis = this.#newRedis({});
      this.#producer = new BullQueue<DeliveryData>(this.#queueName, { connection: this.#producerRedis, prefix: this.#prefix });
      this.#producer.on('error', (error) => this.#log.error({ err: error }, 'BullMQ queue error'));
    }
    return this.#producer;
  }

  /** The manual worker, opened on the first claim so that processes that only enqueue never open one. */
  #openWorker(): Worker<DeliveryData> {
    if (!this.#worker) {
      // BullMQ requires `maxRetriesPerRequest: null` on worker connections.
      this.#workerRedis = this.#newRedis({ maxRetriesPerRequest: null });
      this.#worker = new Worker<DeliveryData>(this.#queueName, null, {
        connection: this.#workerRedis,
        prefix: this.#prefix,
        autorun: false,
        lockDuration: this.#lockDurationMs,
        stalledInterval: this.#stalledIntervalMs,
        maxStalledCount: MAX_STALLED_COUNT,
      });
      this.#worker.on('error', (error) => this.#log.error({ err: error }, 'BullMQ worker error'));
      // A manual worker has no main loop, so it must start the stalled check itself.
      void this.#worker.startStalledCheckTimer();
    }
    return this.#worker;
  }

  #newRedis(overrides: RedisOptions): Redis {
    return typeof this.#connection === 'string'
      ? new Redis(this.#connection, overrides)
      : new Redis({ ...this.#connection, ...overrides });
  }
}
