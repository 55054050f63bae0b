import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Queue as BullQueue, Worker, type Job as BullJob } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type {
  ClaimedItem,
  DeliveryDecision,
  ItemCounts,
  ItemOutcome,
  ItemRef,
  LeaseStore,
  Queue,
  QueuedItemRef,
  QueuedItemsCursor,
  QueueStore,
} from '../../jobs/index.js';
import { silentLogger, systemClock, toError, type Clock, type Logger, positiveInteger } from '../../lib/index.js';

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
const PRIORITY_LIMIT = 2 ** 21 - 1;
/** BullMQ job ids per `addBulk` call. */
const ADD_CHUNK = 1000;
/** Stalled deliveries are always put back, never failed: the database alone decides failures. */
const MAX_STALLED_COUNT = Number.MAX_SAFE_INTEGER;
/** Pause before a delivery is looked at again after the database could not be asked. */
const DB_ERROR_RETRY_MS = 1000;
/** Name of the database lease that picks the one worker process that runs the repair. */
const REPAIR_LEASE = 'bullmq-repair';
/** BullMQ states of a job that is still a delivery (not completed or failed). */
const PENDING_STATES = ['active', 'wait', 'paused', 'prioritized', 'delayed', 'waiting-children'] as const;

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
 * - Repair: an item can be `queued` in the database with no BullMQ job at all, when Redis lost its
 *   data (a restart without persistence, a failover to a replica that lagged, a flush) or when a
 *   process died between the commit that queued items and `enqueue`. The worker process holding
 *   the `bullmq-repair` database lease looks every `repairIntervalMs`, and whenever its Redis
 *   connection becomes ready again: when BullMQ holds fewer pending jobs than the database has
 *   queued + running items, it walks the queued items `repairBatchSize` at a time, asks Redis in
 *   one pipeline which of their jobs exist, and adds the missing ones (same id, priority, and a
 *   delay until `run_after`). Re-adding is harmless in every race: an id that exists is not added
 *   again, so an item still has at most one job; a job added for an item that meanwhile ran is
 *   dropped as `done` by `claimDeliveries`; and a worker still holding a lock token from before
 *   the loss cannot move the new job (BullMQ checks the token), while its outcome is recorded only
 *   if its database lease still holds.
 *
 * Owns the Redis connections it opens; `close()` closes them. The repository is borrowed.
 */
export class BullmqQueue implements Queue {
  readonly #repository: BullmqQueueStore;
  readonly #connection: string | RedisOptions;
  readonly #prefix: string;
  readonly #queueName: string;
  readonly #lockDurationMs: number;
  readonly #stalledIntervalMs: number;
  readonly #maxDeliveriesPerClaim: number | undefined;
  readonly #repairIntervalMs: number;
  readonly #repairBatchSize: number;
  /** This process in the `bullmq-repair` lease row. */
  readonly #holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #clock: Clock;
  readonly #log: Logger;
  #repairTimer: NodeJS.Timeout | undefined;
  #repairing: Promise<number> | undefined;

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
    this.#repairIntervalMs = positiveInteger('repairIntervalMs', options.repairIntervalMs ?? 10_000);
    this.#repairBatchSize = positiveInteger('repairBatchSize', options.repairBatchSize ?? 500);
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
    try {
      await this.#add(items);
    } catch (error) {
      // The items are committed already: failing the request now would only make the client submit
      // them again. The repair gives them their deliveries once Redis answers (see the class comment).
      this.#log.warn({ err: toError(error), items: items.length }, 'Enqueueing in Redis failed; the repair will deliver these items once Redis answers');
    }
  }

  /**
   * Readiness probe: resolves when Redis answers on the connection `enqueue` uses; fails at once
   * while that connection is down (rather than waiting in ioredis's offline queue).
   */
  async ping(): Promise<void> {
    this.#openProducer();
    const redis = this.#producerRedis!;
    if (redis.status === 'reconnecting' || redis.status === 'close' || redis.status === 'end') {
      throw new Error(`The Redis connection of the queue is down (${redis.status})`);
    }
    await redis.ping();
  }

  /**
   * The repair (see the class comment): if this process holds the `bullmq-repair` lease and BullMQ
   * holds fewer pending jobs than the database has queued + running items, gives every queued item
   * whose job is missing a new one. Returns how many it added. Never throws (a failure is logged
   * and the next run tries again); concurrent calls share one run.
   */
  repairDeliveries(): Promise<number> {
    this.#repairing ??= this.#repair().finally(() => {
      this.#repairing = undefined;
    });
    return this.#repairing;
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
    return (await this.renewLeases([item], leaseMs)).length === 0;
  }

  /** Extends the database leases in one batch, then the BullMQ locks of those held; resolves with the lost. */
  async renewLeases(items: readonly ClaimedItem[], leaseMs: number): Promise<ClaimedItem[]> {
    const lost = await this.#repository.renewLeases(items, leaseMs);
    const lostSet = new Set(lost);
    const giveBack: Array<[Delivery, DeliveryDecision]> = [];
    const extensions: Array<Promise<void>> = [];
    for (const item of items) {
      const delivery = this.#held.get(itemKey(item));
      if (!delivery) continue;
      if (lostSet.has(item)) {
        // The pool gives the item up and will not settle it: let the database look at the delivery now.
        this.#held.delete(itemKey(item));
        giveBack.push([delivery, { kind: 'later', runAfter: this.#clock.now() }]);
        continue;
      }
      extensions.push(
        delivery.job.extendLock(delivery.token, leaseMs).then(
          () => undefined,
          (error: unknown) => {
            // The database lease is what counts; a lost lock only means the stalled check may hand
            // the delivery to another worker, which will find the item leased and delay it.
            this.#log.warn({ err: toError(error), jobId: item.jobId, seq: item.seq }, 'Extending a BullMQ lock failed');
          },
        ),
      );
    }
    await Promise.all(extensions);
    if (giveBack.length > 0) await this.#settleAll(giveBack);
    return lost;
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
    clearInterval(this.#repairTimer);
    this.#producerRedis?.off('ready', this.#onRedisReady);
    // A repair stops between two pages once closing; let it finish before its connections go.
    await this.#repairing;
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
        const [{ job, ref }, decision] = entries[i]!;
        this.#log.warn(
          { err: toError(result.reason), deliveryId: job.id, ...(ref ? { jobId: ref.jobId, seq: ref.seq } : {}), decision: decision.kind },
          'Settling a BullMQ delivery failed',
        );
      }
    }
  }

  /** Adds one BullMQ job per item (see `enqueue`), delayed until `runAfter` when it is given and later than now. */
  async #add(items: ReadonlyArray<ItemRef & { runAfter?: number }>): Promise<void> {
    if (items.length === 0) return;
    const producer = this.#openProducer();
    const now = this.#clock.now();
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
            ...(ref.runAfter !== undefined && ref.runAfter > now ? { delay: ref.runAfter - now } : {}),
          },
        })),
      );
    }
  }

  /** Runs the repair periodically, from the first claim on: only processes that take deliveries repair them. */
  #startRepair(): void {
    if (this.#repairTimer !== undefined || this.#closing) return;
    this.#openProducer();
    this.#repairTimer = setInterval(() => void this.repairDeliveries(), this.#repairIntervalMs);
    // 'ready' follows every (re)connection: after a Redis restart, look at once.
    this.#producerRedis!.on('ready', this.#onRedisReady);
    void this.repairDeliveries();
  }

  readonly #onRedisReady = (): void => {
    void this.repairDeliveries();
  };

  async #repair(): Promise<number> {
    if (this.#closing) return 0;
    try {
      const isLeader = await this.#repository.acquireLease(REPAIR_LEASE, this.#holder, 3 * this.#repairIntervalMs);
      if (!isLeader || this.#closing) return 0;
      const producer = this.#openProducer();
      const [items, jobs] = await Promise.all([this.#repository.countItemsByState(), producer.getJobCounts(...PENDING_STATES)]);
      const pending = Object.values(jobs).reduce((sum, n) => sum + n, 0);
      // Every queued or running item has at most one job; as many jobs as items means none is missing.
      if (pending >= items.queued + items.running) return 0;
      return await this.#redeliverMissing(producer);
    } catch (error) {
      this.#log.warn({ err: toError(error) }, 'Repairing BullMQ deliveries failed; the next run tries again');
      return 0;
    }
  }

  /** Walks every queued item (one page at a time: memory stays flat) and adds the missing jobs. */
  async #redeliverMissing(producer: BullQueue<DeliveryData>): Promise<number> {
    let added = 0;
    let after: QueuedItemsCursor | undefined;
    do {
      const page = await this.#repository.listQueuedItems(this.#repairBatchSize, after);
      const missing = await this.#withoutJob(producer, page.items);
      await this.#add(missing);
      added += missing.length;
      after = page.next ?? undefined;
    } while (after !== undefined && !this.#closing);
    if (added > 0) {
      this.#log.warn({ added }, 'Queued items had no BullMQ delivery (Redis lost data, or a process died between commit and enqueue); they have one again');
    }
    return added;
  }

  /** The items whose BullMQ job does not exist, asked in one pipeline of EXISTS. */
  async #withoutJob(producer: BullQueue<DeliveryData>, items: readonly QueuedItemRef[]): Promise<QueuedItemRef[]> {
    if (items.length === 0) return [];
    const pipeline = this.#producerRedis!.pipeline();
    for (const item of items) pipeline.exists(producer.toKey(deliveryId(item)));
    const results = (await pipeline.exec()) ?? [];
    const missing: QueuedItemRef[] = [];
    for (const [i, item] of items.entries()) {
      const [error, exists] = results[i] ?? [new Error('Redis gave no answer'), null];
      if (error) throw error;
      if (exists === 0) missing.push(item);
    }
    return missing;
  }

  #openProducer(): BullQueue<DeliveryData> {
    if (this.#closing) throw new Error('BullmqQueue is closed');
    if (!this.#producer) {
      // One retry: with Redis away, an enqueue gives up within a reconnection attempt instead of
      // holding the request for ioredis's default 20; the repair delivers the items later.
      this.#producerRedis = this.#newRedis({ maxRetriesPerRequest: 1 });
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
      this.#startRepair();
    }
    return this.#worker;
  }

  #newRedis(overrides: RedisOptions): Redis {
    const redis =
      typeof this.#connection === 'string' ? new Redis(this.#connection, overrides) : new Redis({ ...this.#connection, ...overrides });
    // ioredis emits one error per reconnection attempt and prints "Unhandled error event" without a
    // listener. BullMQ reports what matters through its own 'error' events (logged above) and
    // `/readyz` says the queue is away, so these go to debug.
    redis.on('error', (error: Error) => this.#log.debug({ err: error }, 'A Redis connection of the queue failed'));
    return redis;
  }
}
