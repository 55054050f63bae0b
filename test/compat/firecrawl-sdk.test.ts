/**
 * The official Firecrawl SDK (`@mendable/firecrawl-js`, pinned) drives distill's Firecrawl-compatible
 * routes with only its `apiUrl` changed, against a local site on loopback: scrape, batch scrape of
 * 200 pages with status polling and `next` pagination, a crawl with a limit, a cancelled crawl, map,
 * the v1 client, API keys and tenants, and Firecrawl-shaped errors for unknown and refused fields.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Firecrawl, { SdkError } from '@mendable/firecrawl-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusServer } from '../../bench/corpus-server.mjs';
import type { App } from '../../src/app/index.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { waitFor } from '../helpers/store.js';
import { CHROMIUM_PATH, hasChromium } from '../render/site.js';

const PAGES = 220;
const PRIVATE_TOKEN = 'tok-4f1e9a-members';
const TEXT =
  'This page belongs to a small local site used to test the Firecrawl-compatible routes. It has enough words in its ' +
  'paragraphs to be taken for the main content of the page by the extractor, and a few links to follow.';

function page(n: number): string {
  const links = [2 * n + 1, 2 * n + 2]
    .filter((child) => child < PAGES)
    .map((child) => `<a href="/page/${child}">child ${child}</a>`);
  return `<!doctype html><html lang="en"><head><title>Page ${n}</title></head><body><article><h1>Page ${n}</h1>
  <p>${TEXT}</p><p>${TEXT} Read on: ${links.join(', ')}.</p></article></body></html>`;
}

function siteHandler(path: string, host: string, request: IncomingMessage) {
  const origin = `http://${host}`;
  if (path === '/robots.txt')
    return {
      headers: { 'content-type': 'text/plain' },
      body: `User-agent: *\nAllow: /\nSitemap: ${origin}/sitemaps/index.xml\n`,
    };
  if (path === '/sitemaps/index.xml') {
    return {
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${origin}/sitemaps/pages.xml</loc></sitemap><sitemap><loc>${origin}/sitemaps/index.xml</loc></sitemap></sitemapindex>`,
    };
  }
  if (path === '/sitemaps/pages.xml') {
    const locs = [0, 1, 2, 3].map((i) => `<url><loc>${origin}/orphan/${i}</loc></url>`).join('');
    return {
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs}</urlset>`,
    };
  }
  if (path === '/llms.txt')
    return {
      headers: { 'content-type': 'text/plain' },
      body: `# Site\n\n- [The guide](${origin}/guide.md): read this\n`,
    };
  // Markdown to a client that asks for it (distill's Accept header), HTML to any other.
  if (path === '/notes' && !String(request.headers.accept).includes('text/markdown'))
    return { body: page(0) };
  if (path === '/guide.md' || path === '/notes') {
    return {
      headers: { 'content-type': 'text/markdown; charset=utf-8' },
      body: `---\ntitle: "The guide"\ndescription: How to use the site\n---\n\n# Introduction\n\nSee [page 3](${origin}/page/3) and ${TEXT}\n`,
    };
  }
  // A page behind a login: a bearer header, sent by the SDK's `headers`, opens it.
  if (path === '/private') {
    if (request.headers.authorization !== `Bearer ${PRIVATE_TOKEN}`)
      return { status: 401, body: 'log in first' };
    return { body: page(7).replaceAll('Page 7', 'Members only') };
  }
  const match = /^\/(page|orphan|slow)\/(\d+)$/.exec(path);
  if (match && Number(match[2]) < PAGES) {
    return { body: page(Number(match[2])), ...(match[1] === 'slow' ? { delayMs: 400 } : {}) };
  }
  return { status: 404, body: 'no such page' };
}

describe('the Firecrawl SDK against distill', () => {
  let site: CorpusServer;
  let testApp: TestApp | undefined;
  let app: App;
  let origin: string;
  let firecrawl: Firecrawl;
  let apiUrl: string;
  let otherTenantKey: string;
  let apiKey: string;

  beforeAll(async () => {
    site = await startCorpusServer({ handler: (path, host, request) => siteHandler(path, host, request) });
    origin = site.origins[0]!;
    testApp = await startFetchingApp(
      {
        DISTILL_FETCH_ALLOW: '127.0.0.1',
        DISTILL_CONCURRENCY: '8',
        DISTILL_HOST_RATE: '500',
        DISTILL_HOST_BURST: '100',
        DISTILL_HOST_CONCURRENCY: '8',
        DISTILL_EXTRACT_THREADS: '2',
        DISTILL_RENDER_DEFAULT: 'never',
        DISTILL_CHROMIUM_PATH: CHROMIUM_PATH,
        DISTILL_RENDER_PAGES: '1',
        DISTILL_SECRET_KEY: 'a1'.repeat(32),
      },
      { prefix: 'distill-firecrawl-' },
    );
    app = testApp.app;
    const key = await app.apiKeys.create({ tenant: 'acme', name: 'firecrawl test' });
    apiKey = key.secret;
    otherTenantKey = (await app.apiKeys.create({ tenant: 'other' })).secret;
    apiUrl = `${app.url!}/firecrawl`;
    firecrawl = new Firecrawl({ apiKey: key.secret, apiUrl, maxRetries: 1 });
  }, 60_000);

  afterAll(async () => {
    await testApp?.close();
    await site?.close();
  });

  async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
    const error = await promise.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(SdkError);
    return error as SdkError;
  }

  it('scrapes one page: Markdown, links and metadata', async () => {
    const document = await firecrawl.scrape(`${origin}/page/0`, {
      formats: ['markdown', 'links'],
      maxAge: 0,
    });
    expect(document.markdown).toContain('Page 0');
    expect(document.markdown).toContain('small local site');
    expect(document.links).toEqual(expect.arrayContaining([`${origin}/page/1`, `${origin}/page/2`]));
    expect(document.metadata?.title).toBe('Page 0');
    expect(document.metadata?.sourceURL).toBe(`${origin}/page/0`);
    expect(document.metadata?.statusCode).toBe(200);
    expect(document.html).toBeUndefined();
  });

  it.skipIf(!hasChromium)(
    'scrapes a screenshot: rendered in Chromium, answered as the URL of its PNG',
    async () => {
      const document = await firecrawl.scrape(`${origin}/page/4`, {
        formats: ['markdown', { type: 'screenshot', fullPage: true }],
        maxAge: 0,
      });
      expect(document.markdown).toContain('Page 4');
      expect(document.screenshot).toMatch(new RegExp(`^${app.url!}/v1/documents/[^/]+/screenshot$`));
      const png = await fetch(document.screenshot!, { headers: { authorization: `Bearer ${apiKey}` } });
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(
        Buffer.from(await png.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe('PNG');
    },
    90_000,
  );

  it('takes the Markdown a site serves as the document itself (front matter title, source site-markdown)', async () => {
    const document = await firecrawl.scrape(`${origin}/notes`, { formats: ['markdown', 'links'] });
    expect(document.metadata?.title).toBe('The guide');
    expect(document.metadata?.description).toBe('How to use the site');
    expect((document.metadata as Record<string, unknown>).source).toBe('site-markdown');
    expect(document.markdown).toMatch(/^# Introduction/);
    expect(document.links).toContain(`${origin}/page/3`);
  });

  it('passes `headers` on as the job’s sealed headers: a logged-in page, its token never answered', async () => {
    const refused = await firecrawl.scrape(`${origin}/private`, { formats: ['markdown'], maxAge: 0 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(SdkError);
    const document = await firecrawl.scrape(`${origin}/private`, {
      formats: ['markdown'],
      headers: { Authorization: `Bearer ${PRIVATE_TOKEN}` },
    });
    expect(document.markdown).toContain('Members only');
    expect(JSON.stringify(document)).not.toContain(PRIVATE_TOKEN);
    const batch = await firecrawl.batchScrape([`${origin}/private`], {
      options: { formats: ['markdown'], headers: { Authorization: `Bearer ${PRIVATE_TOKEN}` } },
      pollInterval: 0.2,
    });
    expect(batch.data.map((doc) => doc.markdown)).toEqual([expect.stringContaining('Members only')]);
    expect(JSON.stringify(batch)).not.toContain(PRIVATE_TOKEN);
  });

  it('batch scrapes 200 pages, polling the status and following `next` pages', async () => {
    const urls = Array.from({ length: 200 }, (_, i) => `${origin}/page/${i}`);
    const job = await firecrawl.batchScrape(urls, {
      options: { formats: ['markdown'], maxAge: 0 },
      pollInterval: 1,
      timeout: 120,
    });
    const started = { id: job.id };
    expect(job.status).toBe('completed');
    expect(job.total).toBe(200);
    expect(job.completed).toBe(200);
    expect(job.data).toHaveLength(200);
    expect(new Set(job.data.map((document) => document.metadata?.sourceURL))).toEqual(new Set(urls));
    // One page of the status holds 100 documents; the rest is behind `next`.
    const first = await firecrawl.getBatchScrapeStatus(started.id, { autoPaginate: false });
    expect(first.data).toHaveLength(100);
    expect(first.next).toMatch(new RegExp(`^${apiUrl}/v2/batch/scrape/${started.id}\\?cursor=`));
    const errors = await firecrawl.getBatchScrapeErrors(started.id);
    expect(errors).toEqual({ errors: [], robotsBlocked: [] });
  }, 150_000);

  it('lists the failed pages of a batch as its errors', async () => {
    const job = await firecrawl.batchScrape([`${origin}/page/1`, `${origin}/missing`], {
      options: { maxAge: 0 },
      pollInterval: 1,
      timeout: 60,
    });
    const started = { id: job.id };
    expect(job.data.map((document) => document.metadata?.sourceURL)).toEqual([`${origin}/page/1`]);
    const { errors } = await firecrawl.getBatchScrapeErrors(started.id);
    expect(errors).toEqual([expect.objectContaining({ url: `${origin}/missing`, code: 'http_error' })]);
  }, 90_000);

  it('keeps one tenant out of another tenant’s batch', async () => {
    const started = await firecrawl.startBatchScrape([`${origin}/page/5`]);
    expect(started.url).toBe(`${apiUrl}/v2/batch/scrape/${started.id}`);
    const other = new Firecrawl({ apiKey: otherTenantKey, apiUrl, maxRetries: 1 });
    const error = await sdkError(other.getBatchScrapeStatus(started.id));
    expect(error.status).toBe(404);
    const refused = await sdkError(
      new Firecrawl({ apiKey: 'dsk_wrong', apiUrl, maxRetries: 1 }).startBatchScrape([`${origin}/page/5`]),
    );
    expect(refused.status).toBe(401);
  });

  it('crawls within a limit', async () => {
    const job = await firecrawl.crawl(`${origin}/page/0`, {
      limit: 5,
      crawlEntireDomain: true,
      sitemap: 'skip',
      pollInterval: 1,
      timeout: 60,
    });
    expect(job.status).toBe('completed');
    expect(job.data).toHaveLength(5);
    expect(job.data.map((document) => document.metadata?.sourceURL)).toContain(`${origin}/page/0`);
  }, 90_000);

  it('cancels a crawl', async () => {
    const started = await firecrawl.startCrawl(`${origin}/slow/0`, {
      limit: 200,
      crawlEntireDomain: true,
      sitemap: 'skip',
    });
    expect(await firecrawl.cancelCrawl(started.id)).toBe(true);
    const status = await firecrawl.getCrawlStatus(started.id);
    expect(status.status).toBe('cancelled');
    expect(status.data.length).toBeLessThan(200);
  });

  it('maps a site: sitemap index (naming itself), llms.txt and the links of its pages', async () => {
    const { links } = await firecrawl.map(origin, { limit: 1000 });
    const urls = links.map((link) => link.url);
    expect(urls).toEqual(
      expect.arrayContaining([`${origin}/orphan/0`, `${origin}/orphan/3`, `${origin}/guide.md`]),
    );
    expect(new Set(urls).size).toBe(urls.length);
    const searched = await firecrawl.map(origin, { search: 'orphan' });
    expect(searched.links.map((link) => link.url).sort()).toEqual(
      [0, 1, 2, 3].map((i) => `${origin}/orphan/${i}`),
    );
    const sitemapOnly = await firecrawl.map(origin, { sitemap: 'only' });
    expect(sitemapOnly.links.map((link) => link.url)).not.toContain(`${origin}/guide.md`);
    const limited = await firecrawl.map(`${origin}/page/0`, { sitemap: 'skip', limit: 3 });
    expect(limited.links).toHaveLength(3);
  }, 60_000);

  it('serves the v1 client too: scrape, batch with pages, crawl, map', async () => {
    const scraped = await firecrawl.v1.scrapeUrl(`${origin}/page/2`, { formats: ['markdown'] });
    expect(scraped.success).toBe(true);
    expect((scraped as { markdown?: string }).markdown).toContain('Page 2');
    const batch = await firecrawl.v1.batchScrapeUrls(
      Array.from({ length: 150 }, (_, i) => `${origin}/page/${i}`),
      { formats: ['markdown'] },
      1,
    );
    expect(batch.success).toBe(true);
    expect((batch as { data: unknown[] }).data).toHaveLength(150);
    const crawled = await firecrawl.v1.crawlUrl(
      `${origin}/page/0`,
      { limit: 3, allowBackwardLinks: true, ignoreSitemap: true },
      1,
    );
    expect((crawled as { status: string; data: unknown[] }).status).toBe('completed');
    expect((crawled as { data: unknown[] }).data).toHaveLength(3);
    const mapped = await firecrawl.v1.mapUrl(origin, { search: 'orphan' });
    expect(mapped.success).toBe(true);
    expect((mapped as { links?: string[] }).links).toContain(`${origin}/orphan/1`);
  }, 90_000);

  it('calls the webhook of a batch with distill’s events', async () => {
    const calls: string[] = [];
    const hooks: Server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        calls.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
    try {
      const hookUrl = `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`;
      const job = await firecrawl.batchScrape([`${origin}/page/7`], {
        webhook: { url: hookUrl },
        pollInterval: 1,
        timeout: 60,
      });
      expect(job.status).toBe('completed');
      await waitFor(
        () => calls.some((call) => call.includes('job.completed') && call.includes(job.id)),
        30_000,
        'the job.completed webhook call',
      );
    } finally {
      await new Promise((resolve) => hooks.close(resolve));
    }
  }, 90_000);

  it('answers the native POST /v1/map with sources, and 400 for a bad pattern', async () => {
    const post = (body: unknown) =>
      fetch(`${app.url!}/v1/map`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${otherTenantKey}` },
        body: JSON.stringify(body),
      });
    const response = await post({ url: origin, limit: 1000 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      count: number;
      links: Array<{ url: string; source: string }>;
      read: { llmsTxt: boolean };
    };
    expect(body.links).toEqual(
      expect.arrayContaining([
        { url: `${origin}/orphan/2`, source: 'sitemap' },
        expect.objectContaining({ url: `${origin}/guide.md`, source: 'llms.txt' }),
      ]),
    );
    expect(body.count).toBe(body.links.length);
    expect(body.read.llmsTxt).toBe(true);
    const bad = await post({ url: origin, include: ['/(a)\\1/'] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('answers unknown and refused fields in Firecrawl’s error shape, naming the field', async () => {
    const unknown = await sdkError(
      firecrawl.scrape(`${origin}/page/0`, { formats: ['markdown'], colour: 'blue' } as never),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.message).toContain('`colour`');
    const json = await sdkError(
      firecrawl.scrape(`${origin}/page/0`, { formats: [{ type: 'json', prompt: 'the title' }] }),
    );
    expect(json.status).toBe(400);
    // This server has no model endpoint (firecrawl-llm.test.ts runs json with one).
    expect(json.message).toMatch(/formats\[0\].*need a model endpoint.*DISTILL_LLM_URL/);
    expect(json.code).toBe('llm_not_configured');
    const tags = await sdkError(firecrawl.scrape(`${origin}/page/0`, { includeTags: ['article'] }));
    expect(tags.message).toContain('`includeTags` is not supported');
    const headers = await sdkError(
      firecrawl.startBatchScrape([`${origin}/page/0`], { options: { headers: { Host: 'elsewhere.test' } } }),
    );
    expect(headers.status).toBe(400);
    expect(headers.code).toBe('invalid_request_secret');
    expect(headers.message).toMatch(/headers.*Host/);
    const raw = await fetch(`${apiUrl}/v2/crawl`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${otherTenantKey}` },
      body: JSON.stringify({ url: origin, limit: 'ten' }),
    });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toMatchObject({
      success: false,
      error: expect.stringContaining('`limit`'),
      code: 'validation_failed',
    });
    const notJson = await fetch(`${apiUrl}/v2/scrape`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${otherTenantKey}` },
      body: '{"url":',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ success: false, code: 'invalid_json' });
    const search = await fetch(`${apiUrl}/v2/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${otherTenantKey}` },
      body: '{}',
    });
    expect(search.status).toBe(404);
    expect(await search.json()).toMatchObject({ success: false, code: 'not_found' });
    const noKey = await fetch(`${apiUrl}/v2/map`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: origin }),
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ success: false, code: 'unauthorized' });
    for (const path of [
      '/%66irecrawl/v2/map',
      '//firecrawl//v2/map',
      '/x/../firecrawl/v2/map',
      '/FIRECRAWL/v2/map',
      '/firecrawl/v2/nope',
    ]) {
      const spelled = await fetch(`${app.url!}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: origin }),
      });
      expect({ path, status: spelled.status }).toEqual({ path, status: 401 });
    }
  });
});
