// The worker pool's types and options (moved out of pool.ts, which re-exports them), and the parsing
// of its concurrency and intervals from the options (defaults applied, each checked).
import type { ClaimedItem, ItemOutcome, JobRepository, Queue } from '../jobs/index.js';
import { positiveInteger, type BackoffOptions, type Clock, type Logger } from '../lib/index.js';
import {
  AdaptiveConcurrency,
  type AdaptiveConcurrencyOptions,
  type ConcurrencyStep,
} from './adaptive-concurrency.js';
import type { BodyHandOff } from './body-hand-off.js';

/**
 * The work the pool runs for one item: resolves with the outcome or throws (see retry-policy).
 * `log` is bound to the item (`jobId`, `seq`, `host`): a task logs through it so that every line
 * about the item can be found by its job.
 */
export type TaskFunction = (item: ClaimedItem, context: TaskContext) => Promise<ItemOutcome>;

/** What the pool hands a task besides the item. */
export interface TaskContext {
  signal: AbortSignal;
  /** The pool's logger bound to the item. @default a logger that drops everything */
  log?: Logger;
  /**
   * Present when the pool has a hand-off budget (`WorkerPoolOptions.handOff`): the task calls it
   * once its body of `byteLength` bytes is fetched and goes to extraction. The item's fetch slot
   * is then free for the next URL, and its body counts against the budget until the task ends.
   */
  handOff?: (byteLength: number) => void;
}

/** Options of `WorkerPool`. */
export interface WorkerPoolOptions {
  queue: Queue;
  repository: Pick<JobRepository, 'finishAttempt' | 'cancelledJobIds'>;
  task: TaskFunction;
  /**
   * Items run at once in this process: a number pins it; `auto` lets `AdaptiveConcurrency` find the
   * level from `autoConcurrency`'s signals, once every `adjustIntervalMs`. @default 16
   */
  concurrency?: number | 'auto';
  /** The floor, ceiling and signals of `concurrency: 'auto'` (required with it). */
  autoConcurrency?: AdaptiveConcurrencyOptions;
  /** How often an `auto` level is adjusted. @default 1000 ms */
  adjustIntervalMs?: number;
  /** Observes every adjustment of an `auto` level (metrics, logs); must not throw. */
  onConcurrencyStep?: (step: ConcurrencyStep) => void;
  /** Lease of a claimed item; a heartbeat renews it while the task runs. @default 30000 ms */
  leaseMs?: number;
  /** How often leases are renewed. @default leaseMs / 3 */
  heartbeatMs?: number;
  /** Wait between claims when the queue had nothing runnable. @default 250 ms */
  pollIntervalMs?: number;
  /** How often expired leases of dead workers are reclaimed. @default 5000 ms */
  reclaimIntervalMs?: number;
  /** How often in-flight items are checked for a cancelled job. @default 500 ms */
  cancelCheckMs?: number;
  /** How long `stop()` lets in-flight items finish before aborting them. @default 10000 ms */
  shutdownTimeoutMs?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  logger?: Logger;
  /** Observes every recorded outcome (metrics); must not throw. */
  onOutcome?: (item: ClaimedItem, outcome: ItemOutcome, durationMs: number) => void;
  /**
   * The byte budget of fetched bodies waiting for extraction (issue 16). With it, `concurrency`
   * counts the items still fetching: an item that handed its body off (`TaskContext.handOff`)
   * frees its slot, and while the budget is full the pool claims nothing. Without it, an item
   * holds its slot until it ends.
   */
  handOff?: BodyHandOff;
}

/** `WorkerPoolOptions`' concurrency and intervals, defaults applied and checked. */
export interface PoolSettings {
  /** The pinned level; 0 with `concurrency: 'auto'`. */
  fixedConcurrency: number;
  /** The controller of an `auto` level; undefined for a pinned one. */
  adaptive: AdaptiveConcurrency | undefined;
  adjustIntervalMs: number;
  leaseMs: number;
  heartbeatMs: number;
  pollIntervalMs: number;
  reclaimIntervalMs: number;
  cancelCheckMs: number;
  shutdownTimeoutMs: number;
}

/** The pool's settings from its options; throws a `TypeError` for an invalid one. */
export function poolSettings(options: WorkerPoolOptions): PoolSettings {
  let adaptive: AdaptiveConcurrency | undefined;
  let fixedConcurrency: number;
  if (options.concurrency === 'auto') {
    if (!options.autoConcurrency)
      throw new TypeError('Expected `autoConcurrency` with `concurrency: "auto"`');
    adaptive = new AdaptiveConcurrency(options.autoConcurrency);
    fixedConcurrency = 0;
  } else {
    fixedConcurrency = positiveInteger('concurrency', options.concurrency ?? 16);
  }
  const adjustIntervalMs = positiveInteger('adjustIntervalMs', options.adjustIntervalMs ?? 1000);
  const leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 30_000);
  return {
    fixedConcurrency,
    adaptive,
    adjustIntervalMs,
    leaseMs,
    heartbeatMs: positiveInteger('heartbeatMs', options.heartbeatMs ?? Math.max(1, Math.floor(leaseMs / 3))),
    pollIntervalMs: positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 250),
    reclaimIntervalMs: positiveInteger('reclaimIntervalMs', options.reclaimIntervalMs ?? 5000),
    cancelCheckMs: positiveInteger('cancelCheckMs', options.cancelCheckMs ?? 500),
    shutdownTimeoutMs: positiveInteger('shutdownTimeoutMs', options.shutdownTimeoutMs ?? 10_000),
  };
}
