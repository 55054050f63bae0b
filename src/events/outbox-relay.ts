import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  backoffDelayMs,
  silentLogger,
  systemClock,
  toError,
  type BackoffOptions,
  type Clock,
  type Logger,
  positiveInteger,
} from '../lib/index.js';
import type { EventSink, OutboxStore } from './ports.js';

/** What the relay drives besides the outbox while it holds the lease: the webhook dispatcher. */
export interface LeaderTask {
  /** Called on every turn of the loop; must not wait for slow work (start it and return). */
  dispatchDue(): Promise<unknown>;
  stop(): Promise<void>;
}

/** Options of `OutboxRelay`. */
export interface OutboxRelayOptions {
  store: OutboxStore;
  /** Where events go, in this order. Owned: `stop()` closes them. */
  sinks: readonly EventSink[];
  /** Run on every turn while this relay holds the lease (webhook sending). Owned: stopped by `stop()`. */
  leaderTask?: LeaderTask | undefined;
  logger?: Logger;
  clock?: Clock;
  /** Pause between two looks at an empty outbox, in milliseconds; `notify()` cuts it short. @default 200 */
  pollIntervalMs?: number;
  /** Events read and published per batch. @default 200 */
  batchSize?: number;
  /** Name of the lease row: one relay per database holds it. @default 'outbox-relay' */
  leaseName?: string;
  /** How long the lease lasts unless renewed (every third of it), in milliseconds. @default 15000 */
  leaseMs?: number;
  /** Identity of this relay in the lease row. @default `<host>:<pid>:<random>` */
  holder?: string;
  /** Backoff between failed publishes (a sink down). @default { baseMs: 500, maxMs: 30000 } */
  backoff?: BackoffOptions;
  /** Published events older than this are deleted, in milliseconds; 0 keeps them. @default 0 */
  retentionMs?: number;
  /** How often retention runs, in milliseconds. @default 60000 */
  retentionIntervalMs?: number;
  /** Rows deleted per retention statement: small, so no statement holds locks for long. @default 500 */
  retentionBatchSize?: number;
  /** Called once per retention run with finished webhook deliveries' cut-off (they share the retention). */
  pruneDeliveries?: ((before: number, limit: number) => Promise<number>) | undefined;
  /** On stop, how long the leader keeps publishing what the last work wrote, in milliseconds. @default 2000 */
  drainTimeoutMs?: number;
}

/**
 * The outbox relay: publishes the event rows that state changes wrote in their own transactions,
 * at least once, then marks them published.
 *
 * Loop (one turn every `pollIntervalMs`, at once after a full batch or a `notify()`):
 *   1. Take or renew the lease `outbox-relay` (every third of `leaseMs`). Without it, stand by and
 *      try again each third of `leaseMs`: a standby takes over when the holder stops renewing.
 *   2. Read up to `batchSize` unpublished events in id order; hand the batch to every sink in
 *      order (each resolves only when its events are safe: RabbitMQ confirms, delivery rows
 *      written); then mark them published. A failure leaves the whole batch unpublished and the
 *      next try waits with exponential backoff, so the order of a job's events is kept (a job's
 *      events get increasing ids under its row lock) and nothing is lost; a batch may go out
 *      twice (consumers dedupe by event id).
 *   3. Let the webhook dispatcher start due calls, and every `retentionIntervalMs` delete a few
 *      batches of expired published events and finished deliveries.
 *
 * Every failure is caught and logged; the loop never throws, never blocks the API or the workers
 * (it only shares the database pool with them), and holds at most one batch in memory.
 */
export class OutboxRelay {
  readonly #store: OutboxStore;
  readonly #sinks: readonly EventSink[];
  readonly #leaderTask: LeaderTask | undefined;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #leaseName: string;
  readonly #leaseMs: number;
  readonly #holder: string;
  readonly #backoff: BackoffOptions;
  readonly #retentionMs: number;
  readonly #retentionIntervalMs: number;
  readonly #retentionBatchSize: number;
  readonly #pruneDeliveries: OutboxRelayOptions['pruneDeliveries'];
  readonly #drainTimeoutMs: number;
  readonly #controller = new AbortController();
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #isNotified = false;
  /** Until when this relay may act as the leader (the lease it last took or renewed). */
  #leaseValidUntil = 0;
  #leaseRenewedAt = Number.NEGATIVE_INFINITY;
  #failures = 0;
  #publishAfter = 0;
  #nextRetentionAt = 0;
  #published = 0;

  constructor(options: OutboxRelayOptions) {
    this.#store = options.store;
    this.#sinks = options.sinks;
    this.#leaderTask = options.leaderTask;
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 200);
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 200);
    this.#leaseName = options.leaseName ?? 'outbox-relay';
    this.#leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 15_000);
    this.#holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    this.#backoff = { baseMs: 500, maxMs: 30_000, ...options.backoff };
    this.#retentionMs = options.retentionMs ?? 0;
    if (!Number.isSafeInteger(this.#retentionMs) || this.#retentionMs < 0) {
      throw new TypeError(
        `Expected \`retentionMs\` to be a non-negative integer, got \`${this.#retentionMs}\``,
      );
    }
    this.#retentionIntervalMs = positiveInteger('retentionIntervalMs', options.retentionIntervalMs ?? 60_000);
    this.#retentionBatchSize = positiveInteger('retentionBatchSize', options.retentionBatchSize ?? 500);
    this.#pruneDeliveries = options.pruneDeliveries;
    this.#drainTimeoutMs = options.drainTimeoutMs ?? 2000;
  }

  /** The relay's identity in the lease row. */
  get holder(): string {
    return this.#holder;
  }

  /** True while this relay holds the lease and publishes. */
  get isLeader(): boolean {
    return this.#clock.now() < this.#leaseValidUntil;
  }

  /** Events this relay has marked published since it started. */
  get published(): number {
    return this.#published;
  }

  /** Starts the loop. Idempotent. */
  start(): void {
    if (this.#loop || this.#stopping) return;
    this.#loop = this.#run();
  }

  /** Cuts the current pause short: events were just written. Cheap; call it as often as you like. */
  notify(): void {
    this.#isNotified = true;
    this.#wake?.();
  }

  /**
   * Stops the loop, lets the leader publish what is left for up to `drainTimeoutMs`, stops the
   * webhook dispatcher (its calls in flight stay pending), releases the lease so a standby takes
   * over at once, and closes the sinks. Idempotent; never throws for a sink that is down.
   */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    this.#controller.abort(new Error('The outbox relay is stopping'));
    this.#wake?.();
    await this.#loop;
    const errors: Error[] = [];
    if (this.#loop && this.isLeader) {
      const deadline = this.#clock.now() + this.#drainTimeoutMs;
      try {
        while (
          this.#clock.now() < deadline &&
          (await this.#publishBatch(AbortSignal.timeout(this.#drainTimeoutMs))) === this.#batchSize
        );
      } catch (error) {
        this.#logger.info(
          { err: toError(error) },
          'Events left in the outbox at stop; the next relay publishes them',
        );
      }
    }
    try {
      await this.#leaderTask?.stop();
    } catch (error) {
      errors.push(toError(error));
    }
    if (this.#loop && this.#leaseValidUntil > 0) {
      try {
        await this.#store.releaseLease(this.#leaseName, this.#holder);
      } catch (error) {
        this.#logger.warn(
          { err: toError(error) },
          'Releasing the outbox lease failed; a standby takes over when it expires',
        );
      }
    }
    this.#leaseValidUntil = 0;
    for (const sink of this.#sinks) {
      try {
        await sink.close();
      } catch (error) {
        errors.push(
          new Error(`Closing the ${sink.name} sink failed: ${toError(error).message}`, { cause: error }),
        );
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'The outbox relay did not stop cleanly');
  }

  async #run(): Promise<void> {
    const signal = this.#controller.signal;
    while (!signal.aborted) {
      let hasMore = false;
      await this.#keepLease();
      if (this.isLeader) {
        hasMore = await this.#publishTurn(signal);
        await this.#leaderTurn();
      }
      if (!hasMore && !signal.aborted)
        await this.#pause(this.isLeader ? this.#pollIntervalMs : Math.ceil(this.#leaseMs / 3));
    }
  }

  async #keepLease(): Promise<void> {
    const now = this.#clock.now();
    if (this.isLeader && now - this.#leaseRenewedAt < this.#leaseMs / 3) return;
    const wasLeader = this.isLeader;
    try {
      const isHeld = await this.#store.acquireLease(this.#leaseName, this.#holder, this.#leaseMs);
      if (isHeld) {
        this.#leaseRenewedAt = now;
        this.#leaseValidUntil = now + this.#leaseMs;
      } else {
        this.#leaseValidUntil = 0;
      }
    } catch (error) {
      // Keep acting on the lease we have until it runs out; a standby may take over after that.
      this.#logger.warn({ err: toError(error) }, 'Renewing the outbox lease failed');
    }
    if (wasLeader !== this.isLeader) {
      this.#logger.info(
        { holder: this.#holder, isLeader: this.isLeader },
        this.isLeader ? 'This process now publishes events' : 'Another process publishes events now',
      );
    }
  }

  /** Publishes one batch unless backing off; true when the batch was full (more may wait). */
  async #publishTurn(signal: AbortSignal): Promise<boolean> {
    if (this.#clock.now() < this.#publishAfter) return false;
    try {
      const count = await this.#publishBatch(signal);
      if (this.#failures > 0)
        this.#logger.info({ failures: this.#failures }, 'Publishing events works again');
      this.#failures = 0;
      return count === this.#batchSize;
    } catch (error) {
      if (signal.aborted) return false;
      this.#failures++;
      const delayMs = backoffDelayMs(this.#failures, this.#backoff);
      this.#publishAfter = this.#clock.now() + delayMs;
      // The first failure and then every tenth: a broker down for an hour must not flood the log.
      if (this.#failures === 1 || this.#failures % 10 === 0) {
        this.#logger.warn(
          { err: toError(error), failures: this.#failures, retryInMs: delayMs },
          'Publishing events failed; they wait in the outbox',
        );
      }
      return false;
    }
  }

  async #publishBatch(signal: AbortSignal): Promise<number> {
    const events = await this.#store.listUnpublishedEvents(this.#batchSize);
    if (events.length === 0) return 0;
    for (const sink of this.#sinks) {
      if (signal.aborted) throw new Error('Stopped before the batch was published');
      await sink.publish(events, { signal });
    }
    await this.#store.markEventsPublished(events.map((e) => e.id));
    this.#published += events.length;
    return events.length;
  }

  async #leaderTurn(): Promise<void> {
    try {
      await this.#leaderTask?.dispatchDue();
    } catch (error) {
      this.#logger.warn({ err: toError(error) }, 'Dispatching webhook deliveries failed');
    }
    const now = this.#clock.now();
    if (this.#retentionMs === 0 || now < this.#nextRetentionAt) return;
    this.#nextRetentionAt = now + this.#retentionIntervalMs;
    const before = now - this.#retentionMs;
    try {
      // A few small statements per run: deletes never hold locks for long, and a backlog drains
      // over several runs.
      let deleted = 0;
      for (let i = 0; i < 10; i++) {
        const n = await this.#store.deleteExpiredEvents(before, this.#retentionBatchSize);
        deleted += n;
        if (n < this.#retentionBatchSize) break;
      }
      const pruned = (await this.#pruneDeliveries?.(before, this.#retentionBatchSize)) ?? 0;
      if (deleted + pruned > 0) this.#logger.debug({ deleted, pruned }, 'Deleted expired events');
    } catch (error) {
      this.#logger.warn({ err: toError(error) }, 'Deleting expired events failed');
    }
  }

  /** Waits `ms`, or less when notified or stopped. */
  async #pause(ms: number): Promise<void> {
    if (this.#isNotified) {
      this.#isNotified = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
    this.#isNotified = false;
  }
}
