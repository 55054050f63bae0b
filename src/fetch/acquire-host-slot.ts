import { systemClock, type Clock } from '../lib/clock.js';
import { AbortedError } from '../lib/errors.js';
import { sleep as abortableSleep } from '../lib/sleep.js';
import { HostRateLimitedError } from './errors.js';
import type { HostLimiter, HostLimits, HostSlot } from './host-limiter.js';

/** A slot the limiter granted; call `release()` when the request is done. */
export type GrantedHostSlot = Extract<HostSlot, { isGranted: true }>;

/** Options of `acquireHostSlot`. */
export interface AcquireHostSlotOptions {
  /**
   * Longest total wait worth spending in the worker slot, in milliseconds; a longer wait throws
   * `HostRateLimitedError` so the item is rescheduled instead. @default 2000
   */
  maxWaitMs?: number;
  /** Aborts the wait with `AbortedError`. */
  signal?: AbortSignal;
  /** Source of time. @default systemClock */
  clock?: Clock;
  /** A domain rule's limits for this host (issue 20). @default the limiter's own */
  limits?: HostLimits | undefined;
  /** Abortable sleep; injectable so tests can drive a fake clock. @default lib/sleep */
  sleep?: (ms: number, options: { signal?: AbortSignal }) => Promise<void>;
}

/** Shortest pause between two attempts, so a limiter answering 0 ms cannot make us spin. */
const MIN_POLL_MS = 10;

/**
 * Takes a slot for `host`, waiting while the wait stays within `maxWaitMs`. Throws
 * `HostRateLimitedError` (with the limiter's `retryAfterMs`) as soon as the next wait would exceed
 * it, so the worker gives its own slot back rather than hog it; throws `AbortedError` on abort.
 */
export async function acquireHostSlot(
  limiter: HostLimiter,
  host: string,
  options: AcquireHostSlotOptions = {},
): Promise<GrantedHostSlot> {
  const { maxWaitMs = 2000, signal, clock = systemClock, sleep = abortableSleep, limits } = options;
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new TypeError(`Expected \`maxWaitMs\` to be a non-negative number, got \`${String(maxWaitMs)}\``);
  }
  const startedAt = clock.now();
  for (;;) {
    if (signal?.aborted) throw new AbortedError(undefined, { cause: signal.reason });
    const slot = await limiter.tryAcquire(host, limits);
    if (slot.isGranted) {
      if (signal?.aborted) {
        // Aborted while the limiter answered: give the slot straight back.
        await slot.release();
        throw new AbortedError(undefined, { cause: signal.reason });
      }
      return slot;
    }
    const waitMs = Math.max(MIN_POLL_MS, slot.retryAfterMs);
    const waitedMs = clock.now() - startedAt;
    if (waitedMs + waitMs > maxWaitMs) throw new HostRateLimitedError(host, slot.retryAfterMs);
    await sleep(waitMs, { signal });
  }
}
