/**
 * The in-process `HostLimiter`: per host at most `maxInFlightPerHost` held slots and a token bucket
 * (`ratePerSecond`, `burst`). One process only; the distributed mode uses the Redis adapter.
 *
 * Memory stays bounded: the state of a host is forgotten as soon as forgetting it changes nothing
 * (no slot held and a full bucket), checked lazily on the least recently used hosts, and the map
 * never holds more than `maxHosts` entries unless more hosts than that have slots held at once (they
 * are never evicted, so a slot can always be released).
 */
import { systemClock, type Clock } from '../lib/clock.js';
import {
  fullBucket,
  isBucketFull,
  msUntilToken,
  takeToken,
  type TokenBucketConfig,
  type TokenBucketState,
} from '../lib/token-bucket.js';
import type { HostLimiter, HostLimits, HostSlot } from './host-limiter.js';

/** Options of `MemoryHostLimiter`. */
export interface MemoryHostLimiterOptions {
  /** Most requests in flight to one host at once. @default 2 */
  maxInFlightPerHost?: number;
  /** Sustained requests per second per host (fractional allowed). @default 2 */
  ratePerSecond?: number;
  /** Requests per host that may start at once after a quiet spell (bucket capacity). @default 4 */
  burst?: number;
  /** Most hosts whose state is kept; idle hosts are evicted first. @default 50000 */
  maxHosts?: number;
  /**
   * Delay suggested when only the concurrency bound is full (no token is missing), in milliseconds:
   * a slot frees at an unknown time, so the caller polls. @default 150
   */
  concurrencyPollMs?: number;
  /** Source of time for the token math. @default systemClock */
  clock?: Clock;
}

interface HostState {
  bucket: TokenBucketState;
  inFlight: number;
  /** A domain rule's limits for this host, when they are not the limiter's own. */
  limits?: { maxInFlight: number; bucket: TokenBucketConfig };
}

/** How many least-recently-used hosts each `tryAcquire` inspects for lossless eviction. */
const IDLE_SWEEP_PER_CALL = 2;

function positive(name: string, value: number, isInteger: boolean): number {
  const ok = Number.isFinite(value) && value > 0 && (!isInteger || Number.isInteger(value));
  if (!ok) {
    throw new TypeError(
      `Expected \`${name}\` to be a positive ${isInteger ? 'integer' : 'number'}, got \`${String(value)}\``,
    );
  }
  return value;
}

/** Per-host concurrency bound and token bucket, in memory. */
export class MemoryHostLimiter implements HostLimiter {
  readonly #maxInFlight: number;
  readonly #bucket: TokenBucketConfig;
  readonly #maxHosts: number;
  readonly #pollMs: number;
  readonly #clock: Clock;
  /** Insertion order doubles as recency order: a host is re-inserted on every use. */
  readonly #hosts = new Map<string, HostState>();
  #isClosed = false;

  constructor(options: MemoryHostLimiterOptions = {}) {
    this.#maxInFlight = positive('maxInFlightPerHost', options.maxInFlightPerHost ?? 2, true);
    const ratePerSecond = positive('ratePerSecond', options.ratePerSecond ?? 2, false);
    const burst = positive('burst', options.burst ?? 4, true);
    this.#bucket = { ratePerSecond, burst };
    this.#maxHosts = positive('maxHosts', options.maxHosts ?? 50_000, true);
    this.#pollMs = positive('concurrencyPollMs', options.concurrencyPollMs ?? 150, true);
    this.#clock = options.clock ?? systemClock;
  }

  /** Number of hosts whose state is kept (for tests and metrics). */
  get size(): number {
    return this.#hosts.size;
  }

  /** Slots currently held for `host` (for tests and metrics). */
  inFlight(host: string): number {
    return this.#hosts.get(normaliseHost(host))?.inFlight ?? 0;
  }

  tryAcquire(host: string, limits?: HostLimits): Promise<HostSlot> {
    if (this.#isClosed)
      return Promise.reject(new Error('MemoryHostLimiter is closed; cannot acquire a slot'));
    // A domain rule's limits keep a bucket and slots of their own (keyed by the limits too).
    const key =
      limits === undefined
        ? normaliseHost(host)
        : `${normaliseHost(host)}\n${limits.maxInFlight}/${limits.ratePerSecond}/${limits.burst}`;
    const own =
      limits === undefined
        ? undefined
        : {
            maxInFlight: limits.maxInFlight,
            bucket: { ratePerSecond: limits.ratePerSecond, burst: limits.burst },
          };
    const bucketConfig = own?.bucket ?? this.#bucket;
    const maxInFlight = own?.maxInFlight ?? this.#maxInFlight;
    const now = this.#clock.now();
    this.#sweepIdle(now);

    const state = this.#hosts.get(key) ?? {
      bucket: fullBucket(bucketConfig, now),
      inFlight: 0,
      ...(own === undefined ? {} : { limits: own }),
    };
    this.#touch(key, state);

    if (state.inFlight >= maxInFlight) {
      // Do not spend a token while the concurrency bound is full; wait for whichever frees later.
      const tokenWaitMs = msUntilToken(state.bucket, bucketConfig, now);
      return Promise.resolve({ isGranted: false, retryAfterMs: Math.max(this.#pollMs, tokenWaitMs) });
    }
    const taken = takeToken(state.bucket, bucketConfig, now);
    state.bucket = taken.state;
    if (!taken.isTaken) return Promise.resolve({ isGranted: false, retryAfterMs: taken.retryAfterMs });

    state.inFlight += 1;
    let isReleased = false;
    const release = (): Promise<void> => {
      // Idempotent: a second release of the same slot must not free another one.
      if (isReleased) return Promise.resolve();
      isReleased = true;
      state.inFlight -= 1;
      return Promise.resolve();
    };
    return Promise.resolve({ isGranted: true, release });
  }

  close(): Promise<void> {
    this.#isClosed = true;
    this.#hosts.clear();
    return Promise.resolve();
  }

  #touch(key: string, state: HostState): void {
    this.#hosts.delete(key);
    this.#hosts.set(key, state);
    if (this.#hosts.size > this.#maxHosts) this.#evictToBound(key);
  }

  /** Forgets the least recently used hosts whose state equals a fresh one (lossless). */
  #sweepIdle(now: number): void {
    let inspected = 0;
    for (const [key, state] of this.#hosts) {
      if (inspected++ >= IDLE_SWEEP_PER_CALL) break;
      if (state.inFlight === 0 && isBucketFull(state.bucket, state.limits?.bucket ?? this.#bucket, now))
        this.#hosts.delete(key);
    }
  }

  /**
   * Shrinks the map to `maxHosts`: first hosts that are fully idle, then hosts with no slot held
   * (forgetting a partly spent bucket is slightly lenient, never unsafe). Hosts with slots held stay.
   */
  #evictToBound(keep: string): void {
    const now = this.#clock.now();
    const passes: Array<(state: HostState) => boolean> = [
      (state) =>
        state.inFlight === 0 && isBucketFull(state.bucket, state.limits?.bucket ?? this.#bucket, now),
      (state) => state.inFlight === 0,
    ];
    for (const isEvictable of passes) {
      for (const [key, state] of this.#hosts) {
        if (this.#hosts.size <= this.#maxHosts) return;
        if (key !== keep && isEvictable(state)) this.#hosts.delete(key);
      }
    }
  }
}

function normaliseHost(host: string): string {
  return host.toLowerCase();
}
