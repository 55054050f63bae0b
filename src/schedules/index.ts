export { Scheduler, type FireSchedule, type ScheduleStore, type SchedulerOptions } from './scheduler.js';
export {
  SchedulesService,
  ScheduleNotFoundError,
  type ScheduleInput,
  type ScheduleRepository,
  type SchedulesServiceOptions,
  type StartCrawl,
} from './schedules-service.js';
export {
  checkCron,
  checkTimezone,
  InvalidTimingError,
  MIN_INTERVAL_SECONDS,
  nextRunAfter,
  type Timing,
} from './next-run.js';
