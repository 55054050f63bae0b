import type { Config } from '../config/index.js';
import { parseAllowList, parseProxyPools, proxiesOf } from '../fetch/index.js';
import type { Logger } from '../lib/index.js';
import { BrowserPool } from '../render/index.js';
import { dnsLookupOf } from './build-fetch.js';
import type { Component } from './lifecycle.js';
import type { Part } from './roles.js';

/** The browser pool of a role that renders, and how it starts. */
export interface Rendering {
  renderer: BrowserPool;
  component: Component;
}

/**
 * The browser pool, for roles that render (`browser`: launched on the first page that needs it;
 * `browser-at-start`: a dedicated render worker launches it at start, so that a missing Chromium
 * shows at once). API and plain worker processes never host a browser: undefined.
 */
export function buildRender(config: Config, parts: ReadonlySet<Part>, logger: Logger): Rendering | undefined {
  const launchesAtStart = parts.has('browser-at-start');
  if (!launchesAtStart && !parts.has('browser')) return undefined;
  const renderer = new BrowserPool({
    executablePath: config.chromiumPath,
    maxPages: config.renderPages,
    recycleAfterPages: config.renderRecycleAfter,
    maxRssBytes: config.renderMaxRssMb * 1024 * 1024,
    allow: parseAllowList(config.fetchAllow),
    lookup: dnsLookupOf(config),
    connectTimeoutMs: config.fetchConnectTimeoutMs,
    userAgent: config.userAgent,
    maxHtmlBytes: config.fetchMaxBytes,
    blockedResourceTypes: blockedResourceTypesOf(config.renderBlock),
    // The fetcher's proxies: a page renders through the proxy its item was fetched through.
    proxies: proxiesOf(parseProxyPools(config.proxyPools)),
    logger: logger.child({ component: 'browser-pool' }),
  });
  return {
    renderer,
    component: {
      name: 'browser pool',
      ...(launchesAtStart ? { start: () => renderer.start() } : {}),
      stop: () => renderer.stop(),
    },
  };
}

/** `DISTILL_RENDER_BLOCK` as a list: `image, media` → `['image', 'media']`; `none` → `[]`. */
export function blockedResourceTypesOf(renderBlock: string): string[] {
  if (renderBlock === 'none') return [];
  return renderBlock
    .split(',')
    .map((type) => type.trim())
    .filter((type) => type !== '');
}
