/**
 * The distributed `HostLimiter`: per host at most `maxInFlightPerHost` slots and a token bucket
 * (`ratePerSecond`, `burst`), shared by every worker process through Redis. One Lua script does
 * the whole decision atomically, with Redis's own clock (`TIME`), so machines whose clocks
 * disagree still share one bucket correctly. Same semantics as `MemoryHostLimiter`.
 *
 * Keys per host (`{host}` is a hash tag, so both land in one slot of a Redis Cluster):
 * - `<prefix>{host}:bucket`: hash `tokens`, `at` (ms). Expires when the bucket would be full again:
 *   a missing bucket *is* a full one, so idle hosts cost nothing.
 * - `<prefix>{host}:slots`: sorted set of slot ids scored by lease expiry (ms). Each call first drops
 *   expired members, so a slot held by a worker that crashed comes back after `slotLeaseMs`. The
 *   key expires with its last lease.
 */
import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { HostLimiter, HostLimits, HostSlot } from '../host-limiter.js';

/** Options of `RedisHostLimiter`. */
export interface RedisHostLimiterOptions {
  /** A Redis URL or ioredis options (the limiter opens and closes its connection), or a client to borrow. */
  connection: string | RedisOptions | Redis;
  /** Prefix of every key. @default 'distill:host:' */
  prefix?: string;
  /** Most requests in flight to one host at once, across all processes. @default 2 */
  maxInFlightPerHost?: number;
  /** Sustained requests per second per host (fractional allowed). @default 2 */
  ratePerSecond?: number;
  /** Requests per host that may start at once after a quiet spell (bucket capacity). @default 4 */
  burst?: number;
  /**
   * How long a slot stays taken if its holder never releases it (crashed), in milliseconds. Must
   * exceed the longest request (fetch timeout plus reading the body). @default 120000
   */
  slotLeaseMs?: number;
  /** Delay suggested when only the concurrency bound is full, in milliseconds. @default 150 */
  concurrencyPollMs?: number;
  /**
   * Told about errors of a connection the limiter opened itself (Redis away, reconnecting), at most
   * once per 10 s: ioredis emits one per reconnection attempt. Calls fail on their own meanwhile.
   * @default ignore
   */
  onError?: (error: Error) => void;
}

/** Least time between two reports of the connection's errors. */
const ERROR_REPORT_INTERVAL_MS = 10_000;

/**
 * KEYS: bucket, slots. ARGV: ratePerSecond, burst, maxInFlight, slotLeaseMs, slotId, pollMs.
 * Returns {1, 0} when granted, {0, retryAfterMs} otherwise. The refused paths write nothing: the
 * bucket's state only changes when a token is taken, which is equivalent (refill is a pure function
 * of time) and keeps refusals cheap.
 */
const ACQUIRE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local maxInFlight = tonumber(ARGV[3])
local leaseMs = tonumber(ARGV[4])
local pollMs = tonumber(ARGV[6])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local inFlight = redis.call('ZCARD', KEYS[2])

local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate / 1000)

local tokenWaitMs = 0
if tokens < 1 then tokenWaitMs = math.ceil((1 - tokens) * 1000 / rate) end

if inFlight >= maxInFlight then
  return {0, math.max(pollMs, tokenWaitMs)}
end
if tokens < 1 then
  return {0, tokenWaitMs}
end

tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
redis.call('ZADD', KEYS[2], now + leaseMs, ARGV[5])
redis.call('PEXPIRE', KEYS[2], leaseMs + 1000)
return {1, 0}
`;

function positive(name: string, value: number, isInteger: boolean): number {
  const ok = Number.isFinite(value) && value > 0 && (!isInteger || Number.isInteger(value));
  if (!ok) {
    throw new TypeError(
      `Expected \`${name}\` to be a positive ${isInteger ? 'integer' : 'number'}, got \`${String(value)}\``,
    );
  }
  return value;
}

type RedisWithAcquire = Redis & {
  distillAcquireHostSlot(
    bucketKey: string,
    slotsKey: string,
    ...args: Array<string | number>
  ): Promise<[number, number]>;
};

/** Per-host concurrency bound and token bucket, in Redis, shared by all processes. */
export class RedisHostLimiter implements HostLimiter {
  readonly #redis: RedisWithAcquire;
  readonly #isOwned: boolean;
  readonly #prefix: string;
  readonly #maxInFlight: number;
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #slotLeaseMs: number;
  readonly #pollMs: number;
  #closing: Promise<void> | undefined;

  constructor(options: RedisHostLimiterOptions) {
    this.#maxInFlight = positive('maxInFlightPerHost', options.maxInFlightPerHost ?? 2, true);
    this.#ratePerSecond = positive('ratePerSecond', options.ratePerSecond ?? 2, false);
    this.#burst = positive('burst', options.burst ?? 4, true);
    this.#slotLeaseMs = positive('slotLeaseMs', options.slotLeaseMs ?? 120_000, true);
    this.#pollMs = positive('concurrencyPollMs', options.concurrencyPollMs ?? 150, true);
    this.#prefix = options.prefix ?? 'distill:host:';
    const { connection } = options;
    this.#isOwned = !(connection instanceof Redis);
    const redis =
      connection instanceof Redis
        ? connection
        : typeof connection === 'string'
          ? new Redis(connection)
          : new Redis(connection);
    if (this.#isOwned) {
      // Without a listener, ioredis prints "Unhandled error event" on stderr for every attempt.
      let reportedAt = -Infinity;
      redis.on('error', (error: Error) => {
        const now = Date.now();
        if (now - reportedAt < ERROR_REPORT_INTERVAL_MS) return;
        reportedAt = now;
        options.onError?.(error);
      });
    }
    // defineCommand sends EVALSHA and falls back to EVAL once per server: the script is loaded lazily.
    redis.defineCommand('distillAcquireHostSlot', { numberOfKeys: 2, lua: ACQUIRE_SCRIPT });
    this.#redis = redis as RedisWithAcquire;
  }

  async tryAcquire(host: string, limits?: HostLimits): Promise<HostSlot> {
    if (this.#closing) throw new Error('RedisHostLimiter is closed; cannot acquire a slot');
    // A domain rule's limits keep a bucket and slots of their own (the limits are part of the keys).
    const { bucketKey, slotsKey } = this.#keys(
      host,
      limits === undefined ? '' : `:${limits.maxInFlight}/${limits.ratePerSecond}/${limits.burst}`,
    );
    const slotId = randomUUID();
    const [isGranted, retryAfterMs] = await this.#redis.distillAcquireHostSlot(
      bucketKey,
      slotsKey,
      limits?.ratePerSecond ?? this.#ratePerSecond,
      limits?.burst ?? this.#burst,
      limits?.maxInFlight ?? this.#maxInFlight,
      this.#slotLeaseMs,
      slotId,
      this.#pollMs,
    );
    if (isGranted !== 1) return { isGranted: false, retryAfterMs: Number(retryAfterMs) };
    let released: Promise<void> | undefined;
    // Idempotent: ZREM of a member already gone is a no-op, and a second call reuses the first.
    const release = (): Promise<void> =>
      (released ??= this.#redis.zrem(slotsKey, slotId).then(() => undefined));
    return { isGranted: true, release };
  }

  /** Slots currently held for `host` across all processes (for tests and metrics). */
  async inFlight(host: string): Promise<number> {
    const { slotsKey } = this.#keys(host);
    const [seconds, micros] = await this.#redis.time();
    const nowMs = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    return this.#redis.zcount(slotsKey, `(${nowMs}`, '+inf');
  }

  /** Closes the Redis connection if the limiter opened it; a borrowed client stays open. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#isOwned ? this.#redis.quit().then(() => undefined) : Promise.resolve();
    return this.#closing;
  }

  #keys(host: string, suffix = ''): { bucketKey: string; slotsKey: string } {
    const tag = `{${host.toLowerCase()}}`;
    return {
      bucketKey: `${this.#prefix}${tag}${suffix}:bucket`,
      slotsKey: `${this.#prefix}${tag}${suffix}:slots`,
    };
  }
}
