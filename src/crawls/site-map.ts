import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { Parser } from 'htmlparser2';
import { acquireHostSlot, type Fetcher, type HostLimiter } from '../fetch/index.js';
import { normalizeUrl } from '../jobs/index.js';
import { toError } from '../lib/index.js';
import { hasEntityDeclarations, MAX_SITEMAP_CHARS, readSitemapDocument } from './sitemap.js';
import { checkPatterns, compilePattern, type UrlPattern } from './url-pattern.js';

/** Most URLs one map answers. */
export const MAX_MAP_LIMIT = 100_000;
/** URLs a map answers when the client sets no limit. */
export const DEFAULT_MAP_LIMIT = 5000;
/** Sitemap files (indexes included) read per map, whatever the indexes name: 100,000 nested indexes end here. */
export const MAX_SITEMAP_FILES = 200;
/** Levels of sitemap indexes followed below robots.txt's sitemaps (sitemaps.org allows one; sites use two or three). */
export const MAX_SITEMAP_DEPTH = 4;
/** Bytes a gzipped sitemap may inflate to: the bound of a gzip bomb. Also the characters the scan reads. */
export const MAX_SITEMAP_INFLATED_BYTES = MAX_SITEMAP_CHARS;
/** `<loc>`s read from one sitemap file (sitemaps.org allows 50,000). */
export const MAX_LOCS_PER_SITEMAP = 50_000;
/** Pages beyond the home page whose links a map reads (links of the home page first). */
export const DEFAULT_MAP_PAGES_BEYOND = 10;
/** `Sitemap:` lines of robots.txt used. */
const MAX_ROBOTS_SITEMAPS = 50;
/** Links read from one HTML page or llms.txt. */
const MAX_LINKS_PER_PAGE = 5000;
/** Warnings kept in a map's answer. */
const MAX_WARNINGS = 50;
/** Inflation off the event loop (zlib's thread pool), bounded by `maxOutputLength`. */
const gunzipAsync = promisify(gunzip);
/** Sitemap files fetched at once. */
const SITEMAP_CONCURRENCY = 4;

/** Where a URL of a map was found. */
export type MapSource = 'page' | 'sitemap' | 'llms.txt' | 'links';

/** One URL of a map. */
export interface MapLink {
  url: string;
  source: MapSource;
  /** The link's text, for links read from a page or llms.txt. */
  title?: string;
}

/** Something a map could not read, kept in its answer; the rest of the map is kept. */
export interface MapWarning {
  url: string;
  /** `too_large`, `sitemap_depth`, `sitemap_limit`, `xml_entities`, `decompression_limit`, or a fetch error code. */
  code: string;
  message: string;
}

/** What a map is asked for. */
export interface MapRequest {
  url: string;
  /** Only URLs containing this text (case-insensitive); several words: every one. */
  search?: string | undefined;
  /** URL patterns (as a crawl's: `/regex/flags` or a glob) a URL must match one of. */
  include?: readonly string[] | undefined;
  /** URL patterns that rule a URL out. */
  exclude?: readonly string[] | undefined;
  /** Keep URLs of subdomains of the start host too. @default false */
  includeSubdomains?: boolean | undefined;
  /** Keep only URLs of the start host (a leading `www.` ignored; with subdomains). @default true */
  sameHost?: boolean | undefined;
  /** `include` sitemaps and links, `skip` sitemaps, `only` sitemaps. @default 'include' */
  sitemap?: 'include' | 'skip' | 'only' | undefined;
  /** Drop the query of every URL (and the duplicates that makes). @default false */
  ignoreQueryParameters?: boolean | undefined;
  /** Most URLs answered. @default DEFAULT_MAP_LIMIT */
  limit?: number | undefined;
  /** Pages beyond the home page whose links are read. @default DEFAULT_MAP_PAGES_BEYOND */
  pagesBeyond?: number | undefined;
  /** Time for the whole map; what was found by then is answered. */
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** A site's URLs. */
export interface MapResult {
  url: string;
  links: MapLink[];
  warnings: MapWarning[];
  /** Files read per kind, for the curious and the tests. */
  read: { sitemaps: number; pages: number; llmsTxt: boolean };
  /** True when the time ran out before every source was read. */
  isPartial: boolean;
}

/** What `SiteMapper` fetches with: the fetcher (guard, robots, caps) and host limits of every page. */
export interface SiteMapperDependencies {
  fetcher: Fetcher;
  hostLimiter: HostLimiter;
  /** Default time of a map, in milliseconds. @default 30000 */
  timeoutMs?: number;
}

/**
 * Lists a site's URLs without extracting anything: robots.txt's sitemaps (and `/sitemap.xml`),
 * sitemap indexes (gzip too) to a bounded depth and number of files, `/llms.txt`, the links of the
 * home page and of a bounded number of pages beyond. Every read is bounded: the fetcher's body cap,
 * an inflation cap on gzip, `MAX_SITEMAP_FILES`, `MAX_SITEMAP_DEPTH`, a visited set (an index that
 * names itself is read once), entity declarations refused; what fails becomes a warning and the
 * rest of the map is kept.
 */
export class SiteMapper {
  readonly #deps: SiteMapperDependencies;

  constructor(deps: SiteMapperDependencies) {
    this.#deps = deps;
  }

  /** Checks a request's filters; throws a `TypeError` naming the field (`include`, `exclude`, `limit`). */
  check(request: Pick<MapRequest, 'include' | 'exclude' | 'limit'>): void {
    checkPatterns(request.include ?? [], 'include');
    checkPatterns(request.exclude ?? [], 'exclude');
    if (
      request.limit !== undefined &&
      (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_MAP_LIMIT)
    ) {
      throw Object.assign(
        new RangeError(
          `Expected \`limit\` to be an integer from 1 to ${MAX_MAP_LIMIT}, got ${request.limit}`,
        ),
        { field: 'limit' },
      );
    }
  }

  async map(request: MapRequest): Promise<MapResult> {
    this.check(request);
    const start = normalizeUrl(request.url);
    if (!start.ok) throw Object.assign(new TypeError(start.message), { field: 'url' });
    const timeout = AbortSignal.timeout(request.timeoutMs ?? this.#deps.timeoutMs ?? 30_000);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const run = new MapRun(this.#deps, request, new URL(start.url), signal);
    await run.run();
    return run.result();
  }
}

/** One map: its filters, what it found, what it warned about. */
class MapRun {
  readonly #deps: SiteMapperDependencies;
  readonly #request: MapRequest;
  readonly #start: URL;
  readonly #signal: AbortSignal;
  readonly #limit: number;
  readonly #links = new Map<string, MapLink>();
  readonly #warnings: MapWarning[] = [];
  readonly #include: UrlPattern[];
  readonly #exclude: UrlPattern[];
  readonly #searchWords: string[];
  readonly #read = { sitemaps: 0, pages: 0, llmsTxt: false };
  #isPartial = false;

  constructor(deps: SiteMapperDependencies, request: MapRequest, start: URL, signal: AbortSignal) {
    this.#deps = deps;
    this.#request = request;
    this.#start = start;
    this.#signal = signal;
    this.#limit = request.limit ?? DEFAULT_MAP_LIMIT;
    this.#include = (request.include ?? []).map(compilePattern);
    this.#exclude = (request.exclude ?? []).map(compilePattern);
    this.#searchWords = (request.search ?? '')
      .toLowerCase()
      .split(/\s+/)
      .filter((word) => word !== '');
  }

  get #isFull(): boolean {
    return this.#links.size >= this.#limit;
  }

  async run(): Promise<void> {
    const mode = this.#request.sitemap ?? 'include';
    try {
      this.#add(this.#start.href, 'page');
      let homeLinks: string[] = [];
      if (mode !== 'only') {
        homeLinks = await this.#readPage(this.#start.href);
      }
      if (mode !== 'skip' && !this.#isFull) await this.#readSitemaps();
      if (mode !== 'only' && !this.#isFull) await this.#readLlmsTxt();
      if (mode !== 'only' && !this.#isFull) {
        const beyond = homeLinks
          .filter((url) => this.#isInScope(url))
          .slice(0, this.#request.pagesBeyond ?? DEFAULT_MAP_PAGES_BEYOND);
        for (const url of beyond) {
          if (this.#isFull) break;
          await this.#readPage(url);
        }
      }
    } catch (error) {
      if (!this.#signal.aborted) throw error;
      this.#isPartial = true;
    }
  }

  result(): MapResult {
    return {
      url: this.#start.href,
      links: [...this.#links.values()],
      warnings: this.#warnings,
      read: this.#read,
      isPartial: this.#isPartial,
    };
  }

  /** Adds a URL found somewhere when it passes the filters; false when it did not. */
  #add(raw: string, source: MapSource, title?: string): boolean {
    if (this.#isFull) return false;
    const normalised = normalizeUrl(raw);
    if (!normalised.ok) return false;
    let url = normalised.url;
    if (this.#request.ignoreQueryParameters) {
      const parsed = new URL(url);
      parsed.search = '';
      url = parsed.href;
    }
    if (this.#links.has(url) || !this.#isInScope(url) || !this.#passesFilters(url)) return false;
    this.#links.set(url, title ? { url, source, title } : { url, source });
    return true;
  }

  #isInScope(url: string): boolean {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return false;
    }
    if (this.#request.sameHost === false) return true;
    const base = this.#start.hostname.replace(/^www\./, '');
    const bare = host.replace(/^www\./, '');
    return bare === base || (this.#request.includeSubdomains === true && bare.endsWith(`.${base}`));
  }

  #passesFilters(url: string): boolean {
    const parsed = new URL(url);
    if (this.#include.length > 0 && !this.#include.some((pattern) => pattern.matches(parsed))) return false;
    if (this.#exclude.some((pattern) => pattern.matches(parsed))) return false;
    const lower = url.toLowerCase();
    return this.#searchWords.every((word) => lower.includes(word));
  }

  #warn(url: string, code: string, message: string): void {
    if (this.#warnings.length < MAX_WARNINGS) this.#warnings.push({ url, code, message });
  }

  /** Fetches one URL under the host's limits; null (and a warning unless `isQuiet`) when it fails. */
  async #fetch(
    url: string,
    isQuiet = false,
  ): Promise<{ body: Uint8Array; contentType: string; finalUrl: string } | null> {
    this.#signal.throwIfAborted();
    const host = new URL(url).host;
    try {
      const slot = await acquireHostSlot(this.#deps.hostLimiter, host, {
        maxWaitMs: 10_000,
        signal: this.#signal,
      });
      try {
        const response = await this.#deps.fetcher.fetch(url, { signal: this.#signal });
        return {
          body: response.body,
          contentType: (response.contentType ?? '').toLowerCase(),
          finalUrl: response.finalUrl,
        };
      } finally {
        await slot.release();
      }
    } catch (error) {
      if (this.#signal.aborted) throw error;
      const failure = toError(error) as Error & { code?: unknown; httpStatus?: unknown };
      const code = typeof failure.code === 'string' ? failure.code : 'fetch_failed';
      if (!isQuiet || (code !== 'http_error' && code !== 'robots_disallowed'))
        this.#warn(url, code, failure.message);
      return null;
    }
  }

  /** The links of one page (added to the map); the in-scope ones are returned, to read pages beyond. */
  async #readPage(url: string): Promise<string[]> {
    const response = await this.#fetch(url);
    if (!response) return [];
    this.#read.pages += 1;
    const text = decodeUtf8(response.body);
    const found = response.contentType.includes('markdown')
      ? markdownLinks(text, response.finalUrl)
      : htmlLinks(text, response.finalUrl);
    const kept: string[] = [];
    for (const link of found) {
      if (this.#add(link.url, 'links', link.title)) kept.push(link.url);
    }
    return kept;
  }

  async #readLlmsTxt(): Promise<void> {
    const url = new URL('/llms.txt', this.#start).href;
    const response = await this.#fetch(url, true);
    if (!response) return;
    this.#read.llmsTxt = true;
    for (const link of markdownLinks(decodeUtf8(response.body), response.finalUrl))
      this.#add(link.url, 'llms.txt', link.title);
  }

  /** robots.txt's `Sitemap:` lines (else `/sitemap.xml`), then the indexes they name, breadth-first. */
  async #readSitemaps(): Promise<void> {
    const robots = await this.#fetch(new URL('/robots.txt', this.#start).href, true);
    const roots = robots ? robotsSitemaps(decodeUtf8(robots.body)) : [];
    if (roots.length === 0) roots.push(new URL('/sitemap.xml', this.#start).href);
    const visited = new Set<string>();
    let level: string[] = [];
    for (const root of roots) {
      if (!visited.has(root)) {
        visited.add(root);
        level.push(root);
      }
    }
    for (let depth = 0; level.length > 0 && !this.#isFull; depth++) {
      const next: string[] = [];
      for (let at = 0; at < level.length && !this.#isFull; at += SITEMAP_CONCURRENCY) {
        const batch = level.slice(at, at + SITEMAP_CONCURRENCY);
        const children = await Promise.all(batch.map((url) => this.#readSitemap(url)));
        for (const [index, child] of children.entries()) {
          for (const url of child) {
            if (visited.has(url)) continue;
            if (depth + 1 > MAX_SITEMAP_DEPTH) {
              this.#warn(
                batch[index]!,
                'sitemap_depth',
                `Sitemap indexes nested deeper than ${MAX_SITEMAP_DEPTH} levels are not followed`,
              );
              break;
            }
            if (visited.size >= MAX_SITEMAP_FILES) {
              this.#warn(
                url,
                'sitemap_limit',
                `A map reads at most ${MAX_SITEMAP_FILES} sitemap files; the rest are not read`,
              );
              break;
            }
            visited.add(url);
            next.push(url);
          }
        }
      }
      level = next;
    }
  }

  /** Reads one sitemap file: its pages go into the map; the sitemaps an index names are returned. */
  async #readSitemap(url: string): Promise<string[]> {
    const response = await this.#fetch(url);
    if (!response) return [];
    this.#read.sitemaps += 1;
    let bytes = response.body;
    if (isGzip(bytes)) {
      try {
        bytes = await gunzipAsync(bytes, { maxOutputLength: MAX_SITEMAP_INFLATED_BYTES });
      } catch (error) {
        const isBomb = (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
        this.#warn(
          url,
          isBomb ? 'decompression_limit' : 'decoding_error',
          isBomb
            ? `The gzipped sitemap inflates to more than ${MAX_SITEMAP_INFLATED_BYTES} bytes; it is not read`
            : `The gzipped sitemap is corrupt: ${toError(error).message}`,
        );
        return [];
      }
    }
    const xml = decodeUtf8(bytes);
    if (hasEntityDeclarations(xml)) {
      this.#warn(
        url,
        'xml_entities',
        'The sitemap declares XML entities; entity expansion is refused, so it is not read',
      );
      return [];
    }
    const document = readSitemapDocument(xml, MAX_LOCS_PER_SITEMAP);
    if (document.kind === 'index') {
      return document.locs.flatMap((loc) => {
        const normalised = normalizeUrl(loc);
        return normalised.ok ? [normalised.url] : [];
      });
    }
    for (const loc of document.locs) {
      if (this.#isFull) break;
      this.#add(loc, 'sitemap');
    }
    return [];
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The `Sitemap:` URLs of a robots.txt, at most `MAX_ROBOTS_SITEMAPS`. */
export function robotsSitemaps(robotsTxt: string): string[] {
  const urls: string[] = [];
  for (const match of robotsTxt.slice(0, 512 * 1024).matchAll(/^[ \t]*sitemap[ \t]*:[ \t]*(\S+)/gim)) {
    const normalised = normalizeUrl(match[1]!);
    if (normalised.ok) urls.push(normalised.url);
    if (urls.length >= MAX_ROBOTS_SITEMAPS) break;
  }
  return urls;
}

/** `[text](url)` links and bare URLs of a Markdown text (llms.txt), resolved against `base`. */
export function markdownLinks(markdown: string, base: string): Array<{ url: string; title?: string }> {
  const links: Array<{ url: string; title?: string }> = [];
  const text = markdown.slice(0, MAX_SITEMAP_CHARS);
  for (const match of text.matchAll(
    /\[([^\]\n]{0,300})\]\(\s*<?([^)\s>]{1,2048})>?(?:\s+"[^"\n]*")?\s*\)/g,
  )) {
    const url = resolve(match[2]!, base);
    if (url) links.push(match[1]!.trim() ? { url, title: match[1]!.trim() } : { url });
    if (links.length >= MAX_LINKS_PER_PAGE) return links;
  }
  for (const match of text.matchAll(
    /(?<![(<])\bhttps?:\/\/[^\s<>"'`()[\]{}]{1,2048}[^\s<>"'`()[\]{}.,;:!?]/gi,
  )) {
    links.push({ url: match[0] });
    if (links.length >= MAX_LINKS_PER_PAGE) break;
  }
  return links;
}

/**
 * The `<a href>` links of an HTML page with their text, resolved against `base` (or the page's
 * `<base href>`). htmlparser2's streaming parser, not the extractor: a map extracts nothing.
 */
export function htmlLinks(html: string, base: string): Array<{ url: string; title?: string }> {
  const links: Array<{ url: string; title?: string }> = [];
  let baseUrl = base;
  let current: { href: string; text: string } | null = null;
  const finish = (): void => {
    if (!current) return;
    const url = resolve(current.href, baseUrl);
    const title = current.text.replace(/\s+/g, ' ').trim().slice(0, 300);
    if (url && links.length < MAX_LINKS_PER_PAGE) links.push(title ? { url, title } : { url });
    current = null;
  };
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        if (name === 'base' && attributes.href) baseUrl = resolve(attributes.href, base) ?? base;
        if (name === 'a' && attributes.href !== undefined) {
          finish();
          current = { href: attributes.href, text: '' };
        }
      },
      ontext(text) {
        if (current && current.text.length < 300) current.text += text;
      },
      onclosetag(name) {
        if (name === 'a') finish();
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html.slice(0, MAX_SITEMAP_CHARS));
  parser.end();
  finish();
  return links;
}

function resolve(href: string, base: string): string | null {
  try {
    const url = new URL(href.trim(), base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    url.hash = '';
    return url.href;
  } catch {
    return null;
  }
}
