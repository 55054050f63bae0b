// The options, counters and defaults of `BrowserPool` (browser-pool.ts), kept apart from its logic.
import { availableParallelism, totalmem } from 'node:os';
import type { AllowList, LookupFunction, ProxySpec } from '../fetch/index.js';
import type { Logger } from '../lib/index.js';
import type { EgressProxyStats } from './egress-proxy.js';
import type { SettleOptions } from './render-page.js';

/** Resource types not loaded unless configured otherwise: they cost time and never hold text. */
export const DEFAULT_BLOCKED_RESOURCE_TYPES: readonly string[] = ['image', 'media', 'font'];

/** Roughly what one page in flight costs a browser, for the default number of pages. */
const BYTES_PER_PAGE_ESTIMATE = 512 * 1024 * 1024;

/** Pages in flight by default: min(4, 2 × cores, total memory / 512 MiB), at least 1. */
export function defaultRenderPages(cores = availableParallelism(), memoryBytes = totalmem()): number {
  return Math.max(1, Math.min(4, cores * 2, Math.floor(memoryBytes / BYTES_PER_PAGE_ESTIMATE)));
}

/** Options of `BrowserPool`. */
export interface BrowserPoolOptions {
  /** Chromium binary. @default '/usr/bin/chromium' */
  executablePath?: string;
  /** Pages rendered at once. @default defaultRenderPages() */
  maxPages?: number;
  /** Pages a browser renders before it is replaced. @default 100 */
  recycleAfterPages?: number;
  /**
   * Memory of a browser's processes above which it is replaced, in bytes: their summed PSS from
   * /proc (shared pages split between processes), or RSS where PSS is not available. @default 1.5 GiB
   */
  maxRssBytes?: number;
  /** Pages a context (one job's) serves before it is replaced. @default 20 */
  contextRecycleAfterPages?: number;
  /** A context with no page open is closed after this long, in milliseconds. @default 2000 */
  contextIdleMs?: number;
  /** How many pages between two RSS readings of a browser. @default 5 */
  memoryCheckEveryPages?: number;
  /** The guard's allow list, as for plain fetches. @default none */
  allow?: AllowList;
  /** Resolver of the guard (request routing and egress proxy); tests inject one. */
  lookup?: LookupFunction;
  /** Limit of a lookup and of each upstream connect of the proxy, in milliseconds. @default 10000 */
  connectTimeoutMs?: number;
  /** User-Agent of the pages; Chromium's own when unset. */
  userAgent?: string;
  /** Playwright resource types aborted for every page. @default ['image','media','font'] */
  blockedResourceTypes?: readonly string[];
  /** Longest wait for Chromium to start, in milliseconds. @default 30000 */
  launchTimeoutMs?: number;
  /** After a failed launch, renders fail fast for this long instead of launching again, in milliseconds. @default 30000 */
  launchRetryMs?: number;
  /** Largest rendered DOM kept, in bytes (the fetcher's body cap). @default 10 MiB */
  maxHtmlBytes?: number;
  /** Viewport of every page, in CSS pixels. @default 1280×800 */
  viewport?: { width: number; height: number };
  /** Full-page screenshots are cut at this height, in CSS pixels. @default 8000 */
  maxScreenshotHeight?: number;
  settle?: Partial<SettleOptions>;
  /** More Chromium switches. */
  extraArgs?: readonly string[];
  /** Proxies a render may go through (`RenderRequest.proxy` names one): the fetcher's. @default none */
  proxies?: readonly ProxySpec[];
  logger?: Logger;
}

/** Counters since the pool was created. */
export interface BrowserPoolStats {
  launches: number;
  crashes: number;
  /** Browsers replaced for their page count or memory. */
  recycles: number;
  contextsCreated: number;
  pagesRendered: number;
  inFlight: number;
  /** Renders waiting for a page. */
  waiting: number;
  openBrowsers: number;
  openContexts: number;
  proxy: EgressProxyStats | null;
}
