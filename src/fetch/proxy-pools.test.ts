import { describe, expect, it } from 'vitest';
import { ProxyPoolUnknownError, ProxyUnavailableError } from './errors.js';
import { parseProxyPools, ProxyPools, type ProxyPoolConfig } from './proxy-pools.js';

function clock(start = 1_000_000) {
  const state = { now: start };
  return { state, clock: { now: () => state.now } };
}

const three = (extra: Partial<ProxyPoolConfig> = {}): ProxyPoolConfig => ({
  name: 'p',
  proxies: ['a', 'b', 'c'].map((name) => ({ name, url: `http://127.0.0.1:${name.charCodeAt(0)}` })),
  ...extra,
});

describe('ProxyPools', () => {
  it('rotates round robin', () => {
    const pools = new ProxyPools([three()]);
    const picked = Array.from({ length: 6 }, () => {
      const lease = pools.acquire('p', { host: 'x.test' });
      lease.release('answered');
      return lease.proxy;
    });
    expect(picked).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('keeps a session key on one proxy, and moves only its keys when that proxy is ejected', () => {
    const { clock: c } = clock();
    const pools = new ProxyPools([three({ rotation: 'sticky_session', ejectAfterFailures: 1 })], {
      clock: c,
    });
    const first = pools.acquire('p', { host: 'h', sessionKey: 'user-1' });
    first.release('answered');
    for (let i = 0; i < 5; i += 1) {
      const lease = pools.acquire('p', { host: `other-${i}`, sessionKey: 'user-1' });
      expect(lease.proxy).toBe(first.proxy);
      lease.release('answered');
    }
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    const before = new Map(
      keys.map((k) => {
        const lease = pools.acquire('p', { host: 'h', sessionKey: k });
        lease.release('answered');
        return [k, lease];
      }),
    );
    pools.acquire('p', { host: 'h', sessionKey: 'user-1' }).release('proxy_failed');
    for (const k of keys) {
      const lease = pools.acquire('p', { host: 'h', sessionKey: k });
      if (before.get(k)!.proxy !== first.proxy) expect(lease.proxy).toBe(before.get(k)!.proxy);
      else expect(lease.proxy).not.toBe(first.proxy);
      lease.release('answered');
    }
  });

  it('ejects a proxy after failures in a row and returns it after ejectForMs', () => {
    const { state, clock: c } = clock();
    const pools = new ProxyPools(
      [
        {
          name: 'p',
          proxies: [{ name: 'a', url: 'http://127.0.0.1:1' }],
          ejectAfterFailures: 2,
          ejectForMs: 10_000,
        },
      ],
      { clock: c },
    );
    pools.acquire('p', { host: 'h' }).release('proxy_failed');
    expect(pools.health('p')).toEqual({ a: 'healthy' });
    pools.acquire('p', { host: 'h' }).release('proxy_failed');
    expect(pools.health('p')).toEqual({ a: 'ejected' });
    expect(() => pools.acquire('p', { host: 'h' })).toThrow(ProxyUnavailableError);
    state.now += 10_000;
    expect(pools.health('p')).toEqual({ a: 'healthy' });
    // Back on probation: one more failure ejects it again at once.
    pools.acquire('p', { host: 'h' }).release('proxy_failed');
    expect(pools.health('p')).toEqual({ a: 'ejected' });
  });

  it('holds each proxy to its concurrency and rate, rescheduling when all are at their limits', () => {
    const { state, clock: c } = clock();
    const pools = new ProxyPools(
      [{ name: 'p', proxies: [{ name: 'a', url: 'http://127.0.0.1:1', concurrency: 1, ratePerSecond: 1 }] }],
      { clock: c },
    );
    const held = pools.acquire('p', { host: 'h' });
    expect(() => pools.acquire('p', { host: 'h' })).toThrow(/concurrency or rate/);
    held.release('answered');
    let error: unknown;
    try {
      pools.acquire('p', { host: 'h' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ProxyUnavailableError);
    expect((error as ProxyUnavailableError).retryAfterMs).toBe(1000);
    state.now += 1000;
    expect(pools.acquire('p', { host: 'h' }).proxy).toBe('a');
  });

  it('refuses an unknown pool, and bad configuration without echoing proxy URLs', () => {
    expect(() => new ProxyPools([]).acquire('nope', { host: 'h' })).toThrow(ProxyPoolUnknownError);
    expect(() => parseProxyPools('{')).toThrow(/JSON/);
    expect(() =>
      parseProxyPools('[{"name":"p","proxies":[{"name":"x","url":"ftp://u:hunter2@h:1"}]}]'),
    ).toThrow(/http:\/\/, https:\/\/, socks5:\/\/ or socks5h:\/\//);
    expect(() => parseProxyPools('[{"name":"p","proxies":[{"name":"x","url":"socks4://h:1080"}]}]')).toThrow(
      /socks4:/,
    );
    try {
      parseProxyPools('[{"name":"p","proxies":[{"name":"x","url":"ftp://u:hunter2@h:1"}]}]');
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
    expect(parseProxyPools('')).toEqual([]);
  });

  it('accepts SOCKS5 proxies, with and without credentials', () => {
    const pools = parseProxyPools(
      '[{"name":"s","proxies":[{"name":"a","url":"socks5://127.0.0.1:1080"},{"name":"b","url":"socks5h://u:p%40ss@proxy.example:1081"}]}]',
    );
    expect(pools[0]?.proxies.map((p) => p.name)).toEqual(['a', 'b']);
  });
});
