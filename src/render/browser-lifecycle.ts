/**
 * The life of one Chromium: launching it behind the egress proxy, the slots the pool keeps for a
 * browser and its contexts, and closing them (a browser that will not close is killed). The pool
 * (browser-pool.ts) decides when; this file does it.
 */
import type { Browser, BrowserContext } from 'playwright-core';
import { randomUUID } from 'node:crypto';
import { toError, type DistillError, type Logger } from '../lib/index.js';
import { RenderFailedError, RenderUnavailableError } from './errors.js';
import { findDescendantByMarker } from './process-tree.js';

/** Chromium's switches: headless, no GPU, no background traffic, no QUIC (it would skip the proxy). */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
  // WebRTC may only use the proxy (TCP), never UDP to an address of its own choosing.
  '--force-webrtc-ip-handling-policy=disable_non_proxied_udp',
  '--webrtc-ip-handling-policy=disable_non_proxied_udp',
];

/** Default Chromium: Debian's package. */
export const DEFAULT_CHROMIUM_PATH = '/usr/bin/chromium';

/** One browser context: the pages of one job. */
export interface ContextSlot {
  key: string;
  context: BrowserContext;
  pagesStarted: number;
  inFlight: number;
  isRetiring: boolean;
  idleTimer: NodeJS.Timeout | undefined;
  closing: Promise<void> | undefined;
  /** Runs once the context is closed, or its browser gone (the egress proxy's route of the context). */
  onClosed?: (() => Promise<void>) | undefined;
}

/** One launched browser and its contexts. */
export interface BrowserSlot {
  id: string;
  browser: Browser;
  pid: number | undefined;
  pagesStarted: number;
  inFlight: number;
  isRetiring: boolean;
  isDisconnected: boolean;
  contexts: Map<string, ContextSlot>;
  /** Contexts being created, so that two pages of a job do not create two. */
  pendingContexts: Map<string, Promise<ContextSlot>>;
  closing: Promise<void> | undefined;
}

/** How to launch one browser. */
export interface LaunchOptions {
  executablePath: string;
  launchTimeoutMs: number;
  /** The egress proxy every request of the browser goes through. */
  proxyUrl: string;
  extraArgs: readonly string[];
  /** The page that asked for the browser, for error messages. */
  url: string;
}

/** Launches Chromium behind the proxy; the slot's `pid` is found by a marker switch on its command line. */
export async function launchBrowser(options: LaunchOptions): Promise<BrowserSlot> {
  const id = randomUUID();
  const marker = `--distill-browser=${id}`;
  // Loaded on first use: processes that never render never load playwright-core.
  const { chromium } = await import('playwright-core');
  const browser: Browser = await chromium.launch({
    executablePath: options.executablePath,
    headless: true,
    chromiumSandbox: false,
    timeout: options.launchTimeoutMs,
    // The process owner (app/) handles signals and stops the pool in order.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      ...CHROMIUM_ARGS,
      `--proxy-server=${options.proxyUrl}`,
      // Without this Chromium sends loopback requests directly, around the proxy.
      '--proxy-bypass-list=<-loopback>',
      marker,
      ...options.extraArgs,
    ],
  });
  return {
    id,
    browser,
    pid: await findDescendantByMarker(process.pid, marker).catch(() => undefined),
    pagesStarted: 0,
    inFlight: 0,
    isRetiring: false,
    isDisconnected: false,
    contexts: new Map(),
    pendingContexts: new Map(),
    closing: undefined,
  };
}

/** A failed launch as the render's error: unavailable when there is no Chromium to launch, else failed. */
export function launchErrorOf(error: unknown, url: string, executablePath: string): DistillError {
  const message = toError(error).message.split('\n')[0] ?? 'unknown error';
  return /ENOENT|doesn't exist|no such file|Failed to launch/i.test(message)
    ? new RenderUnavailableError(`Chromium could not be launched from ${executablePath}: ${message}`, {
        cause: error,
      })
    : new RenderFailedError(url, `Chromium could not be launched: ${message}`, { cause: error });
}

/** Closes a context once (a second call returns the first close) and removes it from its browser. */
export function closeContext(slot: BrowserSlot, contextSlot: ContextSlot): Promise<void> {
  clearTimeout(contextSlot.idleTimer);
  contextSlot.idleTimer = undefined;
  contextSlot.closing ??= (async () => {
    if (slot.contexts.get(contextSlot.key) === contextSlot) slot.contexts.delete(contextSlot.key);
    await contextSlot.context.close().catch(() => undefined);
    await contextSlot.onClosed?.().catch(() => undefined);
  })();
  return contextSlot.closing;
}

/**
 * Closes a browser and its contexts once (a second call returns the first close); kills its
 * processes when it does not close within 10 s. `onClosed` runs when it is gone.
 */
export function closeBrowser(slot: BrowserSlot, log: Logger, onClosed: () => void): Promise<void> {
  slot.closing ??= (async () => {
    slot.isRetiring = true;
    await Promise.all([...slot.contexts.values()].map((c) => closeContext(slot, c)));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 10_000);
    });
    const outcome = await Promise.race([
      slot.browser.close().then(
        () => 'closed' as const,
        () => 'closed' as const,
      ),
      timedOut,
    ]);
    clearTimeout(timer);
    if (outcome === 'timeout' && slot.pid !== undefined) {
      log.warn({ browser: slot.id, pid: slot.pid }, 'Chromium did not close; killing it');
      try {
        process.kill(slot.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    onClosed();
  })();
  return slot.closing;
}
