/**
 * Proxy pools (issue 20): which proxy of a job's pool fetches an item.
 *
 * - Rotation: `round_robin`, `random`, `sticky_host` (one host keeps its proxy) or `sticky_session`
 *   (one session key keeps its proxy). Sticky choices use rendezvous hashing over the usable proxies,
 *   so ejecting one proxy moves only the keys that were on it.
 * - Limits per proxy: at most `concurrency` fetches in flight and `ratePerSecond` starts (a token
 *   bucket of burst `max(1, concurrency)`), in this process. A proxy at a limit is passed over; when
 *   every one is, the item is rescheduled (`ProxyUnavailableError`, no attempt used).
 * - Health: `ejectAfterFailures` failures of the proxy itself in a row (unreachable, refused the
 *   CONNECT) eject it for `ejectForMs`; then it is tried again (one success makes it healthy, one
 *   failure ejects it again). The items it failed are retried and pick another proxy.
 */
import { createHash } from 'node:crypto';
import { systemClock, type Clock } from '../lib/clock.js';
import {
  fullBucket,
  refill,
  msUntilToken,
  type TokenBucketConfig,
  type TokenBucketState,
} from '../lib/token-bucket.js';
import { ProxyPoolUnknownError, ProxyUnavailableError } from './errors.js';
import { parseProxyUrl, type ProxySpec } from './proxy-tunnel.js';

export const PROXY_ROTATIONS = ['round_robin', 'random', 'sticky_host', 'sticky_session'] as const;
export type ProxyRotation = (typeof PROXY_ROTATIONS)[number];

/** One proxy of a pool. */
export interface ProxyConfig extends ProxySpec {
  /** Fetches in flight through it at once. @default 8 */
  concurrency?: number;
  /** Fetches started through it per second. @default unlimited */
  ratePerSecond?: number;
}

/** One pool. */
export interface ProxyPoolConfig {
  name: string;
  /** @default 'round_robin' */
  rotation?: ProxyRotation;
  proxies: ProxyConfig[];
  /** Failures in a row that eject a proxy. @default 3 */
  ejectAfterFailures?: number;
  /** How long an ejected proxy sits out, in milliseconds. @default 30000 */
  ejectForMs?: number;
}

/** A proxy held for one fetch; `release` says how the proxy itself fared. */
export interface ProxyLease {
  pool: string;
  proxy: string;
  /**
   * `proxy_failed`: the proxy itself failed (unreachable, refused the CONNECT); `answered`: the
   * fetch got through it (whatever the site said); `unused`: no fetch was made. Idempotent.
   */
  release(outcome: 'proxy_failed' | 'answered' | 'unused'): void;
}

interface ProxyState {
  config: ProxyConfig;
  concurrency: number;
  bucket: TokenBucketConfig | undefined;
  tokens: TokenBucketState | undefined;
  inFlight: number;
  failures: number;
  ejectedUntil: number;
}

interface PoolState {
  config: ProxyPoolConfig;
  rotation: ProxyRotation;
  ejectAfterFailures: number;
  ejectForMs: number;
  proxies: ProxyState[];
  next: number;
}

function positive(name: string, value: number, isInteger: boolean): number {
  if (!(value > 0) || !Number.isFinite(value) || (isInteger && !Number.isInteger(value))) {
    throw new TypeError(
      `Expected \`${name}\` to be a positive ${isInteger ? 'integer' : 'number'}, got \`${String(value)}\``,
    );
  }
  return value;
}

/** Parses `DISTILL_PROXY_POOLS` (JSON: an array of pools); throws `TypeError` naming what is wrong, never a proxy URL. */
export function parseProxyPools(text: string): ProxyPoolConfig[] {
  if (text.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError(
      'expected JSON: [{"name": "pool", "proxies": [{"name": "p1", "url": "http://host:port"}]}]',
    );
  }
  if (!Array.isArray(parsed)) throw new TypeError('expected a JSON array of pools');
  const names = new Set<string>();
  const proxyNames = new Map<string, string>();
  return parsed.map((entry: unknown, index) => {
    const pool = entry as Partial<ProxyPoolConfig> | null;
    if (typeof pool?.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(pool.name))
      throw new TypeError(`pool ${index}: expected a name of 1 to 64 letters, digits, _ . or -`);
    if (names.has(pool.name)) throw new TypeError(`pool \`${pool.name}\` is defined twice`);
    names.add(pool.name);
    if (pool.rotation !== undefined && !(PROXY_ROTATIONS as readonly string[]).includes(pool.rotation)) {
      throw new TypeError(`pool \`${pool.name}\`: rotation must be one of ${PROXY_ROTATIONS.join(', ')}`);
    }
    if (!Array.isArray(pool.proxies) || pool.proxies.length === 0)
      throw new TypeError(`pool \`${pool.name}\`: expected a non-empty \`proxies\` array`);
    for (const proxy of pool.proxies) {
      if (typeof proxy?.name !== 'string' || !/^[A-Za-z0-9_.-]{1,64}$/.test(proxy.name))
        throw new TypeError(
          `pool \`${pool.name}\`: every proxy needs a name of 1 to 64 letters, digits, _ . or -`,
        );
      if (typeof proxy.url !== 'string') throw new TypeError(`proxy \`${proxy.name}\`: expected a url`);
      // One name, one URL, across pools (the fetcher keeps one connection pool per proxy name).
      const known = proxyNames.get(proxy.name);
      if (known !== undefined && known !== proxy.url)
        throw new TypeError(`proxy \`${proxy.name}\` is defined twice with different URLs`);
      proxyNames.set(proxy.name, proxy.url);
      parseProxyUrl(proxy);
    }
    return pool as ProxyPoolConfig;
  });
}

/** Every distinct proxy of the pools (one per name), for the fetcher. */
export function proxiesOf(pools: readonly ProxyPoolConfig[]): ProxySpec[] {
  const byName = new Map<string, ProxySpec>();
  for (const pool of pools)
    for (const proxy of pool.proxies) byName.set(proxy.name, { name: proxy.name, url: proxy.url });
  return [...byName.values()];
}

/** Picks proxies for fetches; see the module comment. */
export class ProxyPools {
  readonly #pools = new Map<string, PoolState>();
  readonly #clock: Clock;
  readonly #random: () => number;

  constructor(pools: readonly ProxyPoolConfig[], options: { clock?: Clock; random?: () => number } = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    for (const pool of pools) {
      this.#pools.set(pool.name, {
        config: pool,
        rotation: pool.rotation ?? 'round_robin',
        ejectAfterFailures: positive('ejectAfterFailures', pool.ejectAfterFailures ?? 3, true),
        ejectForMs: positive('ejectForMs', pool.ejectForMs ?? 30_000, true),
        next: 0,
        proxies: pool.proxies.map((config) => {
          const concurrency = positive('concurrency', config.concurrency ?? 8, true);
          const bucket =
            config.ratePerSecond === undefined
              ? undefined
              : {
                  ratePerSecond: positive('ratePerSecond', config.ratePerSecond, false),
                  burst: Math.max(1, concurrency),
                };
          return {
            config,
            concurrency,
            bucket,
            tokens: undefined,
            inFlight: 0,
            failures: 0,
            ejectedUntil: 0,
          };
        }),
      });
    }
  }

  /** The names of the pools. */
  get names(): string[] {
    return [...this.#pools.keys()];
  }

  /**
   * A proxy of `poolName` for a fetch of `host` (`sessionKey` for `sticky_session`; the host when
   * absent). Throws `ProxyPoolUnknownError`, or `ProxyUnavailableError` when none is usable now.
   */
  acquire(poolName: string, key: { host: string; sessionKey?: string | undefined }): ProxyLease {
    const pool = this.#pools.get(poolName);
    if (pool === undefined) throw new ProxyPoolUnknownError(poolName);
    const now = this.#clock.now();
    const healthy = pool.proxies.filter((p) => p.ejectedUntil <= now);
    if (healthy.length === 0) {
      const soonest = Math.min(...pool.proxies.map((p) => p.ejectedUntil));
      throw new ProxyUnavailableError(
        poolName,
        'every proxy is ejected after failing',
        Math.max(1, soonest - now),
      );
    }
    const ordered = this.#order(
      pool,
      healthy,
      pool.rotation === 'sticky_session' ? (key.sessionKey ?? key.host) : key.host,
    );
    let waitMs = Number.POSITIVE_INFINITY;
    for (const proxy of ordered) {
      if (proxy.inFlight >= proxy.concurrency) continue;
      if (proxy.bucket !== undefined) {
        const tokens = refill(proxy.tokens ?? fullBucket(proxy.bucket, now), proxy.bucket, now);
        if (tokens.tokens < 1) {
          waitMs = Math.min(waitMs, msUntilToken(tokens, proxy.bucket, now));
          proxy.tokens = tokens;
          // A sticky key waits for its own proxy rather than hopping to another.
          if (pool.rotation === 'sticky_host' || pool.rotation === 'sticky_session') break;
          continue;
        }
        proxy.tokens = { tokens: tokens.tokens - 1, updatedAtMs: now };
      }
      proxy.inFlight += 1;
      return this.#lease(pool, proxy);
    }
    throw new ProxyUnavailableError(
      poolName,
      'its proxies are at their concurrency or rate limits',
      Number.isFinite(waitMs) ? Math.max(1, waitMs) : 200,
    );
  }

  /** Candidates in the order the rotation prefers them. */
  #order(pool: PoolState, healthy: ProxyState[], stickyKey: string): ProxyState[] {
    switch (pool.rotation) {
      case 'round_robin': {
        const start = pool.next % healthy.length;
        pool.next = (pool.next + 1) % 1_000_000_007;
        return [...healthy.slice(start), ...healthy.slice(0, start)];
      }
      case 'random': {
        const start = Math.floor(this.#random() * healthy.length);
        return [...healthy.slice(start), ...healthy.slice(0, start)];
      }
      default: {
        // Rendezvous hashing: the highest score of key × proxy wins, stable while that proxy is healthy.
        const score = (p: ProxyState): string =>
          createHash('sha1').update(`${stickyKey}\n${p.config.name}`).digest('hex');
        return [...healthy].sort((a, b) => (score(a) < score(b) ? 1 : -1));
      }
    }
  }

  #lease(pool: PoolState, proxy: ProxyState): ProxyLease {
    let isReleased = false;
    return {
      pool: pool.config.name,
      proxy: proxy.config.name,
      release: (outcome) => {
        if (isReleased) return;
        isReleased = true;
        proxy.inFlight -= 1;
        if (outcome === 'unused') return;
        if (outcome === 'answered') {
          proxy.failures = 0;
          proxy.ejectedUntil = 0;
          return;
        }
        proxy.failures += 1;
        // A proxy back from ejection gets one chance: its first failure ejects it again.
        const wasEjected = proxy.ejectedUntil > 0;
        if (proxy.failures >= pool.ejectAfterFailures || wasEjected) {
          proxy.ejectedUntil = this.#clock.now() + pool.ejectForMs;
        }
      },
    };
  }

  /** Whether each proxy of `poolName` is in service now (for metrics and tests). */
  health(poolName: string): Record<string, 'healthy' | 'ejected'> {
    const pool = this.#pools.get(poolName);
    if (pool === undefined) throw new ProxyPoolUnknownError(poolName);
    const now = this.#clock.now();
    return Object.fromEntries(
      pool.proxies.map((p) => [p.config.name, p.ejectedUntil > now ? 'ejected' : 'healthy']),
    );
  }
}
