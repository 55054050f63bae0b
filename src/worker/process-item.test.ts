import { describe, expect, it } from 'vitest';
import { acquireHostSlot, HostRateLimitedError, MemoryHostLimiter, type Fetcher } from '../fetch/index.js';
import type { ClaimedItem } from '../jobs/index.js';
import { createProcessItem, type Extractor, type HostWaitOutcome } from './process-item.js';

const item: ClaimedItem = {
  jobId: 'job-1',
  seq: 0,
  url: 'https://a.example/page',
  attempt: 1,
  token: 't',
  options: { maxAgeSeconds: 0, formats: ['text'], timeoutMs: 10_000, maxAttempts: 3 },
};

/** A fetcher that counts its calls and stops the task there: these tests are about the wait before it. */
function stoppingFetcher(): Fetcher & { calls: number } {
  const fetcher = {
    calls: 0,
    fetch: () => {
      fetcher.calls++;
      return Promise.reject(new Error('stopped after the host wait'));
    },
    close: () => Promise.resolve(),
  };
  return fetcher;
}

const noExtractor: Extractor = { run: () => Promise.reject(new Error('not reached')) };

describe('the host wait of an item', () => {
  it('reports a wait that got the host slot, with the time it took', async () => {
    const limiter = new MemoryHostLimiter({
      maxInFlightPerHost: 1,
      concurrencyPollMs: 10,
      ratePerSecond: 1000,
      burst: 1000,
    });
    const held = await acquireHostSlot(limiter, 'a.example');
    const waits: Array<[number, HostWaitOutcome]> = [];
    const fetcher = stoppingFetcher();
    const task = createProcessItem({
      fetcher,
      hostLimiter: limiter,
      extractor: noExtractor,
      hostMaxWaitMs: 10_000,
      onHostWait: (ms, outcome) => waits.push([ms, outcome]),
    });
    const running = task(item, { signal: new AbortController().signal });
    // The item polls for the slot until the holder lets it go.
    setTimeout(() => void held.release(), 30);
    await expect(running).rejects.toThrow('stopped after the host wait');
    expect(fetcher.calls).toBe(1);
    expect(waits).toHaveLength(1);
    expect(waits[0]![1]).toBe('acquired');
    expect(waits[0]![0]).toBeGreaterThan(0);
    await limiter.close();
  });

  it('reports a reschedule when the wait would exceed hostMaxWaitMs, and never fetches', async () => {
    const limiter = new MemoryHostLimiter({ maxInFlightPerHost: 1 });
    await acquireHostSlot(limiter, 'a.example'); // held for the whole test
    const waits: HostWaitOutcome[] = [];
    const fetcher = stoppingFetcher();
    const task = createProcessItem({
      fetcher,
      hostLimiter: limiter,
      extractor: noExtractor,
      hostMaxWaitMs: 0,
      onHostWait: (_ms, outcome) => waits.push(outcome),
    });
    await expect(task(item, { signal: new AbortController().signal })).rejects.toBeInstanceOf(
      HostRateLimitedError,
    );
    expect(waits).toEqual(['rescheduled']);
    expect(fetcher.calls).toBe(0);
    await limiter.close();
  });
});

describe('the domain rule of an item', () => {
  const rules = (rule: Record<string, unknown>) => ({
    forJob: (_job: string, host: string) =>
      Promise.resolve(
        host === 'a.example' ? { pattern: 'a.example', source: 'tenant' as const, ...rule } : undefined,
      ),
  });

  it('renders when its rule says always though the job says never (waiting for a worker that renders)', async () => {
    const fetcher = stoppingFetcher();
    const task = createProcessItem({
      fetcher,
      hostLimiter: new MemoryHostLimiter(),
      extractor: noExtractor,
      hostMaxWaitMs: 0,
      domainRules: rules({ render: 'always' }),
    });
    const outcome = await task(
      { ...item, options: { ...item.options, render: 'never' } },
      { signal: new AbortController().signal },
    );
    expect(outcome).toMatchObject({
      kind: 'retry',
      error: { code: 'render_unavailable' },
      countsAttempt: false,
    });
    expect(fetcher.calls).toBe(0);
  });

  it("fetches with its rule's timeout, robots policy and headers, and through its pool", async () => {
    const seen: unknown[] = [];
    const fetcher: Fetcher = {
      fetch: (_url, options) => {
        seen.push(options);
        return Promise.reject(new Error('stopped'));
      },
      close: () => Promise.resolve(),
    };
    const task = createProcessItem({
      fetcher,
      hostLimiter: new MemoryHostLimiter(),
      extractor: noExtractor,
      hostMaxWaitMs: 0,
      domainRules: rules({ timeoutMs: 1234, robots: 'ignore', headers: { 'X-Key': 'k' } }),
    });
    await expect(task(item, { signal: new AbortController().signal })).rejects.toThrow('stopped');
    expect(seen[0]).toMatchObject({
      timeoutMs: 1234,
      robots: 'ignore',
      domainHeaders: { pattern: 'a.example', headers: { 'X-Key': 'k' } },
    });
    const pooled = createProcessItem({
      fetcher,
      hostLimiter: new MemoryHostLimiter(),
      extractor: noExtractor,
      hostMaxWaitMs: 0,
      domainRules: rules({ proxyPool: 'residential' }),
    });
    await expect(pooled(item, { signal: new AbortController().signal })).rejects.toMatchObject({
      code: 'proxy_pool_unknown',
    });
  });
});
