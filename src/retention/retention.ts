import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import {
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
  positiveInteger,
} from '../lib/index.js';

/** What retention needs of storage: small idempotent deletes and a named lease. */
export interface RetentionStore {
  deleteExpiredJobs(finishedBefore: number, limit: number): Promise<{ jobs: number; items: number }>;
  deleteOrphanDocuments(updatedBefore: number, limit: number): Promise<number>;
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
}

export interface RetentionOptions {
  store: RetentionStore;
  /** Jobs finished longer ago than this are deleted with their items, in milliseconds; 0 keeps everything. */
  maxAgeMs: number;
  clock?: Clock;
  logger?: Logger;
  /** How often a run starts, in milliseconds. @default 600000 (10 min) */
  intervalMs?: number;
  /** Rows per statement: small, so that no delete holds locks for long. @default 500 */
  batchSize?: number;
  /** Statements per run at most: a backlog drains over several runs. @default 200 */
  maxBatchesPerRun?: number;
  /** Identity in the lease row. @default `<host>:<pid>:<random>` */
  holder?: string;
}

/**
 * Retention (issue 9): deletes jobs (with their items) finished more than `maxAgeMs` ago, then the
 * documents that no item refers to any more and that were not stored within `maxAgeMs`, in small
 * batches, each its own short statement or transaction.
 *
 * Every `serve` and `worker` process runs one; a run first takes the lease `retention` for one
 * interval (never renewed or released: it simply lapses), so one process per database does the
 * work per interval. Should two overlap anyway, the deletes are idempotent.
 */
export class Retention {
  readonly #store: RetentionStore;
  readonly #maxAgeMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #batchSize: number;
  readonly #maxBatchesPerRun: number;
  readonly #holder: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: RetentionOptions) {
    this.#store = options.store;
    this.#maxAgeMs = options.maxAgeMs;
    if (!Number.isSafeInteger(this.#maxAgeMs) || this.#maxAgeMs < 0) {
      throw new TypeError(`Expected \`maxAgeMs\` to be a non-negative integer, got \`${this.#maxAgeMs}\``);
    }
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#intervalMs = positiveInteger('intervalMs', options.intervalMs ?? 600_000);
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 500);
    this.#maxBatchesPerRun = positiveInteger('maxBatchesPerRun', options.maxBatchesPerRun ?? 200);
    this.#holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** Schedules runs every `intervalMs` (the first after one interval). Nothing when `maxAgeMs` is 0. */
  start(): void {
    if (this.#maxAgeMs === 0 || this.#timer || this.#stopping) return;
    this.#timer = setInterval(() => {
      if (this.#running) return;
      this.#running = this.runOnce()
        .catch((error: unknown) =>
          this.#logger.warn({ err: toError(error) }, 'Retention failed; it runs again next interval'),
        )
        .finally(() => {
          this.#running = undefined;
        });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and waits for a run in progress (it stops between two batches). Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      clearInterval(this.#timer);
      await this.#running;
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * One run, if this process takes the lease (or `force`): returns what it deleted. Jobs first, so
   * their documents become orphans in the same run.
   */
  async runOnce(
    options: { force?: boolean } = {},
  ): Promise<{ jobs: number; items: number; documents: number }> {
    const deleted = { jobs: 0, items: 0, documents: 0 };
    if (this.#maxAgeMs === 0) return deleted;
    if (!options.force && !(await this.#store.acquireLease('retention', this.#holder, this.#intervalMs)))
      return deleted;
    const before = this.#clock.now() - this.#maxAgeMs;
    for (let i = 0; i < this.#maxBatchesPerRun && !this.#stopping; i++) {
      const step = await this.#store.deleteExpiredJobs(before, this.#batchSize);
      deleted.jobs += step.jobs;
      deleted.items += step.items;
      if (step.jobs === 0 && step.items === 0) break;
    }
    for (let i = 0; i < this.#maxBatchesPerRun && !this.#stopping; i++) {
      const n = await this.#store.deleteOrphanDocuments(before, this.#batchSize);
      deleted.documents += n;
      if (n < this.#batchSize) break;
    }
    if (deleted.jobs + deleted.items + deleted.documents > 0)
      this.#logger.info(deleted, 'Retention deleted old jobs and documents');
    return deleted;
  }
}
