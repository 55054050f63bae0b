/**
 * One page's render, on a page the browser pool lent: serve or load the document, wait until the
 * content settles, read the DOM, and take the screenshot. Everything is bounded by the request's
 * deadline; the pool closes the page afterwards, whatever happens here.
 *
 * Settling. After `load`, the DOM's text length and element count are polled every `pollMs`. The
 * page is done when they have not changed for `stableMs` AND no request has been in flight for
 * `quietMs` ("network idle"), or when they have not changed for `maxStableMs` even though requests
 * are still open (long polling, analytics beacons: "content stable"), or at the deadline, with
 * whatever the page shows then (a page that never settles is still worth its text).
 */
import type { Page, Response } from 'playwright-core';
import { TooLargeError, FetchTimeoutError } from '../fetch/index.js';
import { AbortedError, sleep, toError } from '../lib/index.js';
import { RenderFailedError } from './errors.js';
import type { PrefetchedDocument, RenderRequest, RenderResult, SettledBy } from './types.js';

/** How waiting for the content behaves; see the module comment. */
export interface SettleOptions {
  /** Milliseconds without any request in flight. @default 500 */
  quietMs: number;
  /** Milliseconds with the DOM's text unchanged. @default 500 */
  stableMs: number;
  /** Milliseconds of unchanged text after which open requests no longer matter. @default 2000 */
  maxStableMs: number;
  /** How often the DOM is measured. @default 100 */
  pollMs: number;
}

export const DEFAULT_SETTLE: SettleOptions = { quietMs: 500, stableMs: 500, maxStableMs: 2000, pollMs: 100 };

/** Counters the pool's request guard fills in for this page. */
export interface PageCounters {
  blocked: number;
  guardBlocked: number;
}

export interface RenderPageOptions {
  /** `performance.now()` by which everything ends. */
  deadline: number;
  settle: SettleOptions;
  maxHtmlBytes: number;
  /** Full-page screenshots stop at this height, in CSS pixels. */
  maxScreenshotHeight: number;
  viewportWidth: number;
  counters: PageCounters;
}

/** Response headers that describe the transfer, not the document: dropped when the bytes are replayed. */
const TRANSFER_HEADERS = new Set([
  'content-encoding',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'location',
]);

function replayHeaders(document: PrefetchedDocument): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(document.headers)) {
    if (!TRANSFER_HEADERS.has(name.toLowerCase())) headers[name] = value;
  }
  return headers;
}

function remaining(deadline: number): number {
  return Math.max(1, Math.floor(deadline - performance.now()));
}

function isTimeout(error: unknown): boolean {
  return toError(error).name === 'TimeoutError';
}

/** Counts text and elements in the page: a change in either means scripts are still building it. */
const MEASURE_DOM =
  "(() => { const r = document.documentElement; return r ? (r.textContent || '').length + ':' + r.getElementsByTagName('*').length : '0:0'; })()";

/** The page's full height in CSS pixels. */
const PAGE_HEIGHT =
  '(() => Math.max(document.documentElement ? document.documentElement.scrollHeight : 0, document.body ? document.body.scrollHeight : 0))()';

/** Renders `request` on `page`; see the module comment. */
export async function renderPage(
  page: Page,
  request: RenderRequest,
  options: RenderPageOptions,
): Promise<RenderResult> {
  const startedAt = performance.now();
  const { deadline, settle, counters, signal } = { ...options, signal: request.signal };
  const onAbort = (): void => void page.close().catch(() => undefined);
  if (signal?.aborted) throw new AbortedError(`Rendering ${request.url} was aborted`);
  signal?.addEventListener('abort', onAbort, { once: true });

  let inFlight = 0;
  let lastActivity = performance.now();
  const started = (): void => {
    inFlight += 1;
    lastActivity = performance.now();
  };
  const ended = (): void => {
    inFlight = Math.max(0, inFlight - 1);
    lastActivity = performance.now();
  };
  page.on('request', started);
  page.on('requestfinished', ended);
  page.on('requestfailed', ended);

  try {
    const document = request.document;
    if (document) {
      // The plain fetcher already fetched (and vetted) these bytes: the navigation replays them
      // instead of asking the server twice. Later requests fall through to the context's guard.
      let isServed = false;
      await page.route(
        (url) => !isServed && url.href === new URL(request.url).href,
        async (route) => {
          if (isServed || !route.request().isNavigationRequest()) {
            await route.fallback();
            return;
          }
          isServed = true;
          await route.fulfill({
            status: document.status,
            headers: replayHeaders(document),
            body: Buffer.from(document.body),
          });
        },
      );
    }

    // Leave time for reading the DOM and the screenshot after waiting.
    const reserveMs = Math.min(3000, Math.max(200, (deadline - performance.now()) * 0.2));
    let response: Response | null;
    try {
      response = await page.goto(request.url, {
        waitUntil: 'domcontentloaded',
        timeout: remaining(deadline - reserveMs),
      });
    } catch (error) {
      if (signal?.aborted) throw new AbortedError(`Rendering ${request.url} was aborted`, { cause: error });
      if (isTimeout(error))
        throw new FetchTimeoutError(request.url, 'total', request.timeoutMs, { cause: error });
      throw new RenderFailedError(
        request.url,
        `navigation failed: ${toError(error).message.split('\n')[0]}`,
        { cause: error },
      );
    }
    await page.waitForLoadState('load', { timeout: remaining(deadline - reserveMs) }).catch(() => undefined);
    const settledBy = await waitForContent(
      page,
      settle,
      deadline - reserveMs,
      () => ({ inFlight, lastActivity }),
      signal,
    );

    const html = await readDom(page);
    const bytes = Buffer.byteLength(html);
    if (bytes > options.maxHtmlBytes) {
      throw new TooLargeError(request.url, options.maxHtmlBytes, `the rendered DOM is ${bytes} bytes`);
    }
    let screenshot: Uint8Array | null = null;
    if (request.screenshot === 'viewport' || request.screenshot === 'fullPage') {
      screenshot = await takeScreenshot(page, request.screenshot, options);
    }
    return {
      url: page.url(),
      html,
      status: response?.status() ?? null,
      screenshot,
      blockedRequests: counters.blocked,
      guardBlockedRequests: counters.guardBlocked,
      settledBy,
      elapsedMs: performance.now() - startedAt,
    };
  } catch (error) {
    if (signal?.aborted && !(error instanceof AbortedError)) {
      throw new AbortedError(`Rendering ${request.url} was aborted`, { cause: error });
    }
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    page.off('request', started);
    page.off('requestfinished', ended);
    page.off('requestfailed', ended);
  }
}

async function waitForContent(
  page: Page,
  settle: SettleOptions,
  deadline: number,
  network: () => { inFlight: number; lastActivity: number },
  signal: AbortSignal | undefined,
): Promise<SettledBy> {
  let last = '';
  let stableSince = performance.now();
  for (;;) {
    const now = performance.now();
    if (now >= deadline) return 'deadline';
    let measured: string;
    try {
      measured = await page.evaluate<string>(MEASURE_DOM);
    } catch {
      // A client-side navigation replaced the document: measure again on the next tick.
      measured = '';
    }
    const at = performance.now();
    if (measured !== last || measured === '') {
      last = measured;
      stableSince = at;
    }
    const stableFor = at - stableSince;
    const { inFlight, lastActivity } = network();
    const quietFor = inFlight === 0 ? at - lastActivity : 0;
    if (stableFor >= settle.stableMs && quietFor >= settle.quietMs) return 'network-idle';
    if (stableFor >= settle.maxStableMs) return 'content-stable';
    await sleep(Math.min(settle.pollMs, Math.max(1, deadline - at)), signal ? { signal } : {});
  }
}

async function readDom(page: Page): Promise<string> {
  try {
    return await page.content();
  } catch (error) {
    // "Execution context was destroyed": a late client-side redirect; read the new document.
    await page.waitForLoadState('domcontentloaded', { timeout: 2000 }).catch(() => undefined);
    try {
      return await page.content();
    } catch {
      throw new RenderFailedError(
        page.url(),
        `reading the DOM failed: ${toError(error).message.split('\n')[0]}`,
        { cause: error },
      );
    }
  }
}

async function takeScreenshot(
  page: Page,
  mode: 'viewport' | 'fullPage',
  options: RenderPageOptions,
): Promise<Uint8Array> {
  // A screenshot gets at least 2 s even when waiting used the whole budget.
  const timeout = Math.max(2000, remaining(options.deadline));
  const common = { type: 'png', timeout, animations: 'disabled', caret: 'hide' } as const;
  if (mode === 'viewport') return page.screenshot(common);
  const height = await page.evaluate<number>(PAGE_HEIGHT);
  const clipHeight = Math.max(1, Math.min(height, options.maxScreenshotHeight));
  return page.screenshot({
    ...common,
    fullPage: true,
    clip: { x: 0, y: 0, width: options.viewportWidth, height: clipHeight },
  });
}
