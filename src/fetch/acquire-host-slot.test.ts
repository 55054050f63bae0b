import { describe, expect, it } from 'vitest';
import { AbortedError } from '../lib/errors.js';
import { acquireHostSlot } from './acquire-host-slot.js';
import { HostRateLimitedError } from './errors.js';
import { MemoryHostLimiter } from './memory-host-limiter.js';

function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    clock: { now: () => now },
    sleeps,
    sleep: (ms: number, options: { signal?: AbortSignal }) => {
      if (options.signal?.aborted) return Promise.reject(new AbortedError());
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

describe('acquireHostSlot', () => {
  it('returns at once when a slot is free', async () => {
    const time = fakeTime();
    const limiter = new MemoryHostLimiter({ clock: time.clock });
    const slot = await acquireHostSlot(limiter, 'a.example', time);
    expect(slot.isGranted).toBe(true);
    expect(time.sleeps).toEqual([]);
  });

  it('waits while the wait is short', async () => {
    const time = fakeTime();
    const limiter = new MemoryHostLimiter({ clock: time.clock, ratePerSecond: 2, burst: 1 });
    await (await acquireHostSlot(limiter, 'a.example', time)).release();
    const slot = await acquireHostSlot(limiter, 'a.example', { ...time, maxWaitMs: 2000 });
    expect(slot.isGranted).toBe(true);
    expect(time.sleeps).toEqual([500]);
  });

  it('throws HostRateLimitedError with retryAfterMs when the wait would be long', async () => {
    const time = fakeTime();
    const limiter = new MemoryHostLimiter({ clock: time.clock, ratePerSecond: 0.1, burst: 1 });
    await acquireHostSlot(limiter, 'a.example', time);
    const error = await acquireHostSlot(limiter, 'a.example', { ...time, maxWaitMs: 2000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(HostRateLimitedError);
    expect(error).toMatchObject({
      code: 'host_rate_limited',
      retryAfterMs: 10_000,
      isRemote: false,
      host: 'a.example',
    });
    expect(time.sleeps).toEqual([]);
  });

  it('gives up once the waits add up past maxWaitMs', async () => {
    const time = fakeTime();
    const limiter = new MemoryHostLimiter({
      clock: time.clock,
      maxInFlightPerHost: 1,
      concurrencyPollMs: 150,
    });
    await acquireHostSlot(limiter, 'a.example', time); // held, never released
    await expect(acquireHostSlot(limiter, 'a.example', { ...time, maxWaitMs: 1000 })).rejects.toBeInstanceOf(
      HostRateLimitedError,
    );
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1000);
    expect(time.sleeps.length).toBe(6);
  });

  it('waits for real with the default sleep, briefly', async () => {
    const limiter = new MemoryHostLimiter({ ratePerSecond: 50, burst: 1 });
    await acquireHostSlot(limiter, 'a.example');
    const slot = await acquireHostSlot(limiter, 'a.example', { maxWaitMs: 1000 });
    expect(slot.isGranted).toBe(true);
  });

  it('stops with AbortedError when aborted', async () => {
    const limiter = new MemoryHostLimiter({ maxInFlightPerHost: 1 });
    await acquireHostSlot(limiter, 'a.example');
    const controller = new AbortController();
    const waiting = acquireHostSlot(limiter, 'a.example', { signal: controller.signal, maxWaitMs: 10_000 });
    controller.abort();
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    await expect(acquireHostSlot(limiter, 'b.example', { signal: controller.signal })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(limiter.inFlight('b.example')).toBe(0);
  });
});
