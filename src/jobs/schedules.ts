import type { CrawlSettings, Job, JobOptions } from './types.js';

/** States of a schedule: `active` fires at `nextRunAt`; `paused` never fires until resumed. */
export const SCHEDULE_STATUSES = ['active', 'paused'] as const;
export type ScheduleStatus = (typeof SCHEDULE_STATUSES)[number];

/**
 * What each run of a schedule submits (issue 9): a batch of URLs with job options (a job
 * template), or a crawl. Options are the domain's, resolved against the defaults at each run.
 */
export type ScheduleTemplate =
  | { kind: 'urls'; urls: string[]; options: Partial<JobOptions>; webhook: Job['webhook'] }
  | {
      kind: 'crawl';
      crawl: Omit<CrawlSettings, 'url'> & { url: string };
      options: Partial<JobOptions>;
      webhook: Job['webhook'];
    };

/** When a schedule fires: a cron expression in a time zone, or a fixed interval. */
export type ScheduleTiming =
  { cron: string; timezone: string } | { intervalSeconds: number; timezone: string };

/** A recurring job. */
export interface Schedule {
  id: string;
  /** The tenant of the API key that created it; its runs' jobs belong to the same tenant. */
  tenant: string;
  name: string | null;
  status: ScheduleStatus;
  cron: string | null;
  intervalSeconds: number | null;
  /** IANA time zone of `cron` (also kept for interval schedules, for display). */
  timezone: string;
  template: ScheduleTemplate;
  /** When it fires next (while active), ms since the epoch. */
  nextRunAt: number;
  lastRunAt: number | null;
  lastJobId: string | null;
  /** Why the last run could not submit its job, if it could not. */
  lastError: string | null;
  /** Runs fired so far. */
  runs: number;
  createdAt: number;
  updatedAt: number;
}

/** A schedule as created: everything but the run bookkeeping. */
export type NewSchedule = Omit<
  Schedule,
  'lastRunAt' | 'lastJobId' | 'lastError' | 'runs' | 'createdAt' | 'updatedAt'
>;
