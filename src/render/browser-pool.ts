/**
 * `BrowserPool`: renders pages in Chromium (playwright-core, Debian's `/usr/bin/chromium`) with a
 * bounded number of pages in flight, one browser context per job, and memory that stays flat over
 * days.
 *
 * Lifecycle. Nothing starts until the first `render()` (or an explicit `start()`): a process whose
 * jobs never render never launches Chromium. Then the egress proxy starts and one browser is
 * launched; it is replaced ("recycled") after `recycleAfterPages` pages or when its processes' RSS
 * (read from /proc) passes `maxRssBytes`, and at once when it crashes. A retiring browser takes no
 * new pages and closes when its last page does. `stop()` rejects waiting renders, closes every
 * context and browser (killing one that will not close) and the proxy; it is idempotent.
 *
 * Contexts. Pages of one job (`contextKey`) share a context, so a site's cookies work across its
 * pages, but never across jobs. A context is closed after `contextRecycleAfterPages` pages or when
 * it has been idle for `contextIdleMs`. Each context blocks service workers and downloads, removes
 * WebRTC (which could reach the network around the proxy), and routes every request through
 * the request guard (request-guard.ts): blocked resource types (images, media, fonts by default) and hosts the guard
 * refuses are aborted before the browser opens anything. The egress proxy enforces the same guard
 * again at connect time, with the address it resolved itself; see egress-proxy.ts.
 *
 * Proxies (issue 20). A render whose item was fetched through a pool's proxy (`RenderRequest.proxy`)
 * gets a context of its own for that proxy (key: job and proxy), whose Playwright `proxy.server` is
 * a route of the egress proxy (a listener of its own): the egress proxy still checks each
 * destination, then tunnels to it through the same proxy. The route closes with its context.
 */
import type { Page } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { EMPTY_ALLOW_LIST, systemLookup, type AllowList, type LookupFunction } from '../fetch/index.js';
import {
  AbortedError,
  DistillError,
  silentLogger,
  toError,
  type Logger,
  positiveInteger,
} from '../lib/index.js';
import { BrowserContexts } from './browser-contexts.js';
import { EgressProxy } from './egress-proxy.js';
import { RenderFailedError, RenderUnavailableError } from './errors.js';
import {
  closeBrowser,
  DEFAULT_CHROMIUM_PATH,
  launchBrowser,
  launchErrorOf,
  type BrowserSlot,
  type ContextSlot,
} from './browser-lifecycle.js';
import { PagePermits } from './page-permits.js';
import { processTreeUsage, type ProcessTreeUsage } from './process-tree.js';
import { DEFAULT_SETTLE, renderPage, type PageCounters, type SettleOptions } from './render-page.js';
import { RequestGuard } from './request-guard.js';
import type { Renderer, RenderRequest, RenderResult } from './types.js';

import {
  DEFAULT_BLOCKED_RESOURCE_TYPES,
  defaultRenderPages,
  type BrowserPoolOptions,
  type BrowserPoolStats,
} from './browser-pool-options.js';

export { DEFAULT_BLOCKED_RESOURCE_TYPES, defaultRenderPages, type BrowserPoolOptions, type BrowserPoolStats };

/** A bounded, self-healing pool of Chromium pages; see the module comment. */
export class BrowserPool implements Renderer {
  readonly #executablePath: string;
  readonly #maxPages: number;
  readonly #recycleAfterPages: number;
  readonly #maxRssBytes: number;
  readonly #memoryCheckEveryPages: number;
  readonly #allow: AllowList;
  readonly #lookup: LookupFunction;
  readonly #guard: RequestGuard;
  readonly #launchTimeoutMs: number;
  readonly #launchRetryMs: number;
  readonly #maxHtmlBytes: number;
  readonly #viewport: { width: number; height: number };
  readonly #maxScreenshotHeight: number;
  readonly #settle: SettleOptions;
  readonly #extraArgs: readonly string[];
  readonly #log: Logger;
  readonly #proxy: EgressProxy;
  readonly #contexts: BrowserContexts;

  readonly #browsers = new Set<BrowserSlot>();
  readonly #stats = { launches: 0, crashes: 0, recycles: 0, contextsCreated: 0, pagesRendered: 0 };
  #current: BrowserSlot | undefined;
  #launching: Promise<BrowserSlot> | undefined;
  #launchFailure: { error: DistillError; at: number } | undefined;
  readonly #permits: PagePermits;
  #stopping: Promise<void> | undefined;
  readonly #memoryChecks = new Set<Promise<void>>();

  constructor(options: BrowserPoolOptions = {}) {
    this.#executablePath = options.executablePath ?? DEFAULT_CHROMIUM_PATH;
    this.#maxPages = positiveInteger('maxPages', options.maxPages ?? defaultRenderPages());
    this.#permits = new PagePermits(this.#maxPages);
    this.#recycleAfterPages = positiveInteger('recycleAfterPages', options.recycleAfterPages ?? 100);
    this.#maxRssBytes = positiveInteger('maxRssBytes', options.maxRssBytes ?? 1536 * 1024 * 1024);
    const contextRecycleAfterPages = positiveInteger(
      'contextRecycleAfterPages',
      options.contextRecycleAfterPages ?? 20,
    );
    const contextIdleMs = positiveInteger('contextIdleMs', options.contextIdleMs ?? 2000);
    this.#memoryCheckEveryPages = positiveInteger(
      'memoryCheckEveryPages',
      options.memoryCheckEveryPages ?? 5,
    );
    this.#launchTimeoutMs = positiveInteger('launchTimeoutMs', options.launchTimeoutMs ?? 30_000);
    this.#launchRetryMs = positiveInteger('launchRetryMs', options.launchRetryMs ?? 30_000);
    this.#maxHtmlBytes = positiveInteger('maxHtmlBytes', options.maxHtmlBytes ?? 10 * 1024 * 1024);
    this.#maxScreenshotHeight = positiveInteger('maxScreenshotHeight', options.maxScreenshotHeight ?? 8000);
    this.#viewport = options.viewport ?? { width: 1280, height: 800 };
    positiveInteger('viewport.width', this.#viewport.width);
    positiveInteger('viewport.height', this.#viewport.height);
    this.#settle = { ...DEFAULT_SETTLE, ...options.settle };
    this.#allow = options.allow ?? EMPTY_ALLOW_LIST;
    this.#lookup = options.lookup ?? systemLookup;
    this.#guard = new RequestGuard({
      allow: this.#allow,
      lookup: this.#lookup,
      blockedResourceTypes: options.blockedResourceTypes ?? DEFAULT_BLOCKED_RESOURCE_TYPES,
    });
    this.#extraArgs = options.extraArgs ?? [];
    this.#log = options.logger ?? silentLogger;
    this.#proxy = new EgressProxy({
      allow: this.#allow,
      lookup: this.#lookup,
      ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      proxies: options.proxies ?? [],
      onBlocked: (target) =>
        this.#log.debug(
          { host: target.host, port: target.port },
          'The egress proxy refused a browser request',
        ),
    });
    this.#contexts = new BrowserContexts({
      proxy: this.#proxy,
      guard: this.#guard,
      viewport: this.#viewport,
      userAgent: options.userAgent,
      contextRecycleAfterPages,
      contextIdleMs,
      onCreated: () => {
        this.#stats.contextsCreated += 1;
      },
    });
  }

  /** Pages rendered at once. */
  get maxPages(): number {
    return this.#maxPages;
  }

  get stats(): BrowserPoolStats {
    let openContexts = 0;
    for (const slot of this.#browsers) openContexts += slot.contexts.size;
    return {
      ...this.#stats,
      inFlight: this.#permits.inFlight,
      waiting: this.#permits.waiting,
      openBrowsers: this.#browsers.size,
      openContexts,
      proxy: this.#launches > 0 ? this.#proxy.stats : null,
    };
  }

  get #launches(): number {
    return this.#stats.launches;
  }

  /** Processes and summed RSS and PSS of every browser this pool has open (empty without /proc). */
  async usage(): Promise<ProcessTreeUsage> {
    return browsersUsage(this.#browsers);
  }

  /** Launches the proxy and a browser now rather than on the first render (fail fast). Idempotent. */
  async start(): Promise<void> {
    await this.#browserForNewPage();
  }

  /** Renders one page; see `RenderRequest`. Throws `DistillError`s (`render_failed`, `timeout`, `too_large`, ...). */
  async render(request: RenderRequest): Promise<RenderResult> {
    const deadline = performance.now() + request.timeoutMs;
    if (this.#stopping) throw new RenderUnavailableError('the browser pool is stopped');
    await this.#permits.acquire(request.signal, deadline, request.url);
    try {
      return await this.#renderWithPermit(request, deadline);
    } finally {
      this.#permits.release();
    }
  }

  /** Rejects waiting renders, closes every context and browser, then the proxy. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    this.#permits.rejectWaiting(new RenderUnavailableError('the browser pool is stopping'));
    await this.#launching?.catch(() => undefined);
    this.#current = undefined;
    await Promise.allSettled([...this.#memoryChecks]);
    await Promise.all([...this.#browsers].map((slot) => this.#closeBrowser(slot)));
    await this.#proxy.stop();
  }

  async #renderWithPermit(request: RenderRequest, deadline: number): Promise<RenderResult> {
    const slot = await this.#browserForNewPage(request.url);
    // A proxy's pages get their own context: its cookies and connections never mix with another's.
    const key = `${request.contextKey ?? randomUUID()}${request.proxy === undefined ? '' : `\u0000proxy:${request.proxy}`}`;
    slot.inFlight += 1;
    slot.pagesStarted += 1;
    let contextSlot: ContextSlot | undefined;
    let page: Page | undefined;
    try {
      contextSlot = await this.#contexts.open(slot, key, request.proxy);
      contextSlot.inFlight += 1;
      contextSlot.pagesStarted += 1;
      page = await contextSlot.context.newPage();
      const counters: PageCounters = { blocked: 0, guardBlocked: 0 };
      this.#guard.track(page, counters);
      const result = await renderPage(page, request, {
        deadline,
        settle: this.#settle,
        maxHtmlBytes: this.#maxHtmlBytes,
        maxScreenshotHeight: this.#maxScreenshotHeight,
        viewportWidth: this.#viewport.width,
        counters,
      });
      this.#stats.pagesRendered += 1;
      return result;
    } catch (error) {
      throw renderErrorOf(error, request, slot.isDisconnected);
    } finally {
      if (page) await page.close().catch(() => undefined);
      slot.inFlight -= 1;
      if (contextSlot) {
        contextSlot.inFlight -= 1;
        this.#contexts.afterPage(slot, contextSlot);
      }
      this.#afterBrowserPage(slot);
    }
  }

  /** The browser new pages go to: the current one, or a freshly launched one. */
  async #browserForNewPage(url = 'the first page'): Promise<BrowserSlot> {
    if (this.#stopping) throw new RenderUnavailableError('the browser pool is stopped');
    const current = this.#current;
    if (current && !current.isRetiring && !current.isDisconnected) return current;
    const failure = this.#launchFailure;
    if (failure && performance.now() - failure.at < this.#launchRetryMs) throw failure.error;
    this.#launching ??= this.#launch(url).finally(() => {
      this.#launching = undefined;
    });
    return this.#launching;
  }

  async #launch(url: string): Promise<BrowserSlot> {
    let slot: BrowserSlot;
    try {
      await this.#proxy.start();
      slot = await launchBrowser({
        executablePath: this.#executablePath,
        launchTimeoutMs: this.#launchTimeoutMs,
        proxyUrl: this.#proxy.url,
        extraArgs: this.#extraArgs,
        url,
      });
    } catch (error) {
      const wrapped = launchErrorOf(error, url, this.#executablePath);
      this.#launchFailure = { error: wrapped, at: performance.now() };
      this.#log.error(
        { err: toError(error), executablePath: this.#executablePath },
        'Launching Chromium failed',
      );
      throw wrapped;
    }
    this.#launchFailure = undefined;
    this.#stats.launches += 1;
    const { id, browser } = slot;
    browser.on('disconnected', () => {
      slot.isDisconnected = true;
      if (this.#current === slot) this.#current = undefined;
      if (slot.closing === undefined) {
        this.#stats.crashes += 1;
        this.#log.warn(
          { browser: id, pid: slot.pid },
          'Chromium exited unexpectedly; the next page launches a new one',
        );
        void this.#closeBrowser(slot);
      }
    });
    this.#browsers.add(slot);
    if (this.#stopping) {
      await this.#closeBrowser(slot);
      throw new RenderUnavailableError('the browser pool is stopped');
    }
    this.#current = slot;
    this.#log.info({ browser: id, pid: slot.pid, version: browser.version() }, 'Chromium launched');
    return slot;
  }

  #afterBrowserPage(slot: BrowserSlot): void {
    if (!slot.isRetiring && slot.pagesStarted >= this.#recycleAfterPages) {
      this.#retire(slot, `after ${slot.pagesStarted} pages`);
    } else if (!slot.isRetiring && slot.pagesStarted % this.#memoryCheckEveryPages === 0) {
      const check = this.#checkMemory(slot).finally(() => this.#memoryChecks.delete(check));
      this.#memoryChecks.add(check);
    }
    if ((slot.isRetiring || slot.isDisconnected) && slot.inFlight === 0) void this.#closeBrowser(slot);
  }

  async #checkMemory(slot: BrowserSlot): Promise<void> {
    if (slot.pid === undefined) return;
    try {
      const usage = await processTreeUsage(slot.pid);
      // PSS counts Chromium's shared code once, not once per renderer; RSS where PSS is unknown.
      const bytes = usage.pssBytes > 0 ? usage.pssBytes : usage.rssBytes;
      if (bytes > this.#maxRssBytes && !slot.isRetiring) {
        this.#retire(
          slot,
          `its memory of ${Math.round(bytes / 1048576)} MiB passed ${Math.round(this.#maxRssBytes / 1048576)} MiB`,
        );
        if (slot.inFlight === 0) await this.#closeBrowser(slot);
      }
    } catch (error) {
      this.#log.warn({ err: toError(error) }, 'Reading the browser processes from /proc failed');
    }
  }

  #retire(slot: BrowserSlot, why: string): void {
    slot.isRetiring = true;
    if (this.#current === slot) this.#current = undefined;
    this.#stats.recycles += 1;
    this.#log.info({ browser: slot.id, pid: slot.pid }, `Recycling Chromium ${why}`);
  }

  /** Closes a browser and its contexts (see `closeBrowser`), and forgets it. */
  #closeBrowser(slot: BrowserSlot): Promise<void> {
    if (this.#current === slot) this.#current = undefined;
    return closeBrowser(slot, this.#log, () => this.#browsers.delete(slot));
  }
}

/** Processes and summed RSS and PSS of these browsers (empty without /proc). */
async function browsersUsage(browsers: Iterable<BrowserSlot>): Promise<ProcessTreeUsage> {
  const trees = await Promise.all(
    [...browsers].map((slot) =>
      slot.pid === undefined
        ? Promise.resolve({ pids: [], rssBytes: 0, pssBytes: 0 })
        : processTreeUsage(slot.pid),
    ),
  );
  return {
    pids: trees.flatMap((t) => t.pids),
    rssBytes: trees.reduce((sum, t) => sum + t.rssBytes, 0),
    pssBytes: trees.reduce((sum, t) => sum + t.pssBytes, 0),
  };
}

/** What a failed render throws: a `DistillError` as it is, else `aborted` or `render_failed` (`crashed`: the browser's). */
function renderErrorOf(error: unknown, request: RenderRequest, crashed: boolean): Error {
  if (error instanceof DistillError) return error;
  if (request.signal?.aborted)
    return new AbortedError(`Rendering ${request.url} was aborted`, { cause: error });
  const reason = crashed ? 'the browser crashed' : (toError(error).message.split('\n')[0] ?? 'unknown error');
  return new RenderFailedError(request.url, reason, { cause: error });
}
