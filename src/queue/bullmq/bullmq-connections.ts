import { Queue as BullQueue, Worker } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import type { ItemRef } from '../../jobs/index.js';
import type { Clock, Logger } from '../../lib/index.js';
import {
  ADD_CHUNK,
  deliveryId,
  MAX_STALLED_COUNT,
  PRIORITY_LIMIT,
  type DeliveryData,
} from './bullmq-options.js';

/** What `BullmqConnections` is built from (the queue's options, checked). */
export interface BullmqConnectionsOptions {
  connection: string | RedisOptions;
  prefix: string;
  queueName: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  clock: Clock;
  log: Logger;
}

/**
 * The Redis side of one `BullmqQueue`: the producer (a BullMQ queue on its own connection) and the
 * manual worker (on another: BullMQ wants different retry settings on each), each opened on first
 * use, so that a process that only enqueues never opens a worker. Owns what it opens; `close()`
 * closes it all.
 */
export class BullmqConnections {
  readonly #options: BullmqConnectionsOptions;
  #producerRedis: Redis | undefined;
  #producer: BullQueue<DeliveryData> | undefined;
  #workerRedis: Redis | undefined;
  #worker: Worker<DeliveryData> | undefined;
  #closed = false;

  constructor(options: BullmqConnectionsOptions) {
    this.#options = options;
  }

  /** The producer's Redis connection, once the producer is open. */
  get producerRedis(): Redis | undefined {
    return this.#producerRedis;
  }

  producer(): BullQueue<DeliveryData> {
    if (this.#closed) throw new Error('BullmqQueue is closed');
    if (!this.#producer) {
      // One retry: with Redis away, an enqueue gives up within a reconnection attempt instead of
      // holding the request for ioredis's default 20; the repair delivers the items later.
      this.#producerRedis = this.#newRedis({ maxRetriesPerRequest: 1 });
      this.#producer = new BullQueue<DeliveryData>(this.#options.queueName, {
        connection: this.#producerRedis,
        prefix: this.#options.prefix,
      });
      this.#producer.on('error', (error) => this.#options.log.error({ err: error }, 'BullMQ queue error'));
    }
    return this.#producer;
  }

  /** Whether the manual worker is open (the first claim opens it). */
  get hasWorker(): boolean {
    return this.#worker !== undefined;
  }

  /** The manual worker, opened on the first call; it runs BullMQ's stalled check itself. */
  worker(): Worker<DeliveryData> {
    if (this.#closed) throw new Error('BullmqQueue is closed');
    if (!this.#worker) {
      const { queueName, prefix, lockDurationMs, stalledIntervalMs, log } = this.#options;
      // BullMQ requires `maxRetriesPerRequest: null` on worker connections.
      this.#workerRedis = this.#newRedis({ maxRetriesPerRequest: null });
      this.#worker = new Worker<DeliveryData>(queueName, null, {
        connection: this.#workerRedis,
        prefix,
        autorun: false,
        lockDuration: lockDurationMs,
        stalledInterval: stalledIntervalMs,
        maxStalledCount: MAX_STALLED_COUNT,
      });
      this.#worker.on('error', (error) => log.error({ err: error }, 'BullMQ worker error'));
      // A manual worker has no main loop, so it must start the stalled check itself.
      void this.#worker.startStalledCheckTimer();
    }
    return this.#worker;
  }

  /**
   * Adds one BullMQ job per item, in bulk: id `<jobId>.<seq>` (an id that exists is not added
   * again), priority seq + 1, delayed until `runAfter` when it is given and later than now.
   */
  async add(items: ReadonlyArray<ItemRef & { runAfter?: number }>): Promise<void> {
    if (items.length === 0) return;
    const producer = this.producer();
    const now = this.#options.clock.now();
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

  /** Closes the worker, the producer and both connections, in that order; every step runs. */
  async close(): Promise<void> {
    this.#closed = true;
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
    if (errors.length > 0) throw new AggregateError(errors, 'Closing the BullMQ queue failed');
  }

  #newRedis(overrides: RedisOptions): Redis {
    const { connection, log } = this.#options;
    const redis =
      typeof connection === 'string'
        ? new Redis(connection, overrides)
        : new Redis({ ...connection, ...overrides });
    // ioredis emits one error per reconnection attempt and prints "Unhandled error event" without a
    // listener. BullMQ reports what matters through its own 'error' events (logged above) and
    // `/readyz` says the queue is away, so these go to debug.
    redis.on('error', (error: Error) => log.debug({ err: error }, 'A Redis connection of the queue failed'));
    return redis;
  }
}
