import type { Config } from '../config/index.js';
import type { Logger } from '../lib/index.js';
import { Retention } from '../retention/index.js';
import { Scheduler, type SchedulesService } from '../schedules/index.js';
import type { KyselyJobRepository } from '../storage/index.js';
import type { Component } from './lifecycle.js';
import type { Part } from './roles.js';

/** The timers of roles with `scheduler` and `retention`. */
export interface Background {
  /** Fires due schedules; one per database leads (lease `scheduler`). */
  scheduler: Scheduler | undefined;
  /** Deletes old jobs and orphaned documents, unless `DISTILL_JOB_RETENTION` is 0. */
  retention: Retention | undefined;
  schedulerComponent: Component | undefined;
  retentionComponent: Component | undefined;
}

/** The scheduler and the retention sweep, in the roles that run them. */
export function buildBackground(
  config: Config,
  parts: ReadonlySet<Part>,
  deps: { repository: KyselyJobRepository; schedules: SchedulesService; logger: Logger },
): Background {
  const { repository, logger } = deps;
  const scheduler = parts.has('scheduler')
    ? new Scheduler({
        store: repository,
        fire: deps.schedules.fire,
        pollIntervalMs: config.schedulerPollMs,
        logger: logger.child({ component: 'scheduler' }),
      })
    : undefined;
  const retention =
    parts.has('retention') && config.jobRetentionSeconds > 0
      ? new Retention({
          store: repository,
          maxAgeMs: config.jobRetentionSeconds * 1000,
          logger: logger.child({ component: 'retention' }),
        })
      : undefined;
  return {
    scheduler,
    retention,
    schedulerComponent: scheduler && {
      name: 'scheduler',
      start: () => scheduler.start(),
      stop: () => scheduler.stop(),
    },
    retentionComponent: retention && {
      name: 'retention',
      start: () => retention.start(),
      stop: () => retention.stop(),
    },
  };
}
