/**
 * Pure token-bucket math, shared by the in-memory host limiter and (later) the Redis one so both
 * have the same semantics: a bucket holds at most `burst` tokens, refills continuously at
 * `ratePerSecond`, and every request takes one whole token. State is a plain value; nothing here
 * reads a clock or keeps anything.
 */

/** The limits of a bucket. */
export interface TokenBucketConfig {
  /** Tokens added per second (may be fractional, e.g. 0.5 = one every 2 s). */
  readonly ratePerSecond: number;
  /** Capacity: the most tokens that can be spent at once after a quiet spell. */
  readonly burst: number;
}

/** A bucket at one instant. */
export interface TokenBucketState {
  /** Tokens available at `updatedAtMs`, between 0 and `burst` (fractional). */
  readonly tokens: number;
  /** When `tokens` was computed, in milliseconds since the epoch. */
  readonly updatedAtMs: number;
}

/** Outcome of `takeToken`. */
export type TakeTokenResult =
  | { readonly isTaken: true; readonly state: TokenBucketState }
  | { readonly isTaken: false; readonly state: TokenBucketState; readonly retryAfterMs: number };

/** A full bucket at `nowMs`. */
export function fullBucket(config: TokenBucketConfig, nowMs: number): TokenBucketState {
  return { tokens: config.burst, updatedAtMs: nowMs };
}

/**
 * The bucket brought forward to `nowMs`. A clock that went backwards adds nothing (and moves
 * `updatedAtMs` back), so a clock step can never mint tokens.
 */
export function refill(state: TokenBucketState, config: TokenBucketConfig, nowMs: number): TokenBucketState {
  const elapsedMs = Math.max(0, nowMs - state.updatedAtMs);
  const tokens = Math.min(config.burst, state.tokens + (elapsedMs * config.ratePerSecond) / 1000);
  return { tokens, updatedAtMs: nowMs };
}

/** Milliseconds until the bucket holds one whole token (0 when it already does). */
export function msUntilToken(state: TokenBucketState, config: TokenBucketConfig, nowMs: number): number {
  const current = refill(state, config, nowMs);
  if (current.tokens >= 1) return 0;
  return Math.ceil(((1 - current.tokens) * 1000) / config.ratePerSecond);
}

/** Takes one token at `nowMs` if there is one; otherwise says how long until there is. */
export function takeToken(
  state: TokenBucketState,
  config: TokenBucketConfig,
  nowMs: number,
): TakeTokenResult {
  const current = refill(state, config, nowMs);
  if (current.tokens >= 1) {
    return { isTaken: true, state: { tokens: current.tokens - 1, updatedAtMs: nowMs } };
  }
  return { isTaken: false, state: current, retryAfterMs: msUntilToken(current, config, nowMs) };
}

/** True when the bucket is full at `nowMs`, i.e. forgetting it changes nothing. */
export function isBucketFull(state: TokenBucketState, config: TokenBucketConfig, nowMs: number): boolean {
  return refill(state, config, nowMs).tokens >= config.burst;
}
