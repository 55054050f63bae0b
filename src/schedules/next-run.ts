import { CronExpressionParser } from 'cron-parser';

/** A cron expression or a time zone that cannot be used. */
export class InvalidTimingError extends TypeError {
  readonly field: 'cron' | 'timezone' | 'intervalSeconds';
  constructor(field: InvalidTimingError['field'], message: string) {
    super(message);
    this.field = field;
  }
}

/** Shortest interval between two runs, in seconds: a schedule is not a busy loop. */
export const MIN_INTERVAL_SECONDS = 60;

/** Throws `InvalidTimingError` unless `timezone` is an IANA time zone this runtime knows. */
export function checkTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new InvalidTimingError(
      'timezone',
      `${JSON.stringify(timezone)} is not a known IANA time zone (e.g. UTC, Europe/Paris)`,
    );
  }
}

/**
 * Throws `InvalidTimingError` unless `cron` parses (five fields, or six with seconds first) and
 * fires no more often than once a minute.
 */
export function checkCron(cron: string, timezone: string): void {
  let first: number;
  let second: number;
  try {
    const expression = CronExpressionParser.parse(cron, { tz: timezone, currentDate: new Date(0) });
    first = expression.next().getTime();
    second = expression.next().getTime();
  } catch (error) {
    throw new InvalidTimingError(
      'cron',
      `${JSON.stringify(cron)} is not a cron expression: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (second - first < MIN_INTERVAL_SECONDS * 1000) {
    throw new InvalidTimingError('cron', `${JSON.stringify(cron)} fires more often than once a minute`);
  }
}

/** When a schedule fires: a cron expression in a time zone, or every `intervalSeconds`. */
export type Timing = { cron: string; timezone: string } | { intervalSeconds: number; anchor: number };

/**
 * The first time strictly after `now` at which the schedule fires. An interval keeps its phase
 * (`anchor` + k × interval, the anchor being the previous due time); cron follows wall-clock time in
 * its zone, daylight-saving changes included. Never a time in the past, so a scheduler that was down
 * for a week fires the one run that was due and then the next future one, not a burst.
 */
export function nextRunAfter(timing: Timing, now: number): number {
  if ('cron' in timing) {
    const expression = CronExpressionParser.parse(timing.cron, {
      tz: timing.timezone,
      currentDate: new Date(now),
    });
    return expression.next().getTime();
  }
  const intervalMs = timing.intervalSeconds * 1000;
  if (timing.anchor > now) return timing.anchor;
  return timing.anchor + (Math.floor((now - timing.anchor) / intervalMs) + 1) * intervalMs;
}
