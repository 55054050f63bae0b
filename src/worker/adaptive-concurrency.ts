import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { positiveInteger } from '../lib/index.js';

/** What the level is steered by, read once a tick. Each reader must be cheap and must not throw. */
export interface LoadSignals {
  /** Documents fetched and waiting for an extraction thread. */
  extractionBacklog(): number;
  /** Extraction threads of this process. */
  extractionThreads(): number;
  /** Resident memory of this process, in bytes. @default process.memoryUsage.rss */
  rssBytes?(): number;
}

/** Why the level last changed (or held): in `/metrics` and the logs. */
export type ConcurrencyReason =
  'start' | 'saturated' | 'extraction_backlog' | 'event_loop_delay' | 'memory' | 'pinned';

/** Options of `AdaptiveConcurrency`. */
export interface AdaptiveConcurrencyOptions {
  /** Fewest slots. @default 8 */
  min?: number;
  /** Most slots. @default 128 */
  max?: number;
  /** The level at start. @default min * 2 */
  initial?: number;
  /** Above this many documents waiting per extraction thread, the level comes down. @default 2 */
  backlogPerThread?: number;
  /** Above this event-loop delay (p99 over a tick), the level comes down, in ms. @default 100 */
  maxEventLoopDelayMs?: number;
  /** Above this resident memory, the level comes down, in bytes. @default 1 GiB */
  maxRssBytes?: number;
  signals: LoadSignals;
}

/** One decision of a tick: the new level and why. */
export interface ConcurrencyStep {
  level: number;
  reason: ConcurrencyReason;
  isChanged: boolean;
}

/**
 * How many URLs a worker process fetches at once, found by feedback instead of a fixed number.
 * Fetching is mostly waiting on the network, so more slots add throughput until something else is
 * the limit: the extraction threads (documents pile up waiting for one), the event loop (its delay
 * grows) or memory. Each tick (the pool calls `step`):
 * - over a limit, the level comes down by a quarter (memory, event loop) or a tenth (extraction
 *   backlog), never under `min`;
 * - else, when every slot was busy during the tick (the queue has more work than slots), it goes up
 *   by a quarter (at least 4), never over `max`;
 * - else it holds: idle slots mean the queue, not the level, is the limit.
 * Growth is by a quarter rather than by one: a level that is too high is cheap to undo (a slot is
 * only a promise), the backlog signal shows it within a tick, and 16 → 128 takes nine ticks, not 112.
 */
export class AdaptiveConcurrency {
  readonly #min: number;
  readonly #max: number;
  readonly #backlogPerThread: number;
  readonly #maxEventLoopDelayMs: number;
  readonly #maxRssBytes: number;
  readonly #signals: LoadSignals;
  #level: number;
  #reason: ConcurrencyReason = 'start';
  #wasSaturated = false;
  #delay: IntervalHistogram | undefined;

  constructor(options: AdaptiveConcurrencyOptions) {
    this.#min = positiveInteger('min', options.min ?? 8);
    this.#max = positiveInteger('max', options.max ?? 128);
    if (this.#max < this.#min)
      throw new TypeError(`Expected \`max\` (${this.#max}) to be at least \`min\` (${this.#min})`);
    this.#level = Math.min(
      this.#max,
      Math.max(this.#min, positiveInteger('initial', options.initial ?? this.#min * 2)),
    );
    this.#backlogPerThread = options.backlogPerThread ?? 2;
    this.#maxEventLoopDelayMs = positiveInteger('maxEventLoopDelayMs', options.maxEventLoopDelayMs ?? 100);
    this.#maxRssBytes = positiveInteger('maxRssBytes', options.maxRssBytes ?? 1024 * 1024 * 1024);
    this.#signals = options.signals;
  }

  /** Slots the pool may fill now. */
  get level(): number {
    return this.#level;
  }

  /** Why the level is what it is. */
  get reason(): ConcurrencyReason {
    return this.#reason;
  }

  /** Starts measuring the event loop's delay. Idempotent. */
  start(): void {
    if (this.#delay) return;
    this.#delay = monitorEventLoopDelay({ resolution: 10 });
    this.#delay.enable();
  }

  /** Stops measuring. Idempotent. */
  stop(): void {
    this.#delay?.disable();
    this.#delay = undefined;
  }

  /** The pool saw every slot busy: remembered until the next `step`. */
  noteSaturated(): void {
    this.#wasSaturated = true;
  }

  /**
   * One tick: reads the signals, moves the level, and says why. `eventLoopDelayMs` overrides the
   * measured p99 (for tests).
   */
  step(eventLoopDelayMs?: number): ConcurrencyStep {
    const before = this.#level;
    const delayMs = eventLoopDelayMs ?? (this.#delay ? this.#delay.percentile(99) / 1e6 : 0);
    this.#delay?.reset();
    const rss = this.#signals.rssBytes?.() ?? process.memoryUsage.rss();
    const backlog = this.#signals.extractionBacklog();
    const threads = Math.max(1, this.#signals.extractionThreads());
    const wasSaturated = this.#wasSaturated;
    this.#wasSaturated = false;

    if (rss > this.#maxRssBytes) this.#lower(0.75, 'memory');
    else if (delayMs > this.#maxEventLoopDelayMs) this.#lower(0.75, 'event_loop_delay');
    else if (backlog > threads * this.#backlogPerThread) this.#lower(0.9, 'extraction_backlog');
    else if (wasSaturated && this.#level < this.#max) {
      this.#level = Math.min(this.#max, this.#level + Math.max(4, Math.round(this.#level / 4)));
      this.#reason = 'saturated';
    }
    return { level: this.#level, reason: this.#reason, isChanged: this.#level !== before };
  }

  #lower(factor: number, reason: ConcurrencyReason): void {
    this.#level = Math.max(this.#min, Math.floor(this.#level * factor));
    this.#reason = reason;
  }
}
