import { acquireHostSlot, type Fetcher, type HostLimiter } from '../fetch/index.js';
import type { ClaimedItem, CrawlSettings } from '../jobs/index.js';
import { toError, type Logger } from '../lib/index.js';
import type { TaskFunction } from '../worker/index.js';
import { CrawlScope, MAX_LINKS_PER_PAGE } from './crawl-scope.js';
import { markdownLinks } from './site-map.js';
import { MAX_SITEMAP_URLS, parseSitemap } from './sitemap.js';

/** What the crawl hook needs to read a sitemap: the same fetcher and host limits as every page. */
export interface CrawlTaskDependencies {
  fetcher: Fetcher;
  hostLimiter: HostLimiter;
  /** Longest wait for the host's slot for the sitemap, in milliseconds. @default 10000 */
  sitemapMaxWaitMs?: number;
  logger?: Logger;
}

/** Scopes compiled per crawl job: a worker runs many pages of one crawl in a row. Bounded. */
const SCOPE_CACHE_SIZE = 100;

/**
 * Wraps the task of an item with the crawl hook: when an item of a crawl job succeeds, its
 * document's links (and, for the start page, the `<loc>`s of the origin's `/sitemap.xml`) that are
 * in the crawl's scope go into the outcome as `discovered`, at most `MAX_LINKS_PER_PAGE` of a page
 * (plus `MAX_SITEMAP_URLS` of the sitemap). Storage appends them to the job in the transaction
 * that ends the item (`recordAttempt`). Other jobs' items pass through untouched.
 */
export function withCrawlLinks(task: TaskFunction, deps: CrawlTaskDependencies): TaskFunction {
  const scopes = new Map<string, CrawlScope>();
  const scopeOf = (jobId: string, settings: CrawlSettings): CrawlScope => {
    let scope = scopes.get(jobId);
    if (!scope) {
      if (scopes.size >= SCOPE_CACHE_SIZE) scopes.delete(scopes.keys().next().value!);
      scope = new CrawlScope(settings);
      scopes.set(jobId, scope);
    }
    return scope;
  };
  return async (item, context) => {
    const outcome = await task(item, context);
    const crawl = item.options.crawl;
    if (!crawl || outcome.kind !== 'succeeded') return outcome;
    const scope = scopeOf(item.jobId, crawl);
    const discovered = await scope.select(outcome.document.links, MAX_LINKS_PER_PAGE, {
      signal: context.signal,
    });
    // The start page is the job's first item: the sitemap is read once per crawl, with it.
    if (item.seq === 0 && crawl.useSitemap && crawl.maxDepth > 0) {
      const seen = new Set(discovered);
      const fromSitemap = await scope.select(
        await readSitemap(item, deps, context.signal),
        MAX_SITEMAP_URLS,
        { signal: context.signal },
      );
      const fromLlmsTxt = await scope.select(
        await readLlmsTxt(item, deps, context.signal),
        MAX_LINKS_PER_PAGE,
        { signal: context.signal },
      );
      for (const url of [...fromSitemap, ...fromLlmsTxt]) {
        if (seen.has(url)) continue;
        seen.add(url);
        discovered.push(url);
      }
    }
    return discovered.length > 0 ? { ...outcome, discovered } : outcome;
  };
}

/** The `<loc>`s of the start page's `/sitemap.xml`; none when it is missing or cannot be read. */
function readSitemap(item: ClaimedItem, deps: CrawlTaskDependencies, signal: AbortSignal): Promise<string[]> {
  return readSiteFile('/sitemap.xml', (text) => parseSitemap(text), item, deps, signal);
}

/** The links of the start page's origin's `/llms.txt` (llmstxt.org); none when it is missing. */
function readLlmsTxt(item: ClaimedItem, deps: CrawlTaskDependencies, signal: AbortSignal): Promise<string[]> {
  return readSiteFile(
    '/llms.txt',
    (text, finalUrl) => markdownLinks(text, finalUrl).map((link) => link.url),
    item,
    deps,
    signal,
  );
}

/** One file at the start page's origin, parsed; none when it is missing or cannot be read. */
async function readSiteFile(
  path: string,
  parse: (text: string, finalUrl: string) => string[],
  item: ClaimedItem,
  deps: CrawlTaskDependencies,
  signal: AbortSignal,
): Promise<string[]> {
  const url = new URL(path, item.url);
  try {
    const slot = await acquireHostSlot(deps.hostLimiter, url.host, {
      maxWaitMs: deps.sitemapMaxWaitMs ?? 10_000,
      signal,
    });
    try {
      const response = await deps.fetcher.fetch(url.href, { signal, timeoutMs: item.options.timeoutMs });
      return parse(
        Buffer.from(response.body.buffer, response.body.byteOffset, response.body.byteLength).toString(
          'utf8',
        ),
        response.finalUrl,
      );
    } finally {
      await slot.release();
    }
  } catch (error) {
    if (signal.aborted) throw error;
    // No such file (404), robots.txt forbids it, or it failed: the crawl follows links only.
    deps.logger?.debug(
      { err: toError(error), url: url.href, jobId: item.jobId },
      `No ${path} for this crawl`,
    );
    return [];
  }
}
