import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllowList } from '../../src/fetch/index.js';
import { BrowserPool, usageOfMarkedProcesses } from '../../src/render/index.js';
import {
  ARTICLE_PARAGRAPHS,
  CHROMIUM_PATH,
  hasChromium,
  SKIP_REASON,
  startCountingServer,
  startSite,
  type TestSite,
} from './site.js';

describe.skipIf(!hasChromium)(`BrowserPool (${hasChromium ? 'Chromium found' : SKIP_REASON})`, () => {
  let site: TestSite;
  let forbidden: Awaited<ReturnType<typeof startCountingServer>>;
  let pool: BrowserPool;

  beforeAll(async () => {
    forbidden = await startCountingServer();
    site = await startSite({ forbiddenOrigin: forbidden.origin });
    pool = new BrowserPool({
      executablePath: CHROMIUM_PATH,
      allow: parseAllowList(`127.0.0.1:${site.port}`),
      maxPages: 2,
    });
  });

  afterAll(async () => {
    await pool?.stop();
    await site?.close();
    await forbidden?.close();
  });

  it('waits for content a script inserts after load and a delayed XHR', async () => {
    const result = await pool.render({ url: `${site.origin}/shell`, timeoutMs: 15_000 });
    expect(result.html).toContain(ARTICLE_PARAGRAPHS[3]);
    expect(result.settledBy).toBe('network-idle');
    expect(result.status).toBe(200);
  });

  it('refuses every request to a loopback port the allow list does not name, opening no connection', async () => {
    const result = await pool.render({ url: `${site.origin}/leaky`, timeoutMs: 15_000 });
    expect(result.html).toContain(ARTICLE_PARAGRAPHS[0]);
    expect(result.guardBlockedRequests).toBeGreaterThanOrEqual(3);
    // The WebSocket is not seen by request routing: the egress proxy refuses its CONNECT.
    expect(pool.stats.proxy?.blocked).toBeGreaterThanOrEqual(1);
    expect(forbidden.connections()).toBe(0);
  });

  it('replays a prefetched document instead of requesting the page again', async () => {
    const before = site.requests.get('/shell') ?? 0;
    const body = new TextEncoder().encode(
      '<!doctype html><title>x</title><div id="root"></div><script src="/app.js"></script>',
    );
    const result = await pool.render({
      url: `${site.origin}/shell`,
      document: {
        status: 200,
        headers: { 'content-type': 'text/html; charset=utf-8', 'content-length': '1' },
        body,
      },
      timeoutMs: 15_000,
      screenshot: 'viewport',
    });
    expect(site.requests.get('/shell') ?? 0).toBe(before);
    expect(result.html).toContain(ARTICLE_PARAGRAPHS[1]);
    expect(Buffer.from(result.screenshot!).subarray(1, 4).toString()).toBe('PNG');
  });

  it('keeps browser processes and memory bounded over 30 renders, recycling every 10 pages', async () => {
    await using small = new BrowserPool({
      executablePath: CHROMIUM_PATH,
      allow: parseAllowList(`127.0.0.1:${site.port}`),
      maxPages: 3,
      recycleAfterPages: 10,
      contextRecycleAfterPages: 5,
    });
    let maxProcesses = 0;
    let maxRss = 0;
    let maxPss = 0;
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(
        [0, 1, 2].map((i) =>
          small.render({
            url: `${site.origin}/shell`,
            timeoutMs: 15_000,
            contextKey: `job-${(batch * 3 + i) % 4}`,
          }),
        ),
      );
      for (const result of results) expect(result.html).toContain(ARTICLE_PARAGRAPHS[2]);
      const usage = await small.usage();
      maxProcesses = Math.max(maxProcesses, usage.pids.length);
      maxRss = Math.max(maxRss, usage.rssBytes);
      maxPss = Math.max(maxPss, usage.pssBytes);
    }
    const stats = small.stats;
    expect(stats.pagesRendered).toBe(30);
    expect(stats.launches).toBeGreaterThanOrEqual(3);
    expect(stats.openBrowsers).toBeLessThanOrEqual(2);
    expect(maxProcesses).toBeLessThanOrEqual(2 * 16);
    expect(maxRss).toBeLessThan(1.5 * 1024 ** 3);
    console.info(
      `30 renders: ${stats.launches} launches, at most ${maxProcesses} Chromium processes, ${Math.round(maxRss / 1048576)} MiB RSS, ${Math.round(maxPss / 1048576)} MiB PSS`,
    );
    await small.stop();
    // The first pool is still open; the small one left nothing behind.
    const left = await usageOfMarkedProcesses('--distill-browser=');
    expect(left.pids.length).toBeLessThanOrEqual((await pool.usage()).pids.length);
  }, 120_000);
});
