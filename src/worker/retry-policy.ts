import type { ClaimedItem, ItemOutcome } from '../jobs/index.js';
import {
  backoffDelayMs,
  DistillError,
  PermanentError,
  RateLimitedError,
  RetryableError,
  toError,
  type BackoffOptions,
} from '../lib/index.js';

/** Why the pool aborted an attempt, if it did. */
export type AbortReason = 'cancelled' | 'shutdown' | 'lease_lost';

/** Longest message kept on an item; the rest is cut so a hostile error cannot bloat the row. */
const MAX_MESSAGE_LENGTH = 1000;

/**
 * Decides what happens to an item whose attempt threw: the error's class says what the runner
 * does next (lib/errors.ts), never its message.
 * - aborted by a cancel → `cancelled`; by shutdown → back to the queue, attempt not counted;
 * - `RateLimitedError` from our own host limiter → back to the queue after `retryAfterMs`, attempt
 *   not counted (the item never ran); from the server (429/503 Retry-After) → a counted retry at
 *   the time the server asked for, or the backoff if that is later;
 * - `RetryableError` → a counted retry with exponential backoff and jitter, until `maxAttempts`;
 * - `PermanentError` → failed at once;
 * - anything else is a bug or an unexpected library error: retried like a retryable one with code
 *   `internal_error`, so a transient fault does not fail the item, and failed after `maxAttempts`.
 */
export function outcomeForError(
  thrown: unknown,
  item: ClaimedItem,
  context: { now: number; abortReason?: AbortReason | undefined; backoff?: BackoffOptions },
): ItemOutcome {
  const { now, abortReason } = context;
  if (abortReason === 'cancelled') return { kind: 'cancelled' };
  if (abortReason === 'shutdown') return { kind: 'retry', error: null, runAfter: now, countsAttempt: false };
  const error = toError(thrown);
  const itemError = {
    code: error instanceof DistillError ? error.code : 'internal_error',
    message: error.message.slice(0, MAX_MESSAGE_LENGTH),
    httpStatus: (error as { status?: unknown }).status as number | undefined,
  };
  if (typeof itemError.httpStatus !== 'number') delete itemError.httpStatus;
  if (error instanceof RateLimitedError && !error.isRemote) {
    return { kind: 'retry', error: null, runAfter: now + error.retryAfterMs, countsAttempt: false };
  }
  if (error instanceof PermanentError) return { kind: 'failed', error: itemError };
  if (item.attempt >= item.options.maxAttempts) return { kind: 'failed', error: itemError };
  const delay = backoffDelayMs(item.attempt, context.backoff);
  if (error instanceof RateLimitedError) {
    return {
      kind: 'retry',
      error: itemError,
      runAfter: now + Math.max(delay, error.retryAfterMs),
      countsAttempt: true,
    };
  }
  if (error instanceof RetryableError || !(error instanceof DistillError)) {
    return { kind: 'retry', error: itemError, runAfter: now + delay, countsAttempt: true };
  }
  // A DistillError that names no consequence (AbortedError, domain errors): treat as permanent.
  return { kind: 'failed', error: itemError };
}
