/** Formatting of numbers, durations and times for people, plus the rate/ETA estimate. */
import type { ItemCountsView } from '../client/types.js';

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

export function formatCount(n: number): string {
  return integer.format(n);
}

export function formatPercent(share: number): string {
  return `${Math.floor(Math.max(0, Math.min(1, share)) * 100)}%`;
}

/** `1 h 2 min`, `3 min 4 s`, `5 s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  return `${hours} h ${minutes % 60} min`;
}

/** `12.5/s` or `30/min` for slow jobs. */
export function formatRate(perSecond: number): string {
  if (perSecond >= 1) return `${decimal.format(perSecond)}/s`;
  return `${decimal.format(perSecond * 60)}/min`;
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date);
}

/** "3 minutes ago", for lists. */
export function formatAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 60) return relative.format(seconds, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

/** Items in a final state. */
export function finishedCount(counts: ItemCountsView): number {
  return counts.succeeded + counts.failed + counts.cancelled;
}

/**
 * Rate of finished items over a sliding window of the last `windowMs`, and the time left at that
 * rate. A window (rather than the average since the start) follows a job that speeds up or stalls.
 */
export class RateEstimator {
  readonly #windowMs: number;
  #samples: Array<{ at: number; done: number }> = [];

  constructor(windowMs = 15_000) {
    this.#windowMs = windowMs;
  }

  /** Records that `done` items were finished at time `at` (ms). */
  add(done: number, at = Date.now()): void {
    const last = this.#samples.at(-1);
    if (last && last.done === done && at - last.at < 1000) return;
    this.#samples.push({ at, done });
    while (this.#samples.length > 2 && at - this.#samples[1]!.at > this.#windowMs) this.#samples.shift();
  }

  /** Items per second, or null before two samples a little apart. */
  ratePerSecond(at = Date.now()): number | null {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last === first) return null;
    const elapsedMs = Math.max(at, last.at) - first.at;
    if (elapsedMs < 500) return null;
    return (last.done - first.done) / (elapsedMs / 1000);
  }

  /** Milliseconds left for `remaining` items, or null when the rate is unknown or zero. */
  etaMs(remaining: number, at = Date.now()): number | null {
    const rate = this.ratePerSecond(at);
    if (rate === null || rate <= 0) return null;
    return (remaining / rate) * 1000;
  }
}
