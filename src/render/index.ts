/** Rendering pages that need JavaScript: the browser pool, its egress proxy, and the `auto` rule. */
export {
  judgeAppShell,
  looksLikeAppShell,
  visibleTextLength,
  SHELL_MAX_TEXT_CHARS,
  type AppShellVerdict,
  type ExtractedSummary,
} from './app-shell.js';
export {
  BrowserPool,
  DEFAULT_BLOCKED_RESOURCE_TYPES,
  defaultRenderPages,
  type BrowserPoolOptions,
  type BrowserPoolStats,
} from './browser-pool.js';
export { CHROMIUM_ARGS, DEFAULT_CHROMIUM_PATH } from './browser-lifecycle.js';
export { RequestGuard, type GuardDecisions, type RequestGuardOptions } from './request-guard.js';
export {
  EgressProxy,
  MAX_ROUTES,
  type EgressProxyOptions,
  type EgressProxyStats,
  type EgressRoute,
} from './egress-proxy.js';
export { RENDER_ERROR_CODES, RenderFailedError, RenderUnavailableError } from './errors.js';
export { processTreeUsage, usageOfMarkedProcesses, type ProcessTreeUsage } from './process-tree.js';
export { DEFAULT_SETTLE, type SettleOptions } from './render-page.js';
export {
  RENDER_MODES,
  SCREENSHOT_MODES,
  type PrefetchedDocument,
  type Renderer,
  type RenderMode,
  type RenderPath,
  type RenderRequest,
  type RenderResult,
  type ScreenshotMode,
  type ScreenshotStore,
  type SettledBy,
} from './types.js';
