/**
 * The HostLimiter contract, run against MemoryHostLimiter and RedisHostLimiter with real time
 * (Redis keeps its own clock). Tests marked shared need state shared between limiter instances,
 * i.e. between processes, which only the Redis adapter has.
 */
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { HostLimiter, HostSlot } from '../../src/fetch/index.js';
import { MemoryHostLimiter } from '../../src/fetch/index.js';
import { RedisHostLimiter } from '../../src/fetch/redis/index.js';
import { redisBackend, suiteTitle } from '../helpers/backends.js';

const redis = await redisBackend();

interface LimiterOptions {
  maxInFlightPerHost?: number;
  ratePerSecond?: number;
  burst?: number;
  concurrencyPollMs?: number;
  slotLeaseMs?: number;
}

interface LimiterKind {
  name: string;
  skipReason: string | undefined;
  /** Instances of one kind made in one test share state when the adapter can (Redis: one prefix). */
  isShared: boolean;
  factory(): (options: LimiterOptions) => HostLimiter;
}

const kinds: LimiterKind[] = [
  {
    name: 'MemoryHostLimiter',
    skipReason: undefined,
    isShared: false,
    factory: () => (options) => {
      // `slotLeaseMs` is ignored: in one process a dead holder's slots die with it.
      const limiter = new MemoryHostLimiter(options);
      onTestFinished(() => limiter.close());
      return limiter;
    },
  },
  {
    name: 'RedisHostLimiter',
    skipReason: redis.skipReason,
    isShared: true,
    factory: () => {
      const prefix = `${redis.prefix()}:`;
      return (options) => {
        const limiter = new RedisHostLimiter({ connection: redis.url(), prefix, ...options });
        onTestFinished(() => limiter.close());
        return limiter;
      };
    },
  },
];

type Granted = Extract<HostSlot, { isGranted: true }>;

function granted(slot: HostSlot): Granted {
  if (!slot.isGranted) throw new Error(`expected a granted slot, got retryAfterMs ${slot.retryAfterMs}`);
  return slot;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

for (const kind of kinds) {
  describe.skipIf(kind.skipReason !== undefined)(
    suiteTitle(`HostLimiter contract: ${kind.name}`, kind.skipReason),
    () => {
      it('grants a burst, then one request per 1/rate seconds', async () => {
        const limiter = kind.factory()({ maxInFlightPerHost: 100, ratePerSecond: 4, burst: 3 });
        for (let i = 0; i < 3; i++) await granted(await limiter.tryAcquire('a.example')).release();
        const refused = await limiter.tryAcquire('a.example');
        expect(refused.isGranted).toBe(false);
        const waitMs = refused.isGranted ? 0 : refused.retryAfterMs;
        expect(waitMs).toBeGreaterThan(150);
        expect(waitMs).toBeLessThanOrEqual(250);
        await sleep(waitMs + 20);
        await granted(await limiter.tryAcquire('a.example')).release();
        expect((await limiter.tryAcquire('a.example')).isGranted).toBe(false);
        // Another host has its own bucket.
        expect((await limiter.tryAcquire('b.example')).isGranted).toBe(true);
      });

      it('bounds slots held per host and suggests a poll delay without spending a token', async () => {
        const limiter = kind.factory()({
          maxInFlightPerHost: 2,
          ratePerSecond: 0.01,
          burst: 4,
          concurrencyPollMs: 150,
        });
        const first = granted(await limiter.tryAcquire('a.example'));
        granted(await limiter.tryAcquire('a.example'));
        expect(await limiter.tryAcquire('a.example')).toEqual({ isGranted: false, retryAfterMs: 150 });
        expect(await limiter.tryAcquire('a.example')).toEqual({ isGranted: false, retryAfterMs: 150 });
        await first.release();
        // Two tokens are still left: the refused calls did not spend any.
        const third = granted(await limiter.tryAcquire('a.example'));
        await third.release();
        granted(await limiter.tryAcquire('a.example'));
        // Bucket now empty and concurrency full: the longer of the two waits is suggested.
        const refused = await limiter.tryAcquire('a.example');
        expect(refused.isGranted).toBe(false);
        expect(refused.isGranted ? 0 : refused.retryAfterMs).toBeGreaterThan(10_000);
      });

      it('releases idempotently: a double release frees one slot', async () => {
        const limiter = kind.factory()({ maxInFlightPerHost: 2, burst: 10 });
        const first = granted(await limiter.tryAcquire('a.example'));
        granted(await limiter.tryAcquire('a.example'));
        await first.release();
        await first.release();
        granted(await limiter.tryAcquire('a.example'));
        expect((await limiter.tryAcquire('a.example')).isGranted).toBe(false);
      });

      it("holds a host to a domain rule's limits, apart from its own (shared across instances where the adapter shares)", async () => {
        const make = kind.factory();
        const limiter = make({ maxInFlightPerHost: 10, ratePerSecond: 100, burst: 10 });
        const rule = { maxInFlight: 1, ratePerSecond: 100, burst: 10 };
        const held = granted(await limiter.tryAcquire('a.example', rule));
        expect((await limiter.tryAcquire('a.example', rule)).isGranted).toBe(false);
        if (kind.isShared)
          expect((await make({ maxInFlightPerHost: 10 }).tryAcquire('a.example', rule)).isGranted).toBe(
            false,
          );
        // The host's own limits are untouched by the rule's slot.
        granted(await limiter.tryAcquire('a.example'));
        await held.release();
        granted(await limiter.tryAcquire('a.example', rule));
        // A rule's rate: a burst of 1, then nothing for 1/rate seconds.
        const slow = { maxInFlight: 5, ratePerSecond: 0.5, burst: 1 };
        await granted(await limiter.tryAcquire('b.example', slow)).release();
        const refused = await limiter.tryAcquire('b.example', slow);
        expect(refused.isGranted ? 0 : refused.retryAfterMs).toBeGreaterThan(1000);
      });

      it('treats host names case-insensitively', async () => {
        const limiter = kind.factory()({ maxInFlightPerHost: 1 });
        granted(await limiter.tryAcquire('A.Example'));
        expect((await limiter.tryAcquire('a.example')).isGranted).toBe(false);
      });

      it('refuses after close, and closes idempotently', async () => {
        const limiter = kind.factory()({});
        await limiter.close();
        await limiter.close();
        await expect(limiter.tryAcquire('a.example')).rejects.toThrow(/closed/);
      });

      it.runIf(kind.isShared)(
        'never has more than C in flight for one host across two limiter instances (two processes)',
        async () => {
          const make = kind.factory();
          const limiters = [
            make({ maxInFlightPerHost: 3, ratePerSecond: 10_000, burst: 10_000 }),
            make({ maxInFlightPerHost: 3, ratePerSecond: 10_000, burst: 10_000 }),
          ];
          let inFlight = 0;
          let maxInFlight = 0;
          let done = 0;
          await Promise.all(
            Array.from({ length: 40 }, async (_, i) => {
              const limiter = limiters[i % 2]!;
              for (;;) {
                const slot = await limiter.tryAcquire('shared.example');
                if (!slot.isGranted) {
                  await sleep(2);
                  continue;
                }
                inFlight++;
                maxInFlight = Math.max(maxInFlight, inFlight);
                await sleep(5 + (i % 4));
                inFlight--;
                done++;
                await slot.release();
                return;
              }
            }),
          );
          expect(done).toBe(40);
          expect(maxInFlight).toBe(3);
        },
      );

      it.runIf(kind.isShared)('shares one token bucket between instances', async () => {
        const make = kind.factory();
        const [a, b] = [
          make({ maxInFlightPerHost: 100, ratePerSecond: 0.01, burst: 4 }),
          make({ maxInFlightPerHost: 100, ratePerSecond: 0.01, burst: 4 }),
        ];
        for (const limiter of [a, b, a, b])
          await granted(await limiter.tryAcquire('bucket.example')).release();
        expect((await a.tryAcquire('bucket.example')).isGranted).toBe(false);
        expect((await b.tryAcquire('bucket.example')).isGranted).toBe(false);
      });

      it.runIf(kind.isShared)('gives the slots of a dead holder back after their lease', async () => {
        const make = kind.factory();
        const dying = make({ maxInFlightPerHost: 2, burst: 10, slotLeaseMs: 300 });
        const survivor = make({ maxInFlightPerHost: 2, burst: 10, slotLeaseMs: 300 });
        granted(await dying.tryAcquire('crash.example'));
        granted(await dying.tryAcquire('crash.example'));
        await dying.close(); // never released: the process died
        expect((await survivor.tryAcquire('crash.example')).isGranted).toBe(false);
        await sleep(350);
        granted(await survivor.tryAcquire('crash.example'));
      });

      it.runIf(kind.isShared)('lets the keys of an idle host expire (bounded memory)', async () => {
        const prefix = `${redis.prefix()}:`;
        const limiter = new RedisHostLimiter({
          connection: redis.url(),
          prefix,
          ratePerSecond: 10,
          burst: 5,
          slotLeaseMs: 2000,
        });
        onTestFinished(() => limiter.close());
        await granted(await limiter.tryAcquire('idle.example')).release();
        const client = new Redis(redis.url());
        onTestFinished(async () => {
          await client.quit();
        });
        const bucketTtl = await client.pttl(`${prefix}{idle.example}:bucket`);
        const slotsTtl = await client.pttl(`${prefix}{idle.example}:slots`);
        // Refill of one token at 10/s is 100 ms (+1 s slack); an empty slot set is deleted by Redis.
        expect(bucketTtl).toBeGreaterThan(0);
        expect(bucketTtl).toBeLessThanOrEqual(1100);
        expect(slotsTtl === -2 || (slotsTtl > 0 && slotsTtl <= 3000)).toBe(true);
      });
    },
  );
}
