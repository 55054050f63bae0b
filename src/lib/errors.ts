/**
 * Error classes named by what the runner does next. The worker decides by `instanceof`, never by
 * parsing messages; every error carries a stable `code` that ends up on the failed item and in the
 * README's list of error codes.
 */
export class DistillError extends Error {
  /** Stable, documented machine-readable code, e.g. `timeout` or `blocked_address`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A failure that may go away: the item is retried with backoff until its attempts run out. */
export class RetryableError extends DistillError {}

/** A failure that will not go away by retrying: the item fails at once. */
export class PermanentError extends DistillError {}

/**
 * The work could not start yet because a limit said "later" (per-host token bucket, Retry-After).
 * The item is rescheduled after `retryAfterMs`; when it comes from our own limiter it does not use
 * up an attempt.
 */
export class RateLimitedError extends RetryableError {
  /** How long to wait before trying again, in milliseconds. */
  readonly retryAfterMs: number;
  /** True when the remote server asked us to wait (429/503); false for our own politeness limits. */
  readonly isRemote: boolean;

  constructor(
    code: string,
    message: string,
    retryAfterMs: number,
    options?: { cause?: unknown; isRemote?: boolean },
  ) {
    super(code, message, options);
    this.retryAfterMs = retryAfterMs;
    this.isRemote = options?.isRemote ?? false;
  }
}

/** The process cannot go on (a corrupt database, a bad configuration): stop it. */
export class FatalError extends DistillError {}

/** The work was aborted on purpose (cancel or shutdown), not failed. */
export class AbortedError extends DistillError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('aborted', message, options);
  }
}

/** Normalises whatever a `catch` received into an `Error`. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  if (typeof value === 'string') return new Error(value);
  try {
    return new Error(`Non-error thrown: ${JSON.stringify(value)}`);
  } catch {
    return new Error(`Non-error thrown: ${String(value)}`);
  }
}

/** True when `error` is an abort coming from an `AbortSignal` (DOMException or undici's errors). */
export function isAbortError(error: unknown): boolean {
  if (error instanceof AbortedError) return true;
  return (
    error instanceof Error &&
    (error.name === 'AbortError' || (error as { code?: unknown }).code === 'ABORT_ERR')
  );
}
