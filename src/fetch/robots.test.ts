import { describe, expect, it } from 'vitest';
import { createDeferred } from '../lib/deferred.js';
import { AbortedError } from '../lib/errors.js';
import { RobotsCache, type RobotsTxtResult } from './robots.js';

const ROBOTS = [
  'User-agent: *',
  'Disallow: /private',
  '',
  'User-agent: distill',
  'Disallow: /no-distill',
  '',
].join('\n');

function setup(results: Record<string, RobotsTxtResult>) {
  let now = 0;
  const calls: string[] = [];
  const cache = new RobotsCache({
    load: (url) => {
      calls.push(url);
      return Promise.resolve(results[url] ?? { kind: 'absent' });
    },
    clock: { now: () => now },
    ttlMs: 1000,
    errorTtlMs: 100,
    maxOrigins: 3,
  });
  return { cache, calls, advance: (ms: number) => void (now += ms) };
}

describe('RobotsCache', () => {
  it('obeys the group for our token (and not the * group when ours exists)', async () => {
    const { cache } = setup({ 'http://a.test/robots.txt': { kind: 'found', text: ROBOTS } });
    expect(await cache.isAllowed(new URL('http://a.test/no-distill/page'))).toBe(false);
    expect(await cache.isAllowed(new URL('http://a.test/private'))).toBe(true);
    expect(await cache.isAllowed(new URL('http://a.test/'))).toBe(true);
  });

  it('allows everything for 4xx and unavailable files', async () => {
    const { cache } = setup({ 'http://b.test/robots.txt': { kind: 'unavailable', reason: '503' } });
    expect(await cache.isAllowed(new URL('http://a.test/anything'))).toBe(true);
    expect(await cache.isAllowed(new URL('http://b.test/anything'))).toBe(true);
  });

  it('caches per origin for the TTL, errors for the shorter TTL', async () => {
    const { cache, calls, advance } = setup({
      'http://b.test/robots.txt': { kind: 'unavailable', reason: '503' },
    });
    await cache.isAllowed(new URL('http://a.test/1'));
    await cache.isAllowed(new URL('http://a.test/2'));
    await cache.isAllowed(new URL('http://b.test/1'));
    expect(calls).toEqual(['http://a.test/robots.txt', 'http://b.test/robots.txt']);
    advance(150);
    await cache.isAllowed(new URL('http://a.test/3'));
    await cache.isAllowed(new URL('http://b.test/2'));
    expect(calls.length).toBe(3);
    advance(1000);
    await cache.isAllowed(new URL('http://a.test/4'));
    expect(calls.length).toBe(4);
  });

  it('keeps at most maxOrigins, dropping the least recently used', async () => {
    const { cache, calls } = setup({});
    for (const host of ['a', 'b', 'c', 'a', 'd', 'a']) await cache.isAllowed(new URL(`http://${host}.test/`));
    expect(cache.size).toBe(3);
    expect(calls.length).toBe(4); // a stayed cached because it was used recently
  });

  it('loads one origin once for concurrent callers', async () => {
    const gate = createDeferred<RobotsTxtResult>();
    let loads = 0;
    const cache = new RobotsCache({
      load: () => {
        loads += 1;
        return gate.promise;
      },
    });
    const answers = Promise.all([1, 2, 3].map((i) => cache.isAllowed(new URL(`http://a.test/${i}`))));
    gate.resolve({ kind: 'found', text: 'User-agent: *\nDisallow: /2\n' });
    expect(await answers).toEqual([true, false, true]);
    expect(loads).toBe(1);
  });

  it('lets one caller stop waiting without failing the shared load', async () => {
    const gate = createDeferred<RobotsTxtResult>();
    const cache = new RobotsCache({ load: () => gate.promise });
    const controller = new AbortController();
    const aborted = cache.isAllowed(new URL('http://a.test/'), { signal: controller.signal });
    const other = cache.isAllowed(new URL('http://a.test/x'));
    controller.abort();
    await expect(aborted).rejects.toBeInstanceOf(AbortedError);
    gate.resolve({ kind: 'absent' });
    expect(await other).toBe(true);
  });

  it('counts a rejecting loader as unavailable', async () => {
    const cache = new RobotsCache({ load: () => Promise.reject(new Error('boom')) });
    expect(await cache.isAllowed(new URL('http://a.test/'))).toBe(true);
  });

  it('validates options', () => {
    const load = () => Promise.resolve<RobotsTxtResult>({ kind: 'absent' });
    expect(() => new RobotsCache({ load, ttlMs: 0 })).toThrow(
      'Expected `ttlMs` to be a positive integer, got `0`',
    );
    expect(() => new RobotsCache({ load, userAgentToken: 'distill/0.1' })).toThrow(TypeError);
  });
});
