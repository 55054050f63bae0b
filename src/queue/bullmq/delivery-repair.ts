import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { QueuedItemRef, QueuedItemsCursor } from '../../jobs/index.js';
import { toError, type Logger } from '../../lib/index.js';
import type { BullmqConnections } from './bullmq-connections.js';
import { deliveryId, PENDING_STATES, REPAIR_LEASE, type BullmqQueueStore } from './bullmq-options.js';

/** What `DeliveryRepair` works with. */
export interface DeliveryRepairOptions {
  repository: BullmqQueueStore;
  connections: BullmqConnections;
  intervalMs: number;
  batchSize: number;
  log: Logger;
}

/**
 * The repair of `BullmqQueue` (see "Repair" in its class comment): gives every queued item whose
 * BullMQ job is missing a new one. Runs every `intervalMs` once started, and whenever the
 * producer's Redis connection becomes ready again, in the one process holding the `bullmq-repair`
 * database lease.
 */
export class DeliveryRepair {
  readonly #options: DeliveryRepairOptions;
  /** This process in the `bullmq-repair` lease row. */
  readonly #holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #stopped = false;

  constructor(options: DeliveryRepairOptions) {
    this.#options = options;
  }

  /** Starts the periodic repair, and a run at once. Idempotent. */
  start(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    const { connections, intervalMs } = this.#options;
    connections.producer();
    this.#timer = setInterval(() => void this.run(), intervalMs);
    // 'ready' follows every (re)connection: after a Redis restart, look at once.
    connections.producerRedis!.on('ready', this.#onRedisReady);
    void this.run();
  }

  /**
   * One repair: if this process holds the lease and BullMQ holds fewer pending jobs than the
   * database has queued + running items, adds the missing jobs. Returns how many it added. Never
   * throws (a failure is logged and the next run tries again); concurrent calls share one run.
   */
  run(): Promise<number> {
    this.#running ??= this.#repair().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops the timer and waits for a run in progress (it stops between two pages). */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#options.connections.producerRedis?.off('ready', this.#onRedisReady);
    await this.#running;
  }

  readonly #onRedisReady = (): void => {
    void this.run();
  };

  async #repair(): Promise<number> {
    if (this.#stopped) return 0;
    const { repository, connections, intervalMs, log } = this.#options;
    try {
      const isLeader = await repository.acquireLease(REPAIR_LEASE, this.#holder, 3 * intervalMs);
      if (!isLeader || this.#stopped) return 0;
      const producer = connections.producer();
      const [items, jobs] = await Promise.all([
        repository.countItemsByState(),
        producer.getJobCounts(...PENDING_STATES),
      ]);
      const pending = Object.values(jobs).reduce((sum, n) => sum + n, 0);
      // Every queued or running item has at most one job; as many jobs as items means none is missing.
      if (pending >= items.queued + items.running) return 0;
      return await this.#redeliverMissing();
    } catch (error) {
      log.warn({ err: toError(error) }, 'Repairing BullMQ deliveries failed; the next run tries again');
      return 0;
    }
  }

  /** Walks every queued item (one page at a time: memory stays flat) and adds the missing jobs. */
  async #redeliverMissing(): Promise<number> {
    const { repository, connections, batchSize, log } = this.#options;
    let added = 0;
    let after: QueuedItemsCursor | undefined;
    do {
      const page = await repository.listQueuedItems(batchSize, after);
      const missing = await this.#withoutJob(page.items);
      await connections.add(missing);
      added += missing.length;
      after = page.next ?? undefined;
    } while (after !== undefined && !this.#stopped);
    if (added > 0) {
      log.warn(
        { added },
        'Queued items had no BullMQ delivery (Redis lost data, or a process died between commit and enqueue); they have one again',
      );
    }
    return added;
  }

  /** The items whose BullMQ job does not exist, asked in one pipeline of EXISTS. */
  async #withoutJob(items: readonly QueuedItemRef[]): Promise<QueuedItemRef[]> {
    if (items.length === 0) return [];
    const producer = this.#options.connections.producer();
    const pipeline = this.#options.connections.producerRedis!.pipeline();
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
}
