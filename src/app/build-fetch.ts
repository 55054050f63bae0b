import type { Config } from '../config/index.js';
import {
  createDnsLookup,
  createFetcher,
  MemoryHostLimiter,
  parseAllowList,
  parseProxyPools,
  ProxyPools,
  proxiesOf,
  type Fetcher,
  type HostLimiter,
  HostWaits,
} from '../fetch/index.js';
import { RedisHostLimiter } from '../fetch/redis/index.js';
import { parseDnsServers, type Logger } from '../lib/index.js';
import type { Component } from './lifecycle.js';

/** The polite HTTP client and the per-host limits it is held to. */
export interface Fetching {
  fetcher: Fetcher;
  hostLimiter: HostLimiter;
  /** What this process's items wait on politeness for, per job (the job view's `politeness`). */
  hostWaits: HostWaits;
  /** The proxy pools of DISTILL_PROXY_POOLS (rotation, limits and health in this process). */
  proxyPools: ProxyPools;
  /** Closes the fetcher's connections. */
  fetcherComponent: Component;
  /** Closes the host limiter; in distributed mode it answers the `hostLimiter` check. */
  hostLimiterComponent: Component;
}

/**
 * The fetcher and the host limiter: in-process token buckets, or with Redis the buckets every
 * worker shares (one atomic script).
 */
export function buildFetch(config: Config, logger: Logger): Fetching {
  const proxyPools = parseProxyPools(config.proxyPools);
  const fetcher = createFetcher({
    lookup: dnsLookupOf(config),
    timeoutMs: config.fetchTimeoutMs,
    connectTimeoutMs: config.fetchConnectTimeoutMs,
    headersTimeoutMs: config.fetchHeadersTimeoutMs,
    maxBodyBytes: config.fetchMaxBytes,
    maxRedirects: config.fetchMaxRedirects,
    userAgent: config.userAgent,
    accept: config.fetchAccept,
    respectRobots: config.respectRobots,
    allow: parseAllowList(config.fetchAllow),
    proxies: proxiesOf(proxyPools),
  });
  const limits = {
    maxInFlightPerHost: config.hostConcurrency,
    ratePerSecond: config.hostRatePerSecond,
    burst: config.hostBurst,
  };
  let hostLimiter: HostLimiter;
  let hostLimiterComponent: Component;
  if (config.redisUrl) {
    const limiter = new RedisHostLimiter({
      connection: config.redisUrl,
      prefix: `${config.redisPrefix}:host:`,
      ...limits,
      // A crashed worker's slots come back after this; it must outlast the longest fetch.
      slotLeaseMs: config.fetchTimeoutMs + 10_000,
      onError: (error) => logger.warn({ err: error }, 'The Redis connection of the host limiter failed'),
    });
    hostLimiter = limiter;
    hostLimiterComponent = {
      name: 'host limiter',
      stop: () => limiter.close(),
      // A read of one (empty) key on the limiter's own connection: Redis answers or it does not.
      readiness: { hostLimiter: () => limiter.inFlight('readiness.invalid') },
    };
  } else {
    const limiter = new MemoryHostLimiter(limits);
    hostLimiter = limiter;
    hostLimiterComponent = { name: 'host limiter', stop: () => limiter.close() };
  }
  const hostWaits = new HostWaits({
    limit: { inFlight: limits.maxInFlightPerHost, ratePerSecond: limits.ratePerSecond },
  });
  return {
    fetcher,
    hostLimiter,
    hostWaits,
    proxyPools: new ProxyPools(proxyPools),
    fetcherComponent: { name: 'fetcher', stop: () => fetcher.close() },
    hostLimiterComponent,
  };
}

/** How fetches and renders resolve names: `DISTILL_DNS_SERVERS`, or the system resolver when it is ''. */
export function dnsLookupOf(config: Config): ReturnType<typeof createDnsLookup> {
  return createDnsLookup(parseDnsServers(config.dnsServers), { timeoutMs: config.fetchConnectTimeoutMs });
}
