/**
 * Firecrawl request bodies (v1 and v2, as `@mendable/firecrawl-js` sends them) read into distill's
 * job, crawl and map inputs. Every member is handled by name: supported, mapped or refused; one
 * that Firecrawl does not have is a 400 naming it. See firecrawl-fields.ts for the formats.
 */
import type { FormatInput } from '../../../client/types.js';
import type { MapRequest } from '../../../crawls/index.js';
import type { JobOptionsInput } from '../../../jobs/index.js';
import type { CrawlInputView } from '../../services.js';
import {
  invalid,
  isUnset,
  objectOf,
  readBoolean,
  readFormats,
  readInteger,
  readString,
  readStrings,
  refuse,
  type RequestedFormats,
} from './firecrawl-fields.js';

/** Firecrawl's API version of a route. */
export type FirecrawlVersion = 'v1' | 'v2';

/** Scrape options read: distill's job options and what the answer shows. */
export interface ScrapeRequest {
  options: JobOptionsInput;
  formats: RequestedFormats;
  /** Firecrawl's `timeout` (ms), when set: also how long a scrape waits. */
  timeoutMs: number | undefined;
  /** Firecrawl's `headers`, in clear: the route seals them into `options` as the native API does. */
  headers: Record<string, string> | undefined;
  /** v1 `jsonOptions` (v2 has them in its `{type: "json"}` format). */
  jsonOptions?: { schema?: unknown; prompt?: unknown; systemPrompt?: unknown; field: string };
  /** Where `formats` was read (`formats`, `scrapeOptions.formats`): the field errors of json and summary name. */
  formatsField?: string;
  /**
   * distill's `json` and `summary` formats as the native API takes them, when asked for: the route
   * checks them (schema, sizes, a model configured) with the native API's own checks.
   */
  modelFormats: Array<Exclude<FormatInput, string> | 'summary'>;
}

/** Schema of a Firecrawl `json` format asked with a prompt only: any JSON object. */
const ANY_OBJECT_SCHEMA = { type: 'object' };

/** Shortest and longest fetch time limit distill takes (its `timeoutMs`). */
const MIN_FETCH_TIMEOUT_MS = 1000;
const MAX_FETCH_TIMEOUT_MS = 120_000;

/** Members any body may carry that are tags of the SDK, not requests: read and left unused. */
const SDK_TAGS = new Set(['origin', 'integration']);

type Reader = (value: unknown, field: string, into: ScrapeRequest) => void;

/** Refuses a field unless it is left unset (false, empty). */
const refusedUnlessUnset =
  (reason: string): Reader =>
  (value, field) => {
    if (!isUnset(value)) throw refuse(field, reason);
  };

/** Accepts a boolean field only at `expected` (what distill always does). */
const onlyBoolean =
  (expected: boolean, reason: string): Reader =>
  (value, field) => {
    if (readBoolean(value, field) !== expected) throw refuse(field, reason);
  };

/** The scrape options of Firecrawl: each one's reader. */
const SCRAPE_OPTIONS: Record<string, Reader> = {
  formats: (value, field, into) => {
    into.formats = readFormats(value, field);
    into.formatsField = field;
  },
  jsonOptions: (value, field, into) => {
    const object = objectOf(value, field);
    const options: NonNullable<ScrapeRequest['jsonOptions']> = { field };
    for (const [key, member] of Object.entries(object)) {
      if (key === 'schema' || key === 'prompt' || key === 'systemPrompt') options[key] = member;
      else if (key === 'checkPromptInjection') {
        if (!isUnset(member))
          throw refuse(`${field}.${key}`, 'distill does not screen prompts for injection');
      } else throw invalid(`${field}.${key}`, 'is not a member of jsonOptions');
    }
    into.jsonOptions = options;
  },
  onlyMainContent: onlyBoolean(
    true,
    'distill always extracts the main content of a page (onlyMainContent: true)',
  ),
  includeTags: refusedUnlessUnset(
    'distill selects the main content itself; CSS tag selection is not available',
  ),
  excludeTags: refusedUnlessUnset(
    'distill selects the main content itself; CSS tag selection is not available',
  ),
  headers: (value, field, into) => {
    const headers: Record<string, string> = {};
    for (const [name, member] of Object.entries(objectOf(value, field))) {
      // The value is never echoed: a header may hold a token.
      if (typeof member !== 'string') throw invalid(`${field}.${name}`, 'must be a string');
      headers[name] = member;
    }
    // Checked (forbidden names, sizes) and sealed by the route, as the native options.headers are.
    into.headers = Object.keys(headers).length > 0 ? headers : undefined;
  },
  timeout: (value, field, into) => {
    const timeoutMs = readInteger(value, field, MIN_FETCH_TIMEOUT_MS, 600_000);
    into.timeoutMs = timeoutMs;
    into.options.timeoutMs = Math.min(timeoutMs, MAX_FETCH_TIMEOUT_MS);
  },
  waitFor: (value, field) => {
    if (readInteger(value, field, 0, 60_000) !== 0)
      throw refuse(field, 'rendered pages are read once the page has loaded; a fixed wait is not available');
  },
  maxAge: (value, field, into) => {
    into.options.maxAgeSeconds = Math.floor(readInteger(value, field, 0, 365 * 24 * 3600 * 1000) / 1000);
  },
  storeInCache: onlyBoolean(
    true,
    'distill always stores the documents it fetches (they serve maxAge and change detection)',
  ),
  mobile: onlyBoolean(false, 'distill fetches and renders as a desktop browser only'),
  skipTlsVerification: onlyBoolean(
    false,
    'distill always verifies TLS certificates (a bad one fails the page with tls_error)',
  ),
  removeBase64Images: onlyBoolean(true, 'distill’s Markdown never carries base64 images'),
  blockAds: onlyBoolean(true, 'distill extracts without ads and trackers; it cannot keep them'),
  fastMode: refusedUnlessUnset('there is no fast mode; distill always fetches the page'),
  parsers: (value, field) => {
    if (!Array.isArray(value)) throw invalid(field, 'must be an array');
    const names = value.map((entry: unknown) =>
      typeof entry === 'object' && entry !== null ? (entry as { type?: unknown }).type : entry,
    );
    if (!names.every((name) => name === 'pdf') || names.length === 0)
      throw refuse(field, 'distill always parses PDFs (parsers: ["pdf"]) and has no other parser');
  },
  proxy: (value, field) => {
    if (value !== 'basic' && value !== 'auto')
      throw refuse(field, 'distill fetches through its own egress (proxy: "basic" or "auto")');
  },
  actions: refusedUnlessUnset('browser actions (click, type, scroll) are not available'),
  location: refusedUnlessUnset('distill has no per-request location or language'),
  minAge: refusedUnlessUnset('distill reuses documents by maxAge only'),
  useMock: refusedUnlessUnset('mocks are not available'),
  lockdown: refusedUnlessUnset('not available'),
  redactPII: refusedUnlessUnset('not available'),
  threatProtection: refusedUnlessUnset('not available'),
  auditMetadata: refusedUnlessUnset('not available'),
  profile: refusedUnlessUnset('browser profiles are not available'),
  domainTools: refusedUnlessUnset('not available'),
  toolDetail: refusedUnlessUnset('not available'),
  zeroDataRetention: refusedUnlessUnset(
    'distill stores every document it fetches (retention is set by the operator)',
  ),
};

/** A new scrape request with Firecrawl's defaults: Markdown only. */
function emptyScrape(): ScrapeRequest {
  return {
    options: {},
    formats: readFormats(undefined, 'formats'),
    timeoutMs: undefined,
    headers: undefined,
    modelFormats: [],
  };
}

/**
 * Firecrawl's `json` (v2 `{type: "json", schema, prompt}`, v1 `"json"` with `jsonOptions`) as
 * distill's json format: a prompt without a schema asks for any JSON object; v1's `systemPrompt`
 * goes before the prompt (distill's own instructions stay the system message).
 */
function jsonFormatOf(scrape: ScrapeRequest): Exclude<FormatInput, string> {
  const source = scrape.formats.json ?? scrape.jsonOptions;
  const field = scrape.formats.json?.field ?? scrape.jsonOptions?.field ?? scrape.formatsField ?? 'formats';
  const { schema, prompt } = source ?? {};
  const systemPrompt = scrape.formats.json ? undefined : scrape.jsonOptions?.systemPrompt;
  if (schema === undefined && prompt === undefined)
    throw invalid(field, 'needs a `schema` or a `prompt` for the json format');
  if (schema !== undefined && (typeof schema !== 'object' || schema === null || Array.isArray(schema)))
    throw invalid(`${field}.schema`, 'must be a JSON Schema object');
  for (const [name, text] of [
    ['prompt', prompt],
    ['systemPrompt', systemPrompt],
  ] as const) {
    if (text !== undefined && typeof text !== 'string') throw invalid(`${field}.${name}`, 'must be a string');
  }
  const joined = [systemPrompt, prompt]
    .filter((text): text is string => typeof text === 'string' && text !== '')
    .join('\n\n');
  return {
    type: 'json',
    schema: (schema as Record<string, unknown> | undefined) ?? ANY_OBJECT_SCHEMA,
    ...(joined !== '' ? { prompt: joined } : {}),
  };
}

/** Sets distill's formats and screenshot from what `formats` asked for. */
function finish(scrape: ScrapeRequest): ScrapeRequest {
  const { outputs } = scrape.formats;
  scrape.options.formats = [...outputs];
  if (scrape.formats.screenshot !== 'none') scrape.options.screenshot = scrape.formats.screenshot;
  if (scrape.jsonOptions && !outputs.has('json'))
    throw invalid(scrape.jsonOptions.field, 'is read only with "json" in formats');
  if (outputs.has('json')) scrape.modelFormats.push(jsonFormatOf(scrape));
  if (outputs.has('summary')) scrape.modelFormats.push('summary');
  return scrape;
}

/** Reads the members of `body`: scrape options, the route's own (`own`), SDK tags; anything else is a 400. */
function readMembers(
  body: Record<string, unknown>,
  prefix: string,
  own: Record<string, (value: unknown, field: string) => void>,
  scrape: ScrapeRequest | null,
): void {
  for (const [key, value] of Object.entries(body)) {
    const field = `${prefix}${key}`;
    if (value === undefined) continue;
    const ownReader = own[key];
    if (ownReader) ownReader(value, field);
    else if (scrape && SCRAPE_OPTIONS[key]) SCRAPE_OPTIONS[key](value, field, scrape);
    else if (SDK_TAGS.has(key)) readString(value, field, 200);
    else throw invalid(field, 'is not a field of this Firecrawl request');
  }
}

/** `POST /v{1,2}/scrape`. */
export function readScrapeBody(input: unknown): { url: string } & ScrapeRequest {
  const body = objectOf(input, 'body');
  const scrape = emptyScrape();
  let url: string | undefined;
  readMembers(body, '', { url: (value, field) => (url = readString(value, field)) }, scrape);
  if (url === undefined) throw invalid('url', 'is required');
  return { url, ...finish(scrape) };
}

/** Firecrawl's `webhook`: a URL, or `{url, headers, metadata, events}`. */
export interface FirecrawlWebhook {
  url: string;
}

/** Events distill's webhook sends; Firecrawl's `events` may only name all of them. */
const FIRECRAWL_WEBHOOK_EVENTS = ['started', 'page', 'completed', 'failed'];

export function readWebhook(value: unknown, field: string): FirecrawlWebhook {
  if (typeof value === 'string') return { url: readString(value, field, 2048) };
  const object = objectOf(value, field);
  let url: string | undefined;
  for (const [key, member] of Object.entries(object)) {
    const at = `${field}.${key}`;
    if (key === 'url') url = readString(member, at, 2048);
    else if (key === 'headers' || key === 'metadata') {
      if (!isUnset(member))
        throw refuse(at, 'distill signs its webhook calls itself and sends no custom headers or metadata');
    } else if (key === 'events') {
      const events = readStrings(member, at, 10);
      if (!FIRECRAWL_WEBHOOK_EVENTS.every((event) => events.includes(event))) {
        throw refuse(
          at,
          'distill sends every event of the job (job.created, document.extracted, item.failed, job.completed); a subset cannot be chosen',
        );
      }
    } else throw invalid(at, 'is not a member of a Firecrawl webhook');
  }
  if (url === undefined) throw invalid(`${field}.url`, 'is required');
  if (!/^https?:\/\//i.test(url)) throw invalid(`${field}.url`, 'must be an http(s) URL');
  return { url };
}

/** `POST /v{1,2}/batch/scrape`. */
export function readBatchBody(
  input: unknown,
  maxUrls: number,
): {
  urls: string[];
  ignoreInvalidURLs: boolean;
  webhook: FirecrawlWebhook | undefined;
} & ScrapeRequest {
  const body = objectOf(input, 'body');
  const scrape = emptyScrape();
  let urls: string[] | undefined;
  let ignoreInvalidURLs = false;
  let webhook: FirecrawlWebhook | undefined;
  readMembers(
    body,
    '',
    {
      urls: (value, field) => {
        urls = readStrings(value, field, maxUrls);
        if (urls.length === 0) throw invalid(field, 'must hold at least one URL');
      },
      ignoreInvalidURLs: (value, field) => (ignoreInvalidURLs = readBoolean(value, field)),
      webhook: (value, field) => (webhook = readWebhook(value, field)),
      appendToId: (_value, field) => {
        throw refuse(field, 'append URLs to a job with POST /v1/jobs/{id}/urls of the native API');
      },
      maxConcurrency: (_value, field) => {
        throw refuse(
          field,
          'concurrency is set per host by the operator (DISTILL_HOST_CONCURRENCY), not per job',
        );
      },
      // The v1 SDK nests options here; v2 flattens them.
      scrapeOptions: (value, field) => readMembers(objectOf(value, field), `${field}.`, {}, scrape),
    },
    scrape,
  );
  if (urls === undefined) throw invalid('urls', 'is required');
  return { urls, ignoreInvalidURLs, webhook, ...finish(scrape) };
}

/** A crawl read from Firecrawl's body. */
export interface CrawlRequest {
  crawl: CrawlInputView;
  scrape: ScrapeRequest;
  webhook: FirecrawlWebhook | undefined;
}

/** Characters of a path regex that make it a pattern rather than a literal prefix. */
const GLOB_SPECIALS = /[*?[\]{}\\]/;

/**
 * A Firecrawl path regex as a distill pattern: Firecrawl matches `includePaths`/`excludePaths`
 * against the URL's path (unless `regexOnFullURL`), distill matches `/regex/` against the whole
 * URL, so an anchored path regex gets the scheme and host in front.
 */
function pathRegexToPattern(regex: string, isOnFullUrl: boolean): string {
  if (isOnFullUrl || !regex.startsWith('^')) return `/${regex.replaceAll('/', '\\/')}/`;
  return `/^https?:\\/\\/[^\\/]+${regex.slice(1).replaceAll('/', '\\/')}/`;
}

/** `POST /v{1,2}/crawl`. */
export function readCrawlBody(input: unknown, version: FirecrawlVersion): CrawlRequest {
  const body = objectOf(input, 'body');
  const scrape = emptyScrape();
  let url: string | undefined;
  let includePaths: string[] = [];
  let excludePaths: string[] = [];
  let isOnFullUrl = false;
  let crawlEntireDomain = false;
  let allowExternalLinks = false;
  let sitemap: 'include' | 'skip' = 'include';
  let maxDepth: number | undefined;
  let limit: number | undefined;
  let webhook: FirecrawlWebhook | undefined;
  readMembers(
    body,
    '',
    {
      url: (value, field) => (url = readString(value, field)),
      includePaths: (value, field) => (includePaths = readStrings(value, field, 50)),
      excludePaths: (value, field) => (excludePaths = readStrings(value, field, 50)),
      regexOnFullURL: (value, field) => (isOnFullUrl = readBoolean(value, field)),
      maxDiscoveryDepth: (value, field) => (maxDepth = readInteger(value, field, 0, 100)),
      maxDepth: (value, field) => (maxDepth = readInteger(value, field, 0, 100)),
      limit: (value, field) => (limit = readInteger(value, field, 1, 10_000_000)),
      crawlEntireDomain: (value, field) => (crawlEntireDomain = readBoolean(value, field)),
      allowBackwardLinks: (value, field) => (crawlEntireDomain = readBoolean(value, field)),
      allowExternalLinks: (value, field) => (allowExternalLinks = readBoolean(value, field)),
      allowSubdomains: (value, field) => {
        if (readBoolean(value, field))
          throw refuse(field, 'a crawl follows the start host (or every host with allowExternalLinks)');
      },
      sitemap: (value, field) => {
        if (value === 'only')
          throw refuse(
            field,
            'a crawl reads the sitemap and links together; list sitemap URLs with map instead',
          );
        if (value !== 'include' && value !== 'skip')
          throw invalid(field, 'must be "include", "skip" or "only"');
        sitemap = value;
      },
      ignoreSitemap: (value, field) => (sitemap = readBoolean(value, field) ? 'skip' : 'include'),
      ignoreQueryParameters: (value, field) => {
        if (readBoolean(value, field))
          throw refuse(field, 'distill keeps query strings (URLs are normalised, not stripped)');
      },
      deduplicateSimilarURLs: (value, field) => {
        if (readBoolean(value, field)) throw refuse(field, 'distill collapses normalised duplicates only');
      },
      prompt: (_value, field) => {
        throw refuse(
          field,
          'crawl settings from a prompt need a language model, not available on this server yet',
        );
      },
      robotsUserAgent: (_value, field) => {
        throw refuse(field, 'distill reads robots.txt as its own user agent');
      },
      delay: (_value, field) => {
        throw refuse(field, 'politeness is set per host by the operator (DISTILL_HOST_RATE), not per crawl');
      },
      maxConcurrency: (_value, field) => {
        throw refuse(
          field,
          'concurrency is set per host by the operator (DISTILL_HOST_CONCURRENCY), not per crawl',
        );
      },
      zeroDataRetention: refusedUnlessUnsetOwn('distill stores every document it fetches'),
      webhook: (value, field) => (webhook = readWebhook(value, field)),
      scrapeOptions: (value, field) => readMembers(objectOf(value, field), `${field}.`, {}, scrape),
    },
    null,
  );
  if (url === undefined) throw invalid('url', 'is required');
  const include = includePaths.map((path) => pathRegexToPattern(path, isOnFullUrl));
  if (!crawlEntireDomain && include.length === 0) {
    // Firecrawl follows only the start path's descendants unless crawlEntireDomain.
    const path = safePath(url);
    if (path !== null && path !== '/' && !GLOB_SPECIALS.test(path))
      include.push(`${path.endsWith('/') ? path : `${path}/`}**`, path);
  }
  const crawl: CrawlInputView = {
    url,
    include,
    exclude: excludePaths.map((path) => pathRegexToPattern(path, isOnFullUrl)),
    sameSite: !allowExternalLinks,
    useSitemap: sitemap === 'include',
    // Firecrawl's default depth is unbounded in v2 (v1: 10); distill's crawls need one.
    maxDepth: maxDepth ?? (version === 'v1' ? 10 : 100),
  };
  if (limit !== undefined) crawl.maxPages = limit;
  return { crawl, scrape: finish(scrape), webhook };
}

function refusedUnlessUnsetOwn(reason: string): (value: unknown, field: string) => void {
  return (value, field) => {
    if (!isUnset(value)) throw refuse(field, reason);
  };
}

function safePath(url: string): string | null {
  try {
    return new URL(url).pathname;
  } catch {
    return null;
  }
}

/** `POST /v{1,2}/map`. */
export function readMapBody(input: unknown): Omit<MapRequest, 'signal'> {
  const body = objectOf(input, 'body');
  const request: Omit<MapRequest, 'signal'> = { url: '' };
  readMembers(
    body,
    '',
    {
      url: (value, field) => (request.url = readString(value, field)),
      search: (value, field) => (request.search = readString(value, field, 500)),
      includeSubdomains: (value, field) => (request.includeSubdomains = readBoolean(value, field)),
      ignoreQueryParameters: (value, field) => (request.ignoreQueryParameters = readBoolean(value, field)),
      limit: (value, field) => (request.limit = readInteger(value, field, 1, 100_000)),
      timeout: (value, field) => (request.timeoutMs = readInteger(value, field, 1000, 300_000)),
      sitemap: (value, field) => {
        if (value !== 'include' && value !== 'skip' && value !== 'only')
          throw invalid(field, 'must be "include", "skip" or "only"');
        request.sitemap = value;
      },
      ignoreSitemap: (value, field) => {
        if (readBoolean(value, field)) request.sitemap = 'skip';
      },
      sitemapOnly: (value, field) => {
        if (readBoolean(value, field)) request.sitemap = 'only';
      },
      useIndex: (value, field) => {
        if (readBoolean(value, field))
          throw refuse(field, 'distill has no index of the web; it reads the site itself');
      },
      location: refusedUnlessUnsetOwn('distill has no per-request location or language'),
      threatProtection: refusedUnlessUnsetOwn('not available'),
      auditMetadata: refusedUnlessUnsetOwn('not available'),
    },
    null,
  );
  if (request.url === '') throw invalid('url', 'is required');
  return request;
}
