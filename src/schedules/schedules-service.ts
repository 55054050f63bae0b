import { randomUUID } from 'node:crypto';
import { DistillError, systemClock, type Clock } from '../lib/index.js';
import {
  DEFAULT_TENANT,
  type Job,
  type JobOptionsInput,
  type JobsService,
  type NewSchedule,
  type Page,
  type Schedule,
  type ScheduleStatus,
  type ScheduleTemplate,
  type TenantScope,
} from '../jobs/index.js';
import {
  checkCron,
  checkTimezone,
  InvalidTimingError,
  MIN_INTERVAL_SECONDS,
  nextRunAfter,
} from './next-run.js';
import type { FireSchedule } from './scheduler.js';

/** No schedule has this id. */
export class ScheduleNotFoundError extends DistillError {
  constructor(id: string) {
    super('schedule_not_found', `No schedule with id ${JSON.stringify(id)}`);
  }
}

/** What the schedules service needs of storage. */
export interface ScheduleRepository {
  createSchedule(input: NewSchedule): Promise<Schedule>;
  getSchedule(id: string): Promise<Schedule | null>;
  listSchedules(options: {
    limit: number;
    cursor?: string | undefined;
    tenant?: string | undefined;
  }): Promise<Page<Schedule>>;
  setScheduleStatus(id: string, status: ScheduleStatus, nextRunAt?: number): Promise<Schedule | null>;
  deleteSchedule(id: string): Promise<boolean>;
}

/** A new schedule as the API hands it over: a template, and a cron expression or an interval. */
export interface ScheduleInput {
  name?: string | undefined;
  template: ScheduleTemplate;
  cron?: string | undefined;
  intervalSeconds?: number | undefined;
  /** @default 'UTC' */
  timezone?: string | undefined;
  /** @default DEFAULT_TENANT */
  tenant?: string | undefined;
}

/** How a run starts a crawl (the crawls service, bound in app/). */
export type StartCrawl = (input: {
  crawl: Extract<ScheduleTemplate, { kind: 'crawl' }>['crawl'];
  options: JobOptionsInput;
  webhook: Job['webhook'];
  idempotencyKey: string;
  tenant: string;
}) => Promise<{ job: Job }>;

export interface SchedulesServiceOptions {
  repository: ScheduleRepository;
  jobs: Pick<JobsService, 'submit'>;
  startCrawl?: StartCrawl | undefined;
  clock?: Clock;
}

/**
 * The use cases of schedules (issue 9): create (checking the cron expression and time zone),
 * list, read, pause, resume (due next at its first time after now: no catch-up for the paused
 * time), delete; and `fire`, what the scheduler calls for each due run.
 */
export class SchedulesService {
  readonly #repository: ScheduleRepository;
  readonly #jobs: Pick<JobsService, 'submit'>;
  readonly #startCrawl: StartCrawl | undefined;
  readonly #clock: Clock;

  constructor(options: SchedulesServiceOptions) {
    this.#repository = options.repository;
    this.#jobs = options.jobs;
    this.#startCrawl = options.startCrawl;
    this.#clock = options.clock ?? systemClock;
  }

  /** Creates an active schedule. Throws `InvalidTimingError` for a bad cron, interval or time zone. */
  async create(input: ScheduleInput): Promise<Schedule> {
    const timezone = input.timezone ?? 'UTC';
    checkTimezone(timezone);
    if ((input.cron === undefined) === (input.intervalSeconds === undefined)) {
      throw new InvalidTimingError('cron', 'Give exactly one of `cron` and `intervalSeconds`');
    }
    if (input.cron !== undefined) checkCron(input.cron, timezone);
    if (
      input.intervalSeconds !== undefined &&
      (!Number.isSafeInteger(input.intervalSeconds) || input.intervalSeconds < MIN_INTERVAL_SECONDS)
    ) {
      throw new InvalidTimingError(
        'intervalSeconds',
        `Expected an integer of at least ${MIN_INTERVAL_SECONDS} seconds, got ${input.intervalSeconds}`,
      );
    }
    const now = this.#clock.now();
    const schedule: NewSchedule = {
      id: randomUUID(),
      name: input.name ?? null,
      status: 'active',
      cron: input.cron ?? null,
      intervalSeconds: input.intervalSeconds ?? null,
      timezone,
      template: input.template,
      tenant: input.tenant ?? DEFAULT_TENANT,
      nextRunAt: this.#firstRunAfter(input.cron ?? null, input.intervalSeconds ?? null, timezone, now),
    };
    return this.#repository.createSchedule(schedule);
  }

  list(options: { limit: number; cursor?: string | undefined } & TenantScope): Promise<Page<Schedule>> {
    return this.#repository.listSchedules({ ...options, tenant: options.tenant ?? DEFAULT_TENANT });
  }

  /** The schedule, if `scope`'s tenant owns it: another tenant's is as unknown as a missing one. */
  async get(id: string, scope: TenantScope = {}): Promise<Schedule> {
    const schedule = await this.#repository.getSchedule(id);
    if (!schedule || schedule.tenant !== (scope.tenant ?? DEFAULT_TENANT))
      throw new ScheduleNotFoundError(id);
    return schedule;
  }

  /** Pauses a schedule (idempotent): it fires no more until resumed. */
  async pause(id: string, scope: TenantScope = {}): Promise<Schedule> {
    const schedule = await this.get(id, scope);
    if (schedule.status === 'paused') return schedule;
    return (await this.#repository.setScheduleStatus(id, 'paused')) ?? schedule;
  }

  /** Resumes a schedule (idempotent): it fires next at its first time after now. */
  async resume(id: string, scope: TenantScope = {}): Promise<Schedule> {
    const schedule = await this.get(id, scope);
    if (schedule.status === 'active') return schedule;
    const next = this.#firstRunAfter(
      schedule.cron,
      schedule.intervalSeconds,
      schedule.timezone,
      this.#clock.now(),
    );
    const resumed = await this.#repository.setScheduleStatus(id, 'active', next);
    if (!resumed) throw new ScheduleNotFoundError(id);
    return resumed;
  }

  /** Deletes a schedule; the jobs it created stay. */
  async delete(id: string, scope: TenantScope = {}): Promise<void> {
    await this.get(id, scope);
    if (!(await this.#repository.deleteSchedule(id))) throw new ScheduleNotFoundError(id);
  }

  /** Submits the job of one run (the scheduler's `FireSchedule`). */
  readonly fire: FireSchedule = async (schedule, idempotencyKey) => {
    const { template } = schedule;
    if (template.kind === 'crawl') {
      if (!this.#startCrawl) throw new Error('This process cannot start crawls');
      const { job } = await this.#startCrawl({
        crawl: template.crawl,
        options: template.options,
        webhook: template.webhook,
        idempotencyKey,
        tenant: schedule.tenant,
      });
      return { jobId: job.id };
    }
    const { job } = await this.#jobs.submit({
      urls: template.urls,
      options: template.options,
      webhook: template.webhook,
      idempotencyKey,
      tenant: schedule.tenant,
    });
    return { jobId: job.id };
  };

  #firstRunAfter(cron: string | null, intervalSeconds: number | null, timezone: string, now: number): number {
    if (cron !== null) return nextRunAfter({ cron, timezone }, now);
    return now + (intervalSeconds ?? 3600) * 1000;
  }
}
