/** Options of exponential backoff with full jitter. */
export interface BackoffOptions {
  /** Delay before the first retry, in milliseconds. @default 1000 */
  baseMs?: number;
  /** Upper bound of any delay, in milliseconds. @default 300000 */
  maxMs?: number;
  /** Source of randomness in [0, 1); injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (1-based): exponential growth capped at `maxMs`, with "equal
 * jitter" (half fixed, half random) so that a burst of failures does not retry in lockstep while a
 * retry never comes back almost at once.
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const { baseMs = 1000, maxMs = 300_000, random = Math.random } = options;
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}
