import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { normalizeUrl, type CrawlSettings } from '../jobs/index.js';
import { compilePattern, InvalidPatternError, type UrlPattern } from './url-pattern.js';

/** Links one page adds to its crawl at most (the rest of a huge page is dropped). */
export const MAX_LINKS_PER_PAGE = 500;
/** Links longer than this are not followed (and never meet a user pattern). */
const MAX_LINK_LENGTH = 2048;
/**
 * Longest run of matching between two yields to the event loop, in milliseconds. RE2 matching is
 * linear, but 50 patterns over the 5,000 links of a sitemap is still real work: it is done in
 * slices so that leases, heartbeats and the API keep running meanwhile.
 */
const SLICE_MS = 10;

function compileOr(pattern: string, fallback: boolean): UrlPattern {
  try {
    return compilePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidPatternError) return { matches: () => fallback };
    throw error;
  }
}

function siteOf(url: URL): string {
  return url.host.replace(/^www\./, '');
}

/**
 * The links of a crawl: which URLs it follows. `select` normalises the page's links (fragments
 * dropped, http(s) only), keeps those within the scope (same site when asked, an include pattern
 * when there are any, no exclude pattern), dedupes them, and keeps at most `max`.
 */
export class CrawlScope {
  readonly #site: string;
  readonly #sameSite: boolean;
  readonly #include: UrlPattern[];
  readonly #exclude: UrlPattern[];

  constructor(settings: Pick<CrawlSettings, 'url' | 'sameSite' | 'include' | 'exclude'>) {
    this.#site = siteOf(new URL(settings.url));
    this.#sameSite = settings.sameSite;
    // Patterns were checked when the crawl was submitted; one stored before RE2 (a lookahead, say)
    // no longer compiles. It then keeps the crawl narrow rather than failing its pages: such an
    // include pattern matches nothing, such an exclude pattern everything.
    this.#include = settings.include.map((pattern) => compileOr(pattern, false));
    this.#exclude = settings.exclude.map((pattern) => compileOr(pattern, true));
  }

  /** Is this normalised URL in the crawl's scope? */
  accepts(url: URL): boolean {
    if (url.href.length > MAX_LINK_LENGTH) return false;
    if (this.#sameSite && siteOf(url) !== this.#site) return false;
    if (this.#include.length > 0 && !this.#include.some((p) => p.matches(url))) return false;
    return !this.#exclude.some((p) => p.matches(url));
  }

  /**
   * The links to follow, normalised, in their order, at most `max`. Yields to the event loop every
   * `SLICE_MS` of matching; `signal` stops it between slices (rejecting with the signal's reason).
   */
  async select(
    links: Iterable<string>,
    max = MAX_LINKS_PER_PAGE,
    options: { signal?: AbortSignal } = {},
  ): Promise<string[]> {
    const selected = new Set<string>();
    let sliceStartedAt = performance.now();
    for (const link of links) {
      if (selected.size >= max) break;
      if (performance.now() - sliceStartedAt >= SLICE_MS) {
        await yieldToEventLoop();
        options.signal?.throwIfAborted();
        sliceStartedAt = performance.now();
      }
      if (link.length > MAX_LINK_LENGTH) continue;
      const normalized = normalizeUrl(link);
      if (!normalized.ok || selected.has(normalized.url)) continue;
      if (this.accepts(new URL(normalized.url))) selected.add(normalized.url);
    }
    return [...selected];
  }
}
