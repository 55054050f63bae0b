import type { ClaimedItem, ItemOutcome, Queue } from '../jobs/index.js';
import {
  createDeferred,
  silentLogger,
  systemClock,
  toError,
  type BackoffOptions,
  type Clock,
  type Deferred,
  type Logger,
} from '../lib/index.js';
import type { BodyHandOff } from './body-hand-off.js';
import {
  poolSettings,
  type PoolSettings,
  type TaskFunction,
  type WorkerPoolOptions,
} from './pool-options.js';
import { abortCancelled, reclaimExpired, renewLeases, type InFlight } from './pool-upkeep.js';
import { outcomeForError, type AbortReason } from './retry-policy.js';

export type { TaskContext, TaskFunction, WorkerPoolOptions } from './pool-options.js';

/**
 * Runs queued items through a task function with at most `concurrency` in flight. It claims only
 * when a slot is free (bounded in-flight, back-pressure on the queue), renews the leases of what it
 * holds, aborts items whose job was cancelled, and records every outcome, error or not, on the
 * item; a task that throws never takes the pool down.
 *
 * Lifecycle: `start()` begins the claim loop; `stop()` stops claiming, lets in-flight items finish
 * within `shutdownTimeoutMs`, aborts the rest (they go back to the queue with their attempt
 * uncounted), and clears every timer. Both are idempotent.
 */
export class WorkerPool {
  readonly #queue: Queue;
  readonly #repository: WorkerPoolOptions['repository'];
  readonly #task: TaskFunction;
  readonly #onConcurrencyStep: WorkerPoolOptions['onConcurrencyStep'];
  readonly #settings: PoolSettings;
  readonly #backoff: BackoffOptions | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #onOutcome: WorkerPoolOptions['onOutcome'];
  readonly #handOff: BodyHandOff | undefined;

  readonly #inFlight = new Map<string, InFlight>();
  /** Items in flight that have not handed their body off: the ones that hold a fetch slot. */
  #fetching = 0;
  #isRunning = false;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #wake: Deferred<void> | undefined;
  #timers: NodeJS.Timeout[] = [];
  #idleWaiters: Array<() => void> = [];
  #lastClaimWasEmpty = false;

  constructor(options: WorkerPoolOptions) {
    this.#queue = options.queue;
    this.#repository = options.repository;
    this.#task = options.task;
    this.#settings = poolSettings(options);
    this.#onConcurrencyStep = options.onConcurrencyStep;
    this.#backoff = options.backoff;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#onOutcome = options.onOutcome;
    this.#handOff = options.handOff;
  }

  /** Items running now, fetching or handed off to extraction. */
  get inFlightCount(): number {
    return this.#inFlight.size;
  }

  /** Items holding a fetch slot now (all of `inFlightCount` without a hand-off budget). */
  get fetchingCount(): number {
    return this.#fetching;
  }

  /** The hand-off budget is full: the pool claims nothing until bodies leave it. */
  get isFetchingPaused(): boolean {
    return this.#handOff?.isFull ?? false;
  }

  /** Slots the pool fills now: the pinned number, or the `auto` level of the moment. */
  get concurrency(): number {
    return this.#settings.adaptive?.level ?? this.#settings.fixedConcurrency;
  }

  get isRunning(): boolean {
    return this.#isRunning;
  }

  /** Starts claiming. Calling it again while running does nothing. */
  start(): void {
    if (this.#isRunning || this.#stopping) return;
    this.#isRunning = true;
    this.#timers.push(
      setInterval(() => void this.#renewLeases(), this.#settings.heartbeatMs),
      setInterval(() => void this.#checkCancelled(), this.#settings.cancelCheckMs),
      setInterval(() => void this.#reclaim(), this.#settings.reclaimIntervalMs),
    );
    if (this.#settings.adaptive) {
      this.#settings.adaptive.start();
      this.#timers.push(setInterval(() => this.#adjust(), this.#settings.adjustIntervalMs));
    }
    void this.#reclaim();
    this.#loop = this.#claimLoop();
  }

  /** Wakes the claim loop now, e.g. right after items were submitted in this process. */
  notify(): void {
    this.#wake?.resolve();
  }

  /** Resolves when nothing is in flight and the last claim found nothing runnable. */
  onIdle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Graceful stop (see the class comment). Returns the same promise on every call. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    this.#isRunning = false;
    this.notify();
    await this.#loop;
    const drained = await this.#waitForInFlight(this.#settings.shutdownTimeoutMs);
    if (!drained) {
      this.#log.warn({ inFlight: this.#inFlight.size }, 'Shutdown timeout reached; aborting in-flight items');
      for (const entry of this.#inFlight.values()) this.#abort(entry, 'shutdown');
      // Aborted tasks report back promptly; one that ignores its signal is left to its lease.
      await this.#waitForInFlight(Math.min(5000, this.#settings.shutdownTimeoutMs));
    }
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    this.#settings.adaptive?.stop();
    this.#resolveIdle();
  }

  async #waitForInFlight(timeoutMs: number): Promise<boolean> {
    if (this.#inFlight.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const all = Promise.all([...this.#inFlight.values()].map((e) => e.done)).then(() => true as const);
    const result = await Promise.race([all, timeout]);
    clearTimeout(timer);
    return result;
  }

  async #claimLoop(): Promise<void> {
    while (this.#isRunning) {
      if (this.#handOff?.isFull) {
        // Extraction is behind: fetch nothing more until bodies leave the hand-off (each wakes us).
        await this.#sleepUntilWoken();
        continue;
      }
      const free = this.concurrency - this.#fetching;
      if (free <= 0) {
        this.#settings.adaptive?.noteSaturated();
        await this.#sleepUntilWoken();
        continue;
      }
      let claimed: ClaimedItem[] = [];
      try {
        claimed = await this.#queue.claim(free, this.#settings.leaseMs);
      } catch (error) {
        this.#log.error({ err: toError(error) }, 'Claiming items failed; retrying');
      }
      this.#lastClaimWasEmpty = claimed.length === 0;
      for (const item of claimed) this.#run(item);
      if (claimed.length === 0) {
        this.#resolveIdle();
        await this.#sleepUntilWoken(this.#settings.pollIntervalMs);
      }
    }
  }

  /** Sleeps until a slot frees, `notify()` is called, or `timeoutMs` passes. */
  async #sleepUntilWoken(timeoutMs?: number): Promise<void> {
    if (!this.#isRunning) return;
    const wake = createDeferred<void>();
    this.#wake = wake;
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) timer = setTimeout(() => wake.resolve(), timeoutMs);
    await wake.promise;
    clearTimeout(timer);
    if (this.#wake === wake) this.#wake = undefined;
  }

  #run(item: ClaimedItem): void {
    const key = `${item.jobId}:${item.seq}`;
    const controller = new AbortController();
    const entry: InFlight = {
      item,
      log: this.#log.child(itemBindings(item)),
      controller,
      abortReason: undefined,
      isRecording: false,
      releaseBody: undefined,
      done: Promise.resolve(),
    };
    this.#inFlight.set(key, entry);
    this.#fetching++;
    entry.done = this.#execute(entry).finally(() => {
      this.#inFlight.delete(key);
      if (entry.releaseBody) entry.releaseBody();
      else this.#fetching--;
      this.notify();
      this.#resolveIdle();
    });
  }

  async #execute(entry: InFlight): Promise<void> {
    const { item, controller, log } = entry;
    const startedAt = performance.now();
    let outcome: ItemOutcome;
    try {
      outcome = await this.#task(item, {
        signal: controller.signal,
        log,
        ...(this.#handOff ? { handOff: (bytes: number) => this.#handOffBody(entry, bytes) } : {}),
      });
      if (entry.abortReason === 'cancelled' && outcome.kind !== 'succeeded') outcome = { kind: 'cancelled' };
    } catch (error) {
      outcome = outcomeForError(error, item, {
        now: this.#clock.now(),
        abortReason: entry.abortReason,
        ...(this.#backoff ? { backoff: this.#backoff } : {}),
      });
      if (outcome.kind === 'failed' && outcome.error.code === 'internal_error') {
        log.error({ err: toError(error) }, 'Task failed unexpectedly');
      }
    }
    if (entry.abortReason === 'lease_lost') return;
    entry.isRecording = true;
    try {
      const isRecorded = await this.#repository.finishAttempt(item, outcome);
      const durationMs = performance.now() - startedAt;
      if (!isRecorded) {
        log.warn({}, 'Lease lost before the outcome was recorded');
      } else {
        logOutcome(log, item, outcome, durationMs);
        this.#onOutcome?.(item, outcome, durationMs);
      }
      await this.#queue.settle(item, isRecorded ? outcome : null);
    } catch (error) {
      // The lease runs out and the item runs again (at-least-once); writes are idempotent by URL.
      log.error({ err: toError(error) }, 'Recording an outcome failed');
    }
  }

  /** The item's body goes to the hand-off: its fetch slot is free for the next URL. */
  #handOffBody(entry: InFlight, byteLength: number): void {
    if (entry.releaseBody || !this.#handOff) return;
    entry.releaseBody = this.#handOff.admit(byteLength);
    this.#fetching--;
    this.notify();
  }

  /** One tick of an `auto` level; a level that came down takes effect as items finish. */
  #adjust(): void {
    // Slots that stayed full all tick (no item finished to re-check) count as saturated too.
    if (this.#fetching >= this.concurrency) this.#settings.adaptive!.noteSaturated();
    const step = this.#settings.adaptive!.step();
    if (step.isChanged) {
      this.#log.info(
        { concurrency: step.level, reason: step.reason, inFlight: this.#inFlight.size },
        'Concurrency adjusted',
      );
      if (step.reason === 'saturated') this.notify();
    }
    this.#onConcurrencyStep?.(step);
  }

  #abort(entry: InFlight, reason: AbortReason): void {
    if (entry.abortReason !== undefined) return;
    entry.abortReason = reason;
    entry.controller.abort(new Error(`Item ${reason === 'cancelled' ? 'cancelled' : reason}`));
  }

  /** The heartbeat: every held lease renewed in one batch (see `Queue.renewLeases`). */
  #renewLeases(): Promise<void> {
    return renewLeases(
      this.#queue,
      this.#inFlight.values(),
      this.#settings.leaseMs,
      this.#log,
      (entry, reason) => this.#abort(entry, reason),
    );
  }

  #checkCancelled(): Promise<void> {
    return abortCancelled(this.#repository, this.#inFlight, this.#log, (entry, reason) =>
      this.#abort(entry, reason),
    );
  }

  async #reclaim(): Promise<void> {
    if (await reclaimExpired(this.#queue, this.#log)) this.notify();
  }

  #isIdle(): boolean {
    return this.#inFlight.size === 0 && (this.#lastClaimWasEmpty || !this.#isRunning);
  }

  #resolveIdle(): void {
    if (!this.#isIdle() || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** What every log line about an item carries: its job, its place in the job, and the host fetched. */
function itemBindings(item: ClaimedItem): Record<string, unknown> {
  let host: string | undefined;
  try {
    host = new URL(item.url).host;
  } catch {
    host = undefined; // An unparsable URL fails in the task, with its own error; the line still has the job.
  }
  return { jobId: item.jobId, seq: item.seq, attempt: item.attempt, ...(host ? { host } : {}) };
}

/**
 * One line per recorded outcome: a failure at `info` (its code and message: what a person looks
 * for), a counted retry at `info`, and the routine rest (success, a reschedule that spent no
 * attempt, a cancel) at `debug`, so that millions of URLs do not flood the log at the default level.
 */
function logOutcome(log: Logger, item: ClaimedItem, outcome: ItemOutcome, durationMs: number): void {
  const ms = Math.round(durationMs);
  switch (outcome.kind) {
    case 'succeeded':
      log.debug({ state: 'succeeded', durationMs: ms }, 'Item succeeded');
      return;
    case 'failed':
      log.info(
        {
          state: 'failed',
          url: item.url,
          code: outcome.error.code,
          httpStatus: outcome.error.httpStatus,
          error: outcome.error.message,
          durationMs: ms,
        },
        'Item failed',
      );
      return;
    case 'retry': {
      const fields = {
        state: 'queued',
        code: outcome.error?.code ?? 'rescheduled',
        runAfter: new Date(outcome.runAfter).toISOString(),
        durationMs: ms,
      };
      if (outcome.countsAttempt)
        log.info({ ...fields, error: outcome.error?.message }, 'Item will be retried');
      else log.debug(fields, 'Item rescheduled');
      return;
    }
    case 'cancelled':
      log.debug({ state: 'cancelled', durationMs: ms }, 'Item cancelled');
      return;
  }
}
