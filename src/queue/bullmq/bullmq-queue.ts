import { randomUUID } from 'node:crypto';
import type {
  ClaimedItem,
  DeliveryDecision,
  ItemCounts,
  ItemOutcome,
  ItemRef,
  Queue,
} from '../../jobs/index.js';
import {
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
  positiveInteger,
} from '../../lib/index.js';
import { BullmqConnections } from './bullmq-connections.js';
import {
  DB_ERROR_RETRY_MS,
  itemKey,
  parseRef,
  type BullmqQueueOptions,
  type BullmqQueueStore,
  type Delivery,
} from './bullmq-options.js';
import { DeliveryRepair } from './delivery-repair.js';

export { deliveryId, type BullmqQueueOptions, type BullmqQueueStore } from './bullmq-options.js';

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
  readonly #lockDurationMs: number;
  readonly #maxDeliveriesPerClaim: number | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #connections: BullmqConnections;
  readonly #repair: DeliveryRepair;
  /** Deliveries whose item this process holds under a database lease, by item and token. */
  readonly #held = new Map<string, Delivery>();
  #closing: Promise<void> | undefined;

  constructor(options: BullmqQueueOptions) {
    const { connection, repository } = options;
    if (typeof connection !== 'string' && (typeof connection !== 'object' || connection === null)) {
      throw new TypeError('Expected `connection` to be a Redis URL or ioredis options');
    }
    this.#repository = repository;
    const queueName = options.queueName ?? 'distill-items';
    if (queueName.includes(':')) {
      throw new TypeError(`Expected \`queueName\` without \`:\`, got \`${queueName}\``);
    }
    this.#lockDurationMs = positiveInteger('lockDurationMs', options.lockDurationMs ?? 30_000);
    this.#maxDeliveriesPerClaim =
      options.maxDeliveriesPerClaim === undefined
        ? undefined
        : positiveInteger('maxDeliveriesPerClaim', options.maxDeliveriesPerClaim);
    this.#clock = options.clock ?? systemClock;
    this.#log = (options.logger ?? silentLogger).child({ component: 'bullmq-queue' });
    this.#connections = new BullmqConnections({
      connection,
      prefix: options.prefix ?? 'distill',
      queueName,
      lockDurationMs: this.#lockDurationMs,
      stalledIntervalMs: positiveInteger('stalledIntervalMs', options.stalledIntervalMs ?? 5000),
      clock: this.#clock,
      log: this.#log,
    });
    this.#repair = new DeliveryRepair({
      repository,
      connections: this.#connections,
      intervalMs: positiveInteger('repairIntervalMs', options.repairIntervalMs ?? 10_000),
      batchSize: positiveInteger('repairBatchSize', options.repairBatchSize ?? 500),
      log: this.#log,
    });
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
      await this.#connections.add(items);
    } catch (error) {
      // The items are committed already: failing the request now would only make the client submit
      // them again. The repair gives them their deliveries once Redis answers (see the class comment).
      this.#log.warn(
        { err: toError(error), items: items.length },
        'Enqueueing in Redis failed; the repair will deliver these items once Redis answers',
      );
    }
  }

  /**
   * Readiness probe: resolves when Redis answers on the connection `enqueue` uses; fails at once
   * while that connection is down (rather than waiting in ioredis's offline queue).
   */
  async ping(): Promise<void> {
    this.#connections.producer();
    const redis = this.#connections.producerRedis!;
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
    return this.#repair.run();
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
        await this.#settleAll(
          deliveries.map((d) => [d, { kind: 'later', runAfter: this.#clock.now() + DB_ERROR_RETRY_MS }]),
        );
        if (claimed.length > 0) {
          this.#log.error({ err: toError(error) }, 'Claiming deliveries in the database failed');
          break;
        }
        throw error;
      }
      const byRef = new Map(refs.map((ref, i) => [`${ref.jobId}\u0000${ref.seq}`, decisions[i]!]));
      const toSettle: Array<[Delivery, DeliveryDecision]> = [];
      for (const delivery of deliveries) {
        const decision = delivery.ref
          ? byRef.get(`${delivery.ref.jobId}\u0000${delivery.ref.seq}`)
          : undefined;
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
            this.#log.warn(
              { err: toError(error), jobId: item.jobId, seq: item.seq },
              'Extending a BullMQ lock failed',
            );
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
    // A repair stops between two pages once closing; let it finish before its connections go.
    await this.#repair.stop();
    try {
      await this.#connections.close();
    } finally {
      // Unsettled deliveries keep their locks until they expire; the stalled check puts them back.
      this.#held.clear();
    }
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
          {
            err: toError(result.reason),
            deliveryId: job.id,
            ...(ref ? { jobId: ref.jobId, seq: ref.seq } : {}),
            decision: decision.kind,
          },
          'Settling a BullMQ delivery failed',
        );
      }
    }
  }

  /** The manual worker, opened on the first claim; from then on this process also runs the repair. */
  #openWorker(): ReturnType<BullmqConnections['worker']> {
    const worker = this.#connections.worker();
    this.#repair.start();
    return worker;
  }
}
