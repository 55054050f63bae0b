import { describe, expect, it } from 'vitest';
import type { Clock } from '../lib/clock.js';
import type { HostSlot } from './host-limiter.js';
import { MemoryHostLimiter } from './memory-host-limiter.js';

function fakeClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return { now: () => now, advance: (ms) => void (now += ms) };
}

type Granted = Extract<HostSlot, { isGranted: true }>;

function granted(slot: HostSlot): Granted {
  if (!slot.isGranted) throw new Error(`expected a granted slot, got retryAfterMs ${slot.retryAfterMs}`);
  return slot;
}

describe('MemoryHostLimiter', () => {
  it('grants a burst, then one request per 1/rate seconds', async () => {
    const clock = fakeClock();
    const limiter = new MemoryHostLimiter({ clock, maxInFlightPerHost: 100, ratePerSecond: 2, burst: 4 });
    for (let i = 0; i < 4; i += 1) await granted(await limiter.tryAcquire('a.example')).release();
    expect(await limiter.tryAcquire('a.example')).toEqual({ isGranted: false, retryAfterMs: 500 });
    clock.advance(250);
    expect(await limiter.tryAcquire('a.example')).toEqual({ isGranted: false, retryAfterMs: 250 });
    clock.advance(250);
    await granted(await limiter.tryAcquire('a.example')).release();
    expect((await limiter.tryAcquire('a.example')).isGranted).toBe(false);
    // Another host has its own bucket.
    expect((await limiter.tryAcquire('b.example')).isGranted).toBe(true);
  });

  it('bounds slots held per host and suggests a poll delay without spending a token', async () => {
    const clock = fakeClock();
    const limiter = new MemoryHostLimiter({
      clock,
      maxInFlightPerHost: 2,
      ratePerSecond: 2,
      burst: 4,
      concurrencyPollMs: 150,
    });
    const first = granted(await limiter.tryAcquire('a.example'));
    granted(await limiter.tryAcquire('a.example'));
    expect(await limiter.tryAcquire('a.example')).toEqual({ isGranted: false, retryAfterMs: 150 });
    expect(await limiter.tryAcquire('a.example')).toEqual({ isGranted: false, retryAfterMs: 150 });
    expect(limiter.inFlight('a.example')).toBe(2);
    await first.release();
    // Two tokens are still left: the refused calls did not spend any.
    granted(await limiter.tryAcquire('a.example'));
  });

  it('releases idempotently: a double release frees one slot', async () => {
    const limiter = new MemoryHostLimiter({ clock: fakeClock(), maxInFlightPerHost: 2, burst: 10 });
    const first = granted(await limiter.tryAcquire('a.example'));
    granted(await limiter.tryAcquire('a.example'));
    await first.release();
    await first.release();
    expect(limiter.inFlight('a.example')).toBe(1);
    granted(await limiter.tryAcquire('a.example'));
    expect((await limiter.tryAcquire('a.example')).isGranted).toBe(false);
  });

  it('treats host names case-insensitively', async () => {
    const limiter = new MemoryHostLimiter({ clock: fakeClock(), maxInFlightPerHost: 1 });
    granted(await limiter.tryAcquire('A.Example'));
    expect((await limiter.tryAcquire('a.example')).isGranted).toBe(false);
  });

  it('forgets idle hosts and keeps the map bounded, never evicting a host with slots held', async () => {
    const clock = fakeClock();
    const limiter = new MemoryHostLimiter({
      clock,
      maxHosts: 10,
      maxInFlightPerHost: 1,
      ratePerSecond: 1,
      burst: 1,
    });
    const held = granted(await limiter.tryAcquire('held.example'));
    for (let i = 0; i < 100; i += 1) await granted(await limiter.tryAcquire(`h${i}.example`)).release();
    expect(limiter.size).toBeLessThanOrEqual(10);
    expect(limiter.inFlight('held.example')).toBe(1);
    expect((await limiter.tryAcquire('held.example')).isGranted).toBe(false);

    // Once buckets are full again, idle hosts are forgotten as they are passed.
    clock.advance(10_000);
    await held.release();
    for (let i = 0; i < 20; i += 1)
      await granted(await limiter.tryAcquire('busy.example'))
        .release()
        .then(() => clock.advance(1000));
    expect(limiter.size).toBeLessThanOrEqual(2);
  });

  it('validates options and refuses after close', async () => {
    expect(() => new MemoryHostLimiter({ maxInFlightPerHost: 0 })).toThrow(
      'Expected `maxInFlightPerHost` to be a positive integer, got `0`',
    );
    expect(() => new MemoryHostLimiter({ ratePerSecond: -1 })).toThrow(TypeError);
    expect(() => new MemoryHostLimiter({ burst: 1.5 })).toThrow(TypeError);
    const limiter = new MemoryHostLimiter();
    await limiter.close();
    await limiter.close();
    await expect(limiter.tryAcquire('a.example')).rejects.toThrow(/closed/);
  });
});
