/**
 * The web page in a real browser: playwright-core drives Debian's Chromium against the real API
 * (SQLite store, worker pool, fetch → extract) and a loopback corpus server. Screenshots of every
 * view, at desktop and phone width, go to test-artifacts/ (git-ignored) for a person to look at.
 * Skipped, saying why, when /usr/bin/chromium is missing (`.ci/run` installs it).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { articleTitle, startWebCorpus, type CorpusServer } from './web-corpus.js';
import { startWebTestServer, type WebTestServer } from '../helpers/web-server.js';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = resolve(import.meta.dirname, '..', '..');
const WEB_SOURCE = join(ROOT, 'src', 'web');
const WEB_BUILD = join(ROOT, 'dist', 'web');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `Skipping the web page tests: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it).`,
  );
}

const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 375, height: 812 };

/** Newest modification time of the page's sources, so a stale build is rebuilt. */
function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceMs(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `vite build` when dist/web is missing or older than src/web. */
async function ensureWebBuild(): Promise<void> {
  const index = join(WEB_BUILD, 'index.html');
  if (existsSync(index) && statSync(index).mtimeMs >= newestSourceMs(WEB_SOURCE)) return;
  const { build } = await import('vite');
  await build({ configFile: join(WEB_SOURCE, 'vite.config.ts'), logLevel: 'warn' });
}

describe.skipIf(!hasChromium)('web page in Chromium', () => {
  let corpus: CorpusServer;
  let server: WebTestServer;
  let browser: Browser;
  let profileDir: string;
  const contexts: BrowserContext[] = [];
  /** Console errors and uncaught exceptions of every page: the page must have none. */
  const pageErrors: string[] = [];
  let firstJobId = '';

  async function openPage(viewport: { width: number; height: number }): Promise<Page> {
    const context = await browser.newContext({ viewport, acceptDownloads: true, reducedMotion: 'reduce' });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    page.on('console', (message) => {
      // Chromium logs every non-2xx response; the 401s of the API key test and the 422 of the
      // upload of a file of no known type are on purpose.
      if (message.type() === 'error' && !/status of (401|422)/.test(message.text()))
        pageErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageErrors.push(`page: ${error.message}`));
    return page;
  }

  async function screenshot(page: Page, name: string): Promise<void> {
    // Let the last refresh of the lists land so the picture shows a settled page.
    await page.waitForTimeout(300);
    await page.evaluate(() => window.scrollTo(0, 0));
    // What a person sees first, and the whole page.
    await page.screenshot({ path: join(ARTIFACTS, `web-${name}.png`) });
    await page.screenshot({ path: join(ARTIFACTS, `web-${name}-full.png`), fullPage: true });
  }

  /** Submits `urls` through the form and waits for the job page; returns the job id. */
  async function submitThroughForm(page: Page, urls: string[], name?: string): Promise<string> {
    await page.goto(`${server.baseUrl}/#/`);
    await page.getByLabel('Links to fetch').fill(urls.join('\n'));
    if (name !== undefined) await page.getByLabel('Name (optional)').fill(name);
    await expect
      .poll(() => page.locator('#urls-count').textContent())
      .toContain(`${urls.length} links to submit`);
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    return decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    await ensureWebBuild();
    corpus = await startWebCorpus();
    server = await startWebTestServer({ webRoot: WEB_BUILD });
    profileDir = await mkdtemp(join(tmpdir(), 'distill-chromium-'));
    // launch() gives every run a fresh temporary profile; `--user-data-dir` is Playwright's to set.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-sync',
        '--disable-quic',
        `--disk-cache-dir=${join(profileDir, 'cache')}`,
      ],
      timeout: 30_000,
    });
  }, 120_000);

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
    await corpus?.close();
    if (profileDir) await rm(profileDir, { recursive: true, force: true });
  });

  it('serves the page with its assets, and 404 problems for missing ones', async () => {
    const index = await fetch(`${server.baseUrl}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${server.baseUrl}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    await asset.arrayBuffer();
    for (const path of [
      '/assets/missing.js',
      '/assets/..%2findex.html',
      '/assets/%2e%2e/%2e%2e/package.json',
    ]) {
      const missing = await fetch(`${server.baseUrl}${path}`);
      expect({ path, status: missing.status }).toEqual({ path, status: 404 });
      expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await missing.arrayBuffer();
    }
  });

  it('submits 50 URLs and follows the job live to 100%', async () => {
    const page = await openPage(DESKTOP);
    await page.goto(`${server.baseUrl}/`);
    await expect.poll(() => page.title()).toBe('New job · distill');
    await screenshot(page, 'new-job-desktop');

    const [a, b] = corpus.origins as [string, string];
    const urls = [
      ...Array.from({ length: 48 }, (_, i) => `${i % 2 === 0 ? a : b}/article/${i}`),
      `${a}/missing/1`,
      `${b}/missing/2`,
    ];
    firstJobId = await submitThroughForm(page, urls, 'Fifty articles');
    await expect.poll(() => page.locator('.notice').textContent()).toContain('50 accepted');
    expect(await page.locator('#job-title').textContent()).toBe('Fifty articles');

    // Live: the progress bar reaches 100% through the event stream, without a reload.
    await page.locator('.progress__percent', { hasText: '100%' }).waitFor({ timeout: 60_000 });
    await page.locator('.title-badge .badge', { hasText: 'completed' }).waitFor();
    // Two failures: not a green "completed" but a red "completed with 2 failed".
    const badge = page.locator('.title-badge .badge');
    await expect.poll(() => badge.textContent()).toBe('completed with 2 failed');
    expect(await badge.getAttribute('class')).toContain('badge--failed');
    expect(await page.locator('.count--failed').getAttribute('class')).toContain('count--alarm');
    expect(await page.locator('#job-progress').evaluate((bar) => (bar as HTMLProgressElement).value)).toBe(1);
    expect(await page.locator('.count--succeeded .count__n').textContent()).toBe('48');
    expect(await page.locator('.count--failed .count__n').textContent()).toBe('2');
    await expect.poll(() => page.locator('#job-eta').textContent()).toMatch(/\d+ s/);
    // The failed items show their error code in the items list.
    await page.getByLabel('State', { exact: true }).selectOption('failed');
    await expect.poll(() => page.locator('.items-table tbody tr').count()).toBe(2);
    expect(await page.locator('.items-table .error-code').first().textContent()).toMatch(/^http_error/);
    await page.getByLabel('State', { exact: true }).selectOption('');
    await expect.poll(() => page.locator('.items-table tbody tr').count()).toBe(25);
    await page.getByRole('button', { name: 'Load more items' }).click();
    await expect.poll(() => page.locator('.items-table tbody tr').count()).toBe(50);
    await screenshot(page, 'job-completed-desktop');

    // The whole job as NDJSON: one line per succeeded document.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download all (NDJSON)' }).click(),
    ]);
    const lines = readFileSync(await download.path(), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(48);
    expect(JSON.parse(lines[0]!)).toMatchObject({ url: expect.stringContaining('/article/') });
    // And as Markdown files: a zip that starts with its local file header.
    const [zip] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download Markdown (zip)' }).click(),
    ]);
    expect(zip.suggestedFilename()).toBe(`distill-${firstJobId}.zip`);
    const bytes = readFileSync(await zip.path());
    expect(bytes.subarray(0, 4).toString('binary')).toBe('PK\u0003\u0004');
    expect(bytes.toString('latin1')).toContain('.md');
  });

  it('retries the failed links of a job, which runs again and follows live', async () => {
    const page = await openPage(DESKTOP);
    await page.goto(`${server.baseUrl}/#/jobs/${firstJobId}`);
    await page.locator('.title-badge .badge', { hasText: 'completed' }).waitFor();
    await page.getByRole('button', { name: 'Retry failed (2)' }).click();
    await expect.poll(() => page.locator('#toast').textContent()).toBe('2 failed links queued again');
    // The missing pages are still missing: the job completes again with the same two failures.
    await expect
      .poll(
        async () =>
          (await (await fetch(`${server.baseUrl}/v1/jobs/${firstJobId}/events`)).text()).includes(
            'event: job.retried',
          ),
        { timeout: 15_000 },
      )
      .toBe(true);
    await page.locator('.title-badge .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });
    await expect
      .poll(() => page.locator('.count--failed .count__n').textContent(), { timeout: 30_000 })
      .toBe('2');
    expect(await page.locator('.count--succeeded .count__n').textContent()).toBe('48');
  });

  it('pages through the results and searches them', async () => {
    const page = await openPage(DESKTOP);
    await page.goto(`${server.baseUrl}/#/jobs/${firstJobId}`);
    const results = page.locator('.results .result');
    await expect.poll(() => results.count()).toBe(25);
    await page.getByRole('button', { name: 'Load more documents' }).click();
    await expect.poll(() => results.count()).toBe(48);
    expect(await page.getByRole('button', { name: 'Load more documents' }).isHidden()).toBe(true);
    // Search covers the loaded pages: the title of an article from the second page is found.
    await page.getByLabel('Search titles and URLs').fill('Night trains');
    await expect.poll(() => results.count()).toBe(6);
    expect(await results.first().textContent()).toContain('Night trains');
    await screenshot(page, 'results-search-desktop');
    // The full-text search asks the server (every document of the job, not only the loaded ones).
    await page.getByLabel('Search titles and URLs').fill('');
    await page.getByLabel('Search the text').fill('"night trains" -observation');
    await expect.poll(() => page.getByText('No document matches.').count()).toBe(1);
    await page.getByLabel('Search the text').fill('"night trains" dawn');
    const hits = page.locator('[aria-label="Full-text search hits"] .result');
    await expect.poll(() => hits.count()).toBe(6);
    expect(await hits.first().locator('.result__title mark').first().textContent()).toBe('Night trains');
    expect(
      await page
        .locator('.results .result')
        .filter({ has: page.locator('mark') })
        .count(),
    ).toBe(6);
    expect(await page.locator('ol[aria-labelledby="results-title"]').isHidden()).toBe(true);
    await screenshot(page, 'results-text-search-desktop');
  });

  it('opens a document with its rendered Markdown, links and text', async () => {
    const page = await openPage(DESKTOP);
    await page.goto(`${server.baseUrl}/#/jobs/${firstJobId}`);
    await page.getByLabel('Search titles and URLs').fill(articleTitle(3));
    await page.locator('.results .result__title', { hasText: articleTitle(3) }).click();
    await page.waitForURL(/#\/documents\//);
    await page.locator('h1.page-title', { hasText: articleTitle(3) }).waitFor();
    // Focus moved to the heading after the navigation.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1');
    // The way back names the job as the lists do, not by its id.
    await expect.poll(() => page.locator('#back-to-job').textContent()).toBe('← Fifty articles');
    const prose = page.locator('.prose');
    await prose.locator('h2', { hasText: 'What we measured' }).waitFor();
    expect(await prose.locator('li').count()).toBeGreaterThanOrEqual(3);
    expect(await prose.locator('blockquote').textContent()).toContain('Patience');
    expect(await prose.locator('script').count()).toBe(0);
    // Links of the rendered text open outside the page, without a referrer.
    const link = prose.locator('a', { hasText: 'the reference table' });
    expect(await link.getAttribute('href')).toBe('https://example.org/reference');
    expect(await link.getAttribute('rel')).toContain('noreferrer');
    await screenshot(page, 'document-desktop');

    await page.getByRole('tab', { name: /^Links/ }).click();
    expect(await page.locator('.link-list li').count()).toBeGreaterThan(0);
    // The tabs follow the arrow keys.
    await page.getByRole('tab', { name: /^Links/ }).press('ArrowRight');
    expect(await page.getByRole('tab', { name: 'Metadata' }).getAttribute('aria-selected')).toBe('true');
    await page.getByRole('tab', { name: 'Text' }).click();
    expect(await page.locator('.raw').textContent()).toContain('Observation 1 of entry 3');
    const [markdownFile] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download .md' }).click(),
    ]);
    expect(markdownFile.suggestedFilename()).toMatch(/\.md$/);
    expect(readFileSync(await markdownFile.path(), 'utf8')).toContain('## What we measured');
  });

  it('cancels a second, slow job', async () => {
    const page = await openPage(DESKTOP);
    const slow = Array.from({ length: 12 }, (_, i) => `${corpus.origins[i % 2]}/slow/${i}`);
    const jobId = await submitThroughForm(page, slow);
    await expect
      .poll(async () => Number(await page.locator('.count--running .count__n').textContent()), {
        timeout: 15_000,
      })
      .toBeGreaterThan(0);
    await expect.poll(() => page.locator('.connection').textContent()).toBe('Live');
    // Two per host in flight, the rest held back by politeness: the page says so, not "8 running".
    await expect
      .poll(() => page.locator('#job-politeness').textContent(), { timeout: 15_000 })
      .toMatch(
        /^4 in flight, waiting for host 127\.0\.0\.1:\d+: 100 requests\/s, 2 at a time \(\d+ links? waits?\); also 127\.0\.0\.1:\d+ \(\d+\)$/,
      );
    expect(await page.locator('.count--running .count__n').textContent()).toBe('4');
    expect(await page.locator('.count--running .badge').textContent()).toBe('in flight');
    const view = (await (await fetch(`${server.baseUrl}/v1/jobs/${jobId}`)).json()) as {
      counts: { running: number };
      politeness?: { inFlight: number; waiting: Array<{ host: string; items: number; limit: unknown }> };
    };
    expect(view.counts.running).toBe(8);
    expect(view.politeness).toMatchObject({
      inFlight: 4,
      waiting: [
        { host: expect.stringMatching(/^127\.0\.0\.1:/), limit: { inFlight: 2, ratePerSecond: 100 } },
        { host: expect.any(String) },
      ],
    });
    await screenshot(page, 'job-running-desktop');
    await page.getByRole('button', { name: 'Cancel job…' }).click();
    await page.getByRole('button', { name: 'Stop the job' }).click();
    await page.locator('.title-badge .badge', { hasText: 'cancelled' }).waitFor({ timeout: 15_000 });
    // Running fetches are aborted: nothing stays running, the stream ends.
    await expect
      .poll(() => page.locator('.count--running .count__n').textContent(), { timeout: 15_000 })
      .toBe('0');
    await expect.poll(() => page.locator('.connection').textContent(), { timeout: 15_000 }).toBe('Finished');
    expect(await page.locator('.count--cancelled .count__n').textContent()).toBe('12');
    expect(await page.getByRole('button', { name: 'Cancel job…' }).isHidden()).toBe(true);
    const job = (await (await fetch(`${server.baseUrl}/v1/jobs/${jobId}`)).json()) as { status: string };
    expect(job.status).toBe('cancelled');
    await screenshot(page, 'job-cancelled-desktop');

    await page.getByRole('link', { name: 'Jobs', exact: true }).click();
    await page.locator('.job-card').nth(1).waitFor();
    expect(await page.locator('.job-card').count()).toBe(2);
    // Filtered by status on the server: only the cancelled one, then every job again.
    await page.getByLabel('Status', { exact: true }).selectOption('cancelled');
    await expect.poll(() => page.locator('.job-card').count()).toBe(1);
    expect(await page.locator('.job-card .badge').first().textContent()).toBe('cancelled');
    await page.getByLabel('Status', { exact: true }).selectOption('');
    await expect.poll(() => page.locator('.job-card').count()).toBe(2);
    // Jobs carry names: the one given in the form, else the first link's host and the count.
    const names = await page.locator('.job-card__link').allTextContents();
    expect(names).toEqual([`${new URL(slow[0]!).host} +11`, 'Fifty articles']);
    const failedCard = page.locator('.job-card', { hasText: 'Fifty articles' });
    expect(await failedCard.locator('.badge').textContent()).toBe('completed with 2 failed');
    expect(await failedCard.locator('.failed-count').textContent()).toBe('2 failed');
    // Searched on the server, by part of a name or by a whole link of the job.
    await page.getByLabel('Search jobs').fill('fifty');
    await expect.poll(() => page.locator('.job-card__link').allTextContents()).toEqual(['Fifty articles']);
    await page.getByLabel('Search jobs').fill(slow[5]!);
    await expect.poll(() => page.locator('.job-card__link').allTextContents()).toEqual([names[0]]);
    await page.getByLabel('Search jobs').fill('no such job');
    await expect.poll(() => page.getByText('No job matches “no such job”.').count()).toBe(1);
    await page.getByLabel('Search jobs').fill('');
    await expect.poll(() => page.locator('.job-card').count()).toBe(2);
    await screenshot(page, 'jobs-desktop');
  });

  it('starts a crawl from the form, with its depth and page limit', async () => {
    const page = await openPage(DESKTOP);
    await page.goto(`${server.baseUrl}/#/`);
    const start = `${corpus.origins[0]}/article/3`;
    await page.getByLabel('Links to fetch').fill(start);
    await page.locator('details.options summary').click();
    await page.getByLabel('Render pages in a browser').selectOption('never');
    await page.getByLabel('Follow the links of the first link, within its site').check();
    await page.getByLabel('Link depth').fill('0');
    await page.getByLabel('Page limit').fill('1');
    // The webhook field is there (this test server runs no event relay, so it stays empty).
    expect(await page.getByLabel('Webhook URL (optional)').inputValue()).toBe('');
    await screenshot(page, 'new-job-crawl-desktop');
    await page.getByRole('button', { name: 'Start job' }).click();
    await page.waitForURL(/#\/jobs\/[^/]+$/);
    const jobId = decodeURIComponent(new URL(page.url()).hash.replace('#/jobs/', ''));
    const crawl = (await (await fetch(`${server.baseUrl}/v1/crawls/${jobId}`)).json()) as {
      job: { options: { render: string } };
      crawl: unknown;
    };
    expect(crawl).toMatchObject({
      job: { options: { render: 'never' } },
      crawl: { url: start, maxDepth: 0, maxPages: 1 },
    });
    await page.locator('.title-badge .badge', { hasText: 'completed' }).waitFor({ timeout: 30_000 });

    // A finished job can be deleted, after a confirmation; the page goes back to the list.
    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Delete job' }).click();
    await page.waitForURL(/#\/jobs$/);
    expect((await fetch(`${server.baseUrl}/v1/jobs/${jobId}`)).status).toBe(404);
  });

  it('extracts files chosen with the picker or dropped on the form, showing progress and each document or error', async () => {
    const page = await openPage(DESKTOP);
    await page.goto(`${server.baseUrl}/#/`);
    await page.locator('#upload-zone').waitFor();
    const paragraph =
      'Uploaded notes keep their paragraphs, and this sentence is long enough to count as the main content of the page. '.repeat(
        4,
      );
    const html = `<!doctype html><html><head><title>Field notes on uploads</title></head><body><article><h1>Field notes on uploads</h1><p>${paragraph}</p><h2>Second part</h2><p>${paragraph}</p></article></body></html>`;
    // The picker: one HTML file.
    await page
      .locator('#upload-files')
      .setInputFiles({ name: 'field-notes.html', mimeType: 'text/html', buffer: Buffer.from(html) });
    const rows = page.locator('.uploads .upload');
    await expect.poll(() => rows.first().getAttribute('data-state'), { timeout: 30_000 }).toBe('done');
    expect(await rows.first().locator('.upload__name').textContent()).toBe('field-notes.html');
    expect(await rows.first().locator('.upload__document').textContent()).toBe('Field notes on uploads');
    expect(
      await rows
        .first()
        .locator('.upload__bar')
        .evaluate((bar) => (bar as HTMLProgressElement).position),
    ).toBe(1);
    await expect.poll(() => page.locator('#upload-count').textContent()).toBe('1 of 1 file done.');

    // A drop of two files: Markdown is extracted, bytes of no known type fail with their code.
    const dataTransfer = await page.evaluateHandle(() => {
      const transfer = new DataTransfer();
      transfer.items.add(
        new File(['# Dropped plan\n\nThe plan has one step: drop the file and read it.\n'], 'plan.md', {
          type: 'text/markdown',
        }),
      );
      transfer.items.add(
        new File([new Uint8Array([0, 159, 146, 150, 0, 1, 2, 3, 255, 254, 0, 7])], 'blob.bin', {
          type: 'application/octet-stream',
        }),
      );
      return transfer;
    });
    await page.locator('#upload-zone').dispatchEvent('drop', { dataTransfer });
    await expect
      .poll(() => page.locator('#upload-count').textContent(), { timeout: 30_000 })
      .toBe('3 of 3 files done.');
    expect(await rows.nth(1).getAttribute('data-state')).toBe('done');
    expect(await rows.nth(1).locator('.upload__name').textContent()).toBe('plan.md');
    expect(await rows.nth(2).getAttribute('data-state')).toBe('failed');
    expect(await rows.nth(2).locator('.error-code').textContent()).toBe('unsupported_content_type');
    expect(await rows.nth(2).textContent()).toContain('HTTP 422');
    expect(
      await page.locator('#upload-progress').evaluate((bar) => (bar as HTMLProgressElement).position),
    ).toBe(1);
    await screenshot(page, 'new-job-uploads-desktop');

    // The link opens the extracted document; its way back names the job.
    await rows.first().locator('.upload__document').click();
    await page.waitForURL(/#\/documents\/[^?]+\?job=/);
    await page.locator('h1.page-title', { hasText: 'Field notes on uploads' }).waitFor();
    expect(await page.locator('.prose h2').first().textContent()).toBe('Second part');
    await expect.poll(() => page.locator('#back-to-job').textContent()).toBe('← field-notes.html');
  });

  it('is usable at phone width', async () => {
    const page = await openPage(PHONE);
    await page.goto(`${server.baseUrl}/#/`);
    await page.locator('#new-job-title').waitFor();
    await page.locator('.job-card').first().waitFor();
    await screenshot(page, 'new-job-phone');
    await page.goto(`${server.baseUrl}/#/jobs/${firstJobId}`);
    await page.locator('.title-badge .badge', { hasText: 'completed' }).waitFor();
    await expect.poll(() => page.locator('.results .result').count()).toBe(25);
    await screenshot(page, 'job-phone');
    await page.locator('.results .result__title').first().click();
    await page.locator('.prose h2').first().waitFor();
    await screenshot(page, 'document-phone');
    // Nothing is wider than the screen: no sideways scrolling.
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('starts the document’s text above the fold on a phone (390×844)', async () => {
    const page = await openPage({ width: 390, height: 844 });
    await page.goto(`${server.baseUrl}/#/jobs/${firstJobId}`);
    await page.locator('.results .result__title').first().waitFor();
    await page.locator('.results .result__title').first().click();
    await page.waitForURL(/#\/documents\//);
    const first = page.locator('.prose p').first();
    await first.waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    const top = await first.evaluate((p) => p.getBoundingClientRect().top);
    // The text starts on the first screen with its first lines in view (at least 200 px of it),
    // not under the title, buttons and tabs.
    expect(top).toBeGreaterThan(0);
    expect(top).toBeLessThan(844 - 200);
    await screenshot(page, 'document-phone-fold');
  });

  // Last but one: making a key turns auth on for the rest of the file, as `distill keys create` does.
  it('asks for an API key once one exists, and sends it as a Bearer token', async () => {
    // The jobs made so far were made while auth was off: they belong to the tenant `default`.
    const { secret } = await server.keys.create({ tenant: 'default', name: 'browser test' });
    const page = await openPage(DESKTOP);
    const seen: Array<string | undefined> = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname === '/v1/jobs') seen.push(request.headers().authorization);
    });
    await page.goto(`${server.baseUrl}/#/jobs`);
    const dialog = page.getByRole('dialog', { name: 'API key' });
    await dialog.waitFor();
    await screenshot(page, 'api-key-desktop');
    await dialog.getByLabel('Key').fill(secret);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.locator('.job-card').first().waitFor();
    expect(seen[0]).toBeUndefined();
    expect(seen.at(-1)).toBe(`Bearer ${secret}`);
    expect(await page.evaluate(() => localStorage.getItem('distill.apiKey'))).toBe(secret);
  });

  it('logged no console errors or page exceptions', () => {
    expect(pageErrors).toEqual([]);
  });
});
