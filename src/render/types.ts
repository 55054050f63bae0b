/** How a job treats pages that need JavaScript (the `render` job option). */
export type RenderMode = 'never' | 'always' | 'auto';
/** Whether a rendered page is photographed (the `screenshot` job option). */
export type ScreenshotMode = 'none' | 'viewport' | 'fullPage';
/** Which path made a document: the plain HTTP body, or the DOM after scripts ran in a browser. */
export type RenderPath = 'plain' | 'rendered';

/** Every `render` mode, for schemas and config. */
export const RENDER_MODES = ['never', 'always', 'auto'] as const satisfies readonly RenderMode[];
/** Every `screenshot` mode, for schemas. */
export const SCREENSHOT_MODES = ['none', 'viewport', 'fullPage'] as const satisfies readonly ScreenshotMode[];

/** A response the page is built from instead of a second request (the plain fetch's answer). */
export interface PrefetchedDocument {
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** The body, already decompressed. */
  body: Uint8Array;
}

/** One page to render. */
export interface RenderRequest {
  /** The page's URL (the plain fetch's final URL when `document` is given). */
  url: string;
  /**
   * Serve the top-level navigation from these bytes rather than fetching it again: robots.txt, the
   * guard, redirects and size caps were already applied to them by the plain fetcher.
   */
  document?: PrefetchedDocument;
  /** Everything (navigation, waiting, screenshot) ends by then, in milliseconds. */
  timeoutMs: number;
  screenshot?: ScreenshotMode;
  /** Groups pages into one browser context (the job id): cookies never cross jobs. */
  contextKey?: string;
  /**
   * The proxy (by name, one of the pool's `proxies`) the item's fetch went through: the page's
   * requests go through it too, after the guard. Unset: directly.
   */
  proxy?: string;
  signal?: AbortSignal;
}

/** What waiting for the content ended on. */
export type SettledBy = 'network-idle' | 'content-stable' | 'deadline';

/** A rendered page. */
export interface RenderResult {
  /** The page's URL after client-side redirects. */
  url: string;
  /** `document.documentElement.outerHTML` after scripts ran. */
  html: string;
  /** HTTP status of the main document, when the browser saw one. */
  status: number | null;
  /** PNG bytes when a screenshot was asked for. */
  screenshot: Uint8Array | null;
  /** Requests refused: blocked resource types plus addresses the guard refused. */
  blockedRequests: number;
  /** Requests the guard refused (a subset of `blockedRequests`). */
  guardBlockedRequests: number;
  settledBy: SettledBy;
  elapsedMs: number;
}

/** Renders pages in a real browser (the port process-item uses; `BrowserPool` implements it). */
export interface Renderer {
  render(request: RenderRequest): Promise<RenderResult>;
}

/** Where screenshots are kept, tied to the document fetch they belong to. */
export interface ScreenshotStore {
  /** Stores the PNG of the document of `url` fetched at `fetchedAt` (replacing an older one). */
  /** `key`: the item's document key (`ClaimedItem.urlKey`); derived from the URL when absent. */
  saveScreenshot(
    url: string,
    screenshot: { fetchedAt: number; png: Uint8Array },
    key?: string,
  ): Promise<void>;
}
