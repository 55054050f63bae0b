import { normalizeUrl, type CrawlSettings } from '../jobs/index.js';

/** Links one page adds to its crawl at most (the rest of a huge page is dropped). */
export const MAX_LINKS_PER_PAGE = 500;
/** Patterns per list, and characters per pattern: user regexes run on every link, so both are small. */
export const MAX_PATTERNS = 50;
export const MAX_PATTERN_LENGTH = 500;
/** Links longer than this are not followed (and never meet a user regex). */
const MAX_LINK_LENGTH = 2048;

/** A URL pattern of a crawl that does not compile. */
export class InvalidPatternError extends TypeError {
  readonly pattern: string;
  /** Which list the pattern is in, when known. */
  readonly field: 'include' | 'exclude' | undefined;
  constructor(pattern: string, reason: string, field?: 'include' | 'exclude') {
    super(`The pattern ${JSON.stringify(pattern.slice(0, 100))} is invalid: ${reason}`);
    this.pattern = pattern;
    this.field = field;
  }
}

/** A compiled include/exclude pattern. */
export interface UrlPattern {
  matches(url: URL): boolean;
}

/**
 * Compiles one pattern: `/source/flags` is a regular expression tested against the whole URL;
 * anything else is a glob, where `**` matches anything, `*` anything but `/`, and `?` one
 * character but `/`. A glob that starts with `/` is matched against the path and query
 * (`/blog/**`), any other against the whole URL (`https://example.com/docs/*`). A pattern both
 * starting and ending with `/` (flags aside) is a regex: write a folder glob as `/blog/*` or `/blog/**`.
 */
export function compilePattern(pattern: string): UrlPattern {
  if (pattern.length === 0 || pattern.length > MAX_PATTERN_LENGTH) {
    throw new InvalidPatternError(pattern, `expected 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  const regex = /^\/(.+)\/([imsu]*)$/s.exec(pattern);
  if (regex && !pattern.startsWith('//')) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex[1]!, regex[2]);
    } catch (error) {
      throw new InvalidPatternError(pattern, error instanceof Error ? error.message : String(error));
    }
    return { matches: (url) => compiled.test(url.href) };
  }
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  const compiled = new RegExp(`^${source}$`);
  const isPathGlob = pattern.startsWith('/');
  return { matches: (url) => compiled.test(isPathGlob ? `${url.pathname}${url.search}` : url.href) };
}

/** Throws `InvalidPatternError` for the first pattern of `patterns` (the list `field`) that does not compile. */
export function checkPatterns(patterns: readonly string[], field?: 'include' | 'exclude'): void {
  if (patterns.length > MAX_PATTERNS) throw new InvalidPatternError(patterns[MAX_PATTERNS]!, `at most ${MAX_PATTERNS} patterns are allowed`, field);
  for (const pattern of patterns) {
    try {
      compilePattern(pattern);
    } catch (error) {
      if (error instanceof InvalidPatternError) throw new InvalidPatternError(pattern, error.message, field);
      throw error;
    }
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
    this.#include = settings.include.map(compilePattern);
    this.#exclude = settings.exclude.map(compilePattern);
  }

  /** Is this normalised URL in the crawl's scope? */
  accepts(url: URL): boolean {
    if (url.href.length > MAX_LINK_LENGTH) return false;
    if (this.#sameSite && siteOf(url) !== this.#site) return false;
    if (this.#include.length > 0 && !this.#include.some((p) => p.matches(url))) return false;
    return !this.#exclude.some((p) => p.matches(url));
  }

  /** The links to follow, normalised, in their order, at most `max`. */
  select(links: Iterable<string>, max = MAX_LINKS_PER_PAGE): string[] {
    const selected = new Set<string>();
    for (const link of links) {
      if (selected.size >= max) break;
      if (link.length > MAX_LINK_LENGTH) continue;
      const normalized = normalizeUrl(link);
      if (!normalized.ok || selected.has(normalized.url)) continue;
      if (this.accepts(new URL(normalized.url))) selected.add(normalized.url);
    }
    return [...selected];
  }
}
