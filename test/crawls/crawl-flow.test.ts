/**
 * Crawls end to end in embedded mode, over real HTTP, on a local site of 300 linked pages (see
 * site.ts): scope (maxDepth, maxPages, include/exclude, sameSite), the sitemap, each URL requested
 * once, right counts, cancel.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { waitFor } from '../helpers/store.js';
import { siteHandler } from '../helpers/crawl-site.js';

interface JobBody {
  id: string;
  status: string;
  total: number;
  counts: Record<'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled', number>;
}

describe('crawls over a local site', () => {
  let site: CorpusServer;
  let testApp: TestApp | undefined;
  let base: string;
  let origin: string;
  let other: string;

  beforeAll(async () => {
    let otherOrigin = '';
    site = await startCorpusServer({
      hosts: 2,
      handler: (path, host) => {
        const response = siteHandler(() => otherOrigin)(path);
        return typeof response.body === 'string'
          ? { ...response, body: response.body.replaceAll('http://HOST', `http://${host}`) }
          : response;
      },
    });
    origin = site.origins[0]!;
    other = otherOrigin = site.origins[1]!;
    testApp = await startFetchingApp(
      {
        DISTILL_FETCH_ALLOW: '127.0.0.1',
        DISTILL_CONCURRENCY: '8',
        DISTILL_HOST_RATE: '500',
        DISTILL_HOST_BURST: '100',
        DISTILL_HOST_CONCURRENCY: '4',
        DISTILL_EXTRACT_THREADS: '2',
        DISTILL_RENDER_DEFAULT: 'never',
      },
      { prefix: 'distill-crawl-' },
    );
    base = testApp.url;
  });

  afterAll(async () => {
    await testApp?.close();
    await site?.close();
  });

  beforeEach(() => {
    site.stats.byPath.clear();
    for (const host of site.stats.byHost.values()) host.requests = 0;
  });

  async function post(
    path: string,
    body: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function finished(jobId: string): Promise<JobBody> {
    let job: JobBody | undefined;
    await waitFor(
      async () => {
        job = (await (await fetch(`${base}/v1/jobs/${jobId}`)).json()) as JobBody;
        return job.status === 'completed' || (job.status === 'cancelled' && job.counts.running === 0);
      },
      30_000,
      `job ${jobId} to finish`,
    );
    return job!;
  }

  async function crawl(body: Record<string, unknown>): Promise<JobBody> {
    const started = await post('/v1/crawls', body);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return finished((started.body.job as JobBody).id);
  }

  /** Paths fetched (robots.txt aside) with how often each, on either host: byPath does not tell them apart. */
  function requested(): Map<string, number> {
    const paths = new Map<string, number>();
    for (const [path, n] of site.stats.byPath) if (path !== '/robots.txt') paths.set(path, n);
    return paths;
  }

  it('follows links in discovery order to maxDepth, within the site, skipping excluded paths; each page once', async () => {
    const job = await crawl({
      url: `${origin}/page/0`,
      maxDepth: 3,
      exclude: ['/private/*'],
      useSitemap: false,
    });
    expect(job.counts).toEqual({ queued: 0, running: 0, succeeded: 15, failed: 0, cancelled: 0 });
    expect(job.total).toBe(15);
    const paths = requested();
    expect([...paths.keys()].sort()).toEqual(Array.from({ length: 15 }, (_, i) => `/page/${i}`).sort());
    expect([...paths.values()].every((n) => n === 1)).toBe(true);
    expect(site.stats.byHost.get(new URL(other).host)?.requests ?? 0).toBe(0);

    const items = (await (await fetch(`${base}/v1/jobs/${job.id}/items?limit=100`)).json()) as {
      items: Array<{ url: string }>;
    };
    // Discovery order: a page always comes after the page that linked to it (its parent), and the
    // start page's children come first. (Pages in flight at once finish in any order, so the order
    // is breadth-first only approximately.)
    const numbers = items.items.map((i) => Number(i.url.split('/').at(-1)));
    expect(numbers.slice(0, 3)).toEqual([0, 1, 2]);
    for (const [index, n] of numbers.entries()) {
      if (n > 0) expect(numbers.indexOf(Math.floor((n - 1) / 2))).toBeLessThan(index);
    }
    const results = (await (
      await fetch(`${base}/v1/jobs/${job.id}/results?limit=100&fields=url,title`)
    ).json()) as { items: unknown[] };
    expect(results.items).toHaveLength(15);
  });

  it('stops at maxPages items in all', async () => {
    const job = await crawl({
      url: `${origin}/page/0`,
      maxDepth: 20,
      maxPages: 40,
      exclude: ['/private/**'],
      useSitemap: false,
    });
    expect(job.total).toBe(40);
    expect(job.counts).toMatchObject({ queued: 0, running: 0, succeeded: 40 });
    expect(requested().size).toBe(40);
    expect([...requested().values()].every((n) => n === 1)).toBe(true);
  });

  it('applies include globs and exclude regexes', async () => {
    // Odd pages excluded by a regex: the crawl walks the right-most branch 0 → 2 → 6 → 14 → 30.
    const job = await crawl({
      url: `${origin}/page/0`,
      maxDepth: 4,
      include: ['/page/*'],
      exclude: ['/\\/page\\/\\d*[13579]$/'],
      useSitemap: false,
    });
    expect(job.counts).toMatchObject({ succeeded: 5, failed: 0 });
    expect([...requested().keys()].sort()).toEqual(['/page/0', '/page/14', '/page/2', '/page/30', '/page/6']);
  });

  it('leaves the site only when sameSite is false', async () => {
    const job = await crawl({
      url: `${origin}/page/0`,
      maxDepth: 1,
      exclude: ['/private/*'],
      sameSite: false,
      useSitemap: false,
    });
    // /page/0, its children 1 and 2, and /page/0 of the other origin.
    expect(job.counts).toMatchObject({ succeeded: 4 });
    expect(site.stats.byHost.get(new URL(other).host)?.requests).toBeGreaterThanOrEqual(1);
    expect(requested().get('/page/0')).toBe(2);
  });

  it('reads sitemap.xml once at the start and crawls its pages too', async () => {
    const job = await crawl({ url: `${origin}/page/0`, maxDepth: 1, exclude: ['/private/*'] });
    // /page/0 + children 1, 2 + the sitemap's five orphans and five deep pages (the other origin's is out of the site).
    expect(job.counts).toMatchObject({ succeeded: 13, failed: 0 });
    const paths = requested();
    expect(paths.get('/sitemap.xml')).toBe(1);
    for (const path of ['/orphan/0', '/orphan/4', '/page/200', '/page/204'])
      expect(paths.get(path), path).toBe(1);
    expect(paths.has('/page/7')).toBe(false);
  });

  it('is cancelled like any job: running pages end, nothing more is added', async () => {
    const started = await post('/v1/crawls', {
      url: `${origin}/slow/0`,
      maxDepth: 20,
      maxPages: 300,
      exclude: ['/private/*'],
      useSitemap: false,
    });
    const jobId = (started.body.job as JobBody).id;
    await waitFor(
      async () => ((await (await fetch(`${base}/v1/jobs/${jobId}`)).json()) as JobBody).counts.succeeded >= 5,
      20_000,
      'some pages',
    );
    const cancelled = await post(`/v1/jobs/${jobId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    const job = await finished(jobId);
    expect(job.status).toBe('cancelled');
    expect(job.counts.queued).toBe(0);
    expect(job.counts.running).toBe(0);
    const total = job.total;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(((await (await fetch(`${base}/v1/jobs/${jobId}`)).json()) as JobBody).total).toBe(total);
    expect(job.total).toBeLessThan(300);
  });

  it('answers GET /v1/crawls/:id with the settings, and refuses bad settings', async () => {
    const started = await post('/v1/crawls', { url: `${origin}/page/0`, maxDepth: 0, useSitemap: false });
    const jobId = (started.body.job as JobBody).id;
    const read = (await (await fetch(`${base}/v1/crawls/${jobId}`)).json()) as {
      crawl: Record<string, unknown>;
    };
    expect(read.crawl).toMatchObject({
      url: `${origin}/page/0`,
      maxDepth: 0,
      maxPages: 100,
      sameSite: true,
      useSitemap: false,
    });
    await finished(jobId);
    const bad = await post('/v1/crawls', { url: `${origin}/`, include: ['/(unclosed/'] });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('validation_failed');
    // RE2 matches in linear time and has no backreferences or lookaround: refused, saying so.
    for (const [field, pattern] of [
      ['exclude', '/(a)\\1/'],
      ['include', '/a(?=b)/'],
    ] as const) {
      const unsupported = await post('/v1/crawls', { url: `${origin}/`, [field]: [pattern] });
      expect(unsupported.status).toBe(400);
      expect(unsupported.body).toMatchObject({ code: 'validation_failed', errors: [{ field: `/${field}` }] });
      expect(unsupported.body.detail).toMatch(/not supported \(patterns use RE2 syntax/);
    }
    const tooMany = await post('/v1/crawls', { url: `${origin}/`, maxPages: 1_000_000 });
    expect(tooMany.body.code).toBe('validation_failed');
    const invalid = await post('/v1/crawls', { url: 'ftp://nope' });
    expect(invalid.body.code).toBe('no_valid_urls');
    const plain = await post('/v1/jobs', { urls: [`${origin}/page/1`] });
    const notCrawl = await fetch(`${base}/v1/crawls/${(plain.body.job as JobBody).id}`);
    expect(notCrawl.status).toBe(404);
    expect(((await notCrawl.json()) as { code: string }).code).toBe('crawl_not_found');
  });
});
