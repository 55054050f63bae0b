// `BrowserContexts`: the browser contexts of `BrowserPool` (browser-pool.ts): one per job (and proxy),
// created once however many of its pages ask at once, each guarded by the request guard and without
// WebRTC, retired after `contextRecycleAfterPages` pages and closed when idle for `contextIdleMs`.
import { closeContext, type BrowserSlot, type ContextSlot } from './browser-lifecycle.js';
import type { EgressProxy } from './egress-proxy.js';
import { DISABLE_WEBRTC, type RequestGuard } from './request-guard.js';

/** What `BrowserContexts` needs of its pool. */
export interface BrowserContextsOptions {
  proxy: EgressProxy;
  guard: RequestGuard;
  viewport: { width: number; height: number };
  userAgent: string | undefined;
  contextRecycleAfterPages: number;
  contextIdleMs: number;
  /** Counts a created context. */
  onCreated: () => void;
}

/** Opens, reuses and closes the contexts of a pool's browsers; see the module comment. */
export class BrowserContexts {
  readonly #proxy: EgressProxy;
  readonly #guard: RequestGuard;
  readonly #viewport: { width: number; height: number };
  readonly #userAgent: string | undefined;
  readonly #contextRecycleAfterPages: number;
  readonly #contextIdleMs: number;
  readonly #onCreated: () => void;

  constructor(options: BrowserContextsOptions) {
    this.#proxy = options.proxy;
    this.#guard = options.guard;
    this.#viewport = options.viewport;
    this.#userAgent = options.userAgent;
    this.#contextRecycleAfterPages = options.contextRecycleAfterPages;
    this.#contextIdleMs = options.contextIdleMs;
    this.#onCreated = options.onCreated;
  }

  /** The context of `key` in `slot`: an open one, one being created, or a new one. */
  async open(slot: BrowserSlot, key: string, proxyName: string | undefined): Promise<ContextSlot> {
    const existing = slot.contexts.get(key);
    if (existing && !existing.isRetiring) {
      clearTimeout(existing.idleTimer);
      existing.idleTimer = undefined;
      return existing;
    }
    const pending = slot.pendingContexts.get(key);
    if (pending) return pending;
    const creating = this.#create(slot, key, proxyName).finally(() => slot.pendingContexts.delete(key));
    slot.pendingContexts.set(key, creating);
    return creating;
  }

  async #create(slot: BrowserSlot, key: string, proxyName: string | undefined): Promise<ContextSlot> {
    // Through a proxy: the egress proxy's route for it; otherwise the browser's own (direct) setting.
    const egressRoute = proxyName === undefined ? undefined : await this.#proxy.openRoute(proxyName);
    let context;
    try {
      context = await slot.browser.newContext({
        viewport: this.#viewport,
        serviceWorkers: 'block',
        acceptDownloads: false,
        ignoreHTTPSErrors: false,
        ...(egressRoute === undefined ? {} : { proxy: { server: egressRoute.url } }),
        ...(this.#userAgent === undefined ? {} : { userAgent: this.#userAgent }),
      });
    } catch (error) {
      await egressRoute?.close();
      throw error;
    }
    if (egressRoute) context.once('close', () => void egressRoute.close());
    this.#onCreated();
    const decisions = new Map<string, Promise<boolean>>();
    await context.addInitScript({ content: DISABLE_WEBRTC });
    await context.route('**/*', (route) => this.#guard.handle(route, decisions));
    const contextSlot: ContextSlot = {
      key,
      context,
      pagesStarted: 0,
      inFlight: 0,
      isRetiring: false,
      idleTimer: undefined,
      closing: undefined,
      // Also when the browser crashed and `context.close()` has nothing left to close.
      onClosed: egressRoute === undefined ? undefined : () => egressRoute.close(),
    };
    const previous = slot.contexts.get(key);
    if (previous) previous.isRetiring = true;
    slot.contexts.set(key, contextSlot);
    return contextSlot;
  }

  /** After a page of `contextSlot`: retire it after enough pages, close it now or once idle. */
  afterPage(slot: BrowserSlot, contextSlot: ContextSlot): void {
    if (contextSlot.pagesStarted >= this.#contextRecycleAfterPages) contextSlot.isRetiring = true;
    if (contextSlot.inFlight > 0) return;
    if (contextSlot.isRetiring || slot.isRetiring || slot.isDisconnected) {
      void closeContext(slot, contextSlot);
      return;
    }
    clearTimeout(contextSlot.idleTimer);
    contextSlot.idleTimer = setTimeout(() => void closeContext(slot, contextSlot), this.#contextIdleMs);
    contextSlot.idleTimer.unref();
  }
}
