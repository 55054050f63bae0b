import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Schedule } from '../jobs/index.js';
import {
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
  positiveInteger,
} from '../lib/index.js';
import { nextRunAfter } from './next-run.js';

/** What the scheduler needs of storage: due schedules, their run records, and a named lease. */
export interface ScheduleStore {
  listDueSchedules(now: number, limit: number): Promise<Schedule[]>;
  recordScheduleRun(
    id: string,
    scheduledAt: number,
    run: { nextRunAt: number; jobId: string | null; error: string | null },
  ): Promise<boolean>;
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}

/**
 * Submits the job of one run. `idempotencyKey` is the same for every attempt at one due time, so a
 * run retried after a crash returns the job the first attempt created instead of a second one.
 */
export type FireSchedule = (schedule: Schedule, idempotencyKey: string) => Promise<{ jobId: string }>;

export interface SchedulerOptions {
  store: ScheduleStore;
  fire: FireSchedule;
  clock?: Clock;
  logger?: Logger;
  /** Pause between two looks for due schedules, in milliseconds. @default 1000 */
  pollIntervalMs?: number;
  /** Schedules fired per turn at most. @default 50 */
  batchSize?: number;
  /** Name of the lease row: one scheduler per database holds it. @default 'scheduler' */
  leaseName?: string;
  /** How long the lease lasts unless renewed (every third of it), in milliseconds. @default 15000 */
  leaseMs?: number;
  /** Identity of this scheduler in the lease row. @default `<host>:<pid>:<random>` */
  holder?: string;
}

/**
 * Fires due schedules: the one process per database that holds the lease `scheduler` (taken and
 * renewed like the outbox relay's) looks every `pollIntervalMs` for active schedules whose
 * `nextRunAt` has come, submits each one's job, and records the run with the next due time.
 *
 * - Exactly once per due time: the job is submitted with the idempotency key
 *   `schedule:<id>:<dueTime>`, then the run is recorded only if the schedule is still due at that
 *   time. A scheduler that dies in between leaves the schedule due; the next one submits again, gets
 *   the same job back, and records it. Two schedulers that both believe they lead (a lease that
 *   expired mid-turn) likewise create one job.
 * - No burst after downtime: the next due time is the first one after *now*, so however many runs
 *   were missed, one catch-up run fires and then the schedule is back on its clock.
 * - A run that cannot submit (a bad template, a database error) is recorded with `lastError` and
 *   the schedule moves on to its next time; it never blocks the others.
 */
export class Scheduler {
  readonly #store: ScheduleStore;
  readonly #fire: FireSchedule;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #pollIntervalMs: number;
  readonly #batchSize: number;
  readonly #leaseName: string;
  readonly #leaseMs: number;
  readonly #holder: string;
  #leaseValidUntil = 0;
  #leaseRenewedAt = Number.NEGATIVE_INFINITY;
  #loop: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #fired = 0;

  constructor(options: SchedulerOptions) {
    this.#store = options.store;
    this.#fire = options.fire;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? silentLogger;
    this.#pollIntervalMs = positiveInteger('pollIntervalMs', options.pollIntervalMs ?? 1000);
    this.#batchSize = positiveInteger('batchSize', options.batchSize ?? 50);
    this.#leaseName = options.leaseName ?? 'scheduler';
    this.#leaseMs = positiveInteger('leaseMs', options.leaseMs ?? 15_000);
    this.#holder = options.holder ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** True while this scheduler holds the lease and fires schedules. */
  get isLeader(): boolean {
    return this.#clock.now() < this.#leaseValidUntil;
  }

  /** Runs fired by this scheduler since it was created. */
  get fired(): number {
    return this.#fired;
  }

  /** Starts the loop. Idempotent. */
  start(): void {
    if (this.#loop || this.#stopping) return;
    this.#loop = this.#run();
  }

  /** Stops the loop (a turn in progress finishes) and releases the lease. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /**
   * One turn: take or renew the lease, then fire what is due. Returns how many runs it fired.
   * The loop calls it; tests drive it directly with a fake clock.
   */
  async tick(): Promise<number> {
    await this.#keepLease();
    if (!this.isLeader) return 0;
    const now = this.#clock.now();
    let due: Schedule[];
    try {
      due = await this.#store.listDueSchedules(now, this.#batchSize);
    } catch (error) {
      this.#logger.warn({ err: toError(error) }, 'Reading due schedules failed');
      return 0;
    }
    let fired = 0;
    for (const schedule of due) {
      if (this.#stopping) break;
      if (await this.#runOnce(schedule, now)) fired++;
    }
    this.#fired += fired;
    return fired;
  }

  async #runOnce(schedule: Schedule, now: number): Promise<boolean> {
    const scheduledAt = schedule.nextRunAt;
    const timing =
      schedule.cron !== null
        ? { cron: schedule.cron, timezone: schedule.timezone }
        : { intervalSeconds: schedule.intervalSeconds ?? 3600, anchor: scheduledAt };
    let nextRunAt: number;
    try {
      nextRunAt = nextRunAfter(timing, now);
    } catch (error) {
      // Cannot happen for a schedule the API checked; a day's pause keeps a broken row from spinning.
      nextRunAt = now + 86_400_000;
      this.#logger.error(
        { err: toError(error), scheduleId: schedule.id },
        'Computing the next run of a schedule failed',
      );
    }
    let jobId: string | null = null;
    let runError: string | null = null;
    try {
      ({ jobId } = await this.#fire(schedule, `schedule:${schedule.id}:${scheduledAt}`));
    } catch (error) {
      runError = toError(error).message.slice(0, 1000);
      this.#logger.warn(
        { err: toError(error), scheduleId: schedule.id },
        'A scheduled run could not submit its job',
      );
    }
    try {
      const isRecorded = await this.#store.recordScheduleRun(schedule.id, scheduledAt, {
        nextRunAt,
        jobId,
        error: runError,
      });
      if (isRecorded)
        this.#logger.info(
          { scheduleId: schedule.id, jobId, nextRunAt: new Date(nextRunAt).toISOString() },
          'Schedule fired',
        );
      return isRecorded && jobId !== null;
    } catch (error) {
      // The schedule stays due: the next turn submits again and gets the same job back (idempotency key).
      this.#logger.warn({ err: toError(error), scheduleId: schedule.id }, 'Recording a scheduled run failed');
      return false;
    }
  }

  async #keepLease(): Promise<void> {
    const now = this.#clock.now();
    if (this.isLeader && now - this.#leaseRenewedAt < this.#leaseMs / 3) return;
    const wasLeader = this.isLeader;
    try {
      const isHeld = await this.#store.acquireLease(this.#leaseName, this.#holder, this.#leaseMs);
      this.#leaseValidUntil = isHeld ? now + this.#leaseMs : 0;
      if (isHeld) this.#leaseRenewedAt = now;
    } catch (error) {
      // Keep acting on the lease we have until it runs out; a standby takes over after that.
      this.#logger.warn({ err: toError(error) }, 'Renewing the scheduler lease failed');
    }
    if (wasLeader !== this.isLeader) {
      this.#logger.info(
        { holder: this.#holder, isLeader: this.isLeader },
        this.isLeader ? 'This process fires schedules now' : 'Another process fires schedules now',
      );
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      try {
        await this.tick();
      } catch (error) {
        this.#logger.error({ err: toError(error) }, 'A scheduler turn failed');
      }
      if (this.#stopping) break;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(
          resolve,
          this.isLeader ? this.#pollIntervalMs : Math.ceil(this.#leaseMs / 3),
        );
      });
      this.#wake = undefined;
    }
  }

  async #stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    if (this.#leaseValidUntil > 0) {
      this.#leaseValidUntil = 0;
      try {
        await this.#store.releaseLease(this.#leaseName, this.#holder);
      } catch (error) {
        this.#logger.warn(
          { err: toError(error) },
          'Releasing the scheduler lease failed; a standby takes over when it expires',
        );
      }
    }
  }
}
