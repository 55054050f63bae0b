/** Document metadata found in `<head>` meta tags, JSON-LD and `<html lang>`. */
export interface HtmlMetadata {
  /** Title from meta tags or JSON-LD, else the `<title>` element as is. */
  title: string | null;
  /** True when `title` came from explicit metadata (meta tags, JSON-LD), not from `<title>`. */
  isTitleDeclared: boolean;
  byline: string | null;
  description: string | null;
  siteName: string | null;
  lang: string | null;
  publishedTime: string | null;
  canonicalUrl: string | null;
  /** Base for relative links: `<base href>` resolved against the page URL, else the page URL. */
  baseUrl: string;
}

type JsonObject = Record<string, unknown>;

/** Collapses whitespace and turns an empty string into null. */
export function clean(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const text = value.replace(/\s+/g, ' ').trim();
  return text || null;
}

/** Resolves `href` against `base`; null for anything but http(s) or an unparsable URL. */
export function absoluteHttpUrl(href: string | null | undefined, base: string): string | null {
  if (!href) return null;
  try {
    const url = new URL(href.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

/** One `<meta>` tag's keys (`property`, `name`, `itemprop`) and its `content`. */
export interface MetaTag {
  keys: string;
  content: string | null;
}

function readMetaTags(metas: readonly MetaTag[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const meta of metas) {
    const content = meta.content;
    if (content === null) continue;
    // property may list several names ("og:title twitter:title"); the first value wins.
    for (const key of meta.keys.toLowerCase().split(/\s+/)) {
      if (key && !values.has(key)) values.set(key, content);
    }
  }
  return values;
}

function first(meta: Map<string, string>, ...keys: string[]): string | null {
  for (const key of keys) {
    const value = clean(meta.get(key));
    if (value) return value;
  }
  return null;
}

const ARTICLE_TYPES = /Article|BlogPosting|NewsArticle|Report|WebPage|CreativeWork|Posting/;

/** The article-like object of the JSON-LD blocks, if any (looks into arrays and `@graph`). */
function findJsonLdArticle(blocks: readonly string[]): JsonObject | null {
  const stack: unknown[] = [];
  for (const block of blocks) {
    try {
      stack.push(JSON.parse(block.trim().replace(/^<!\[CDATA\[|\]\]>$/g, '')));
    } catch {
      // Broken JSON-LD is common and carries nothing we could trust.
      continue;
    }
  }
  let fallback: JsonObject | null = null;
  while (stack.length > 0) {
    const item = stack.shift();
    if (Array.isArray(item)) {
      stack.push(...(item as unknown[]));
    } else if (item && typeof item === 'object') {
      const object = item as JsonObject;
      if (Array.isArray(object['@graph'])) stack.push(...(object['@graph'] as unknown[]));
      const type = ([] as unknown[]).concat(object['@type']).join(' ');
      if (ARTICLE_TYPES.test(type)) {
        if (!/WebPage/.test(type) || object.datePublished) return object;
        fallback ??= object;
      }
    }
  }
  return fallback;
}

function nameOf(value: unknown): string | null {
  if (typeof value === 'string') return clean(value);
  if (Array.isArray(value)) {
    const names = value.map(nameOf).filter((name): name is string => name !== null);
    return names.length > 0 ? names.join(', ') : null;
  }
  if (value && typeof value === 'object') return nameOf((value as JsonObject).name);
  return null;
}

function isoTime(value: string | null): string | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? value : new Date(time).toISOString();
}

/** What {@link buildMetadata} reads, however the page was parsed. */
export interface MetadataSource {
  metas: readonly MetaTag[];
  jsonLd: readonly string[];
  baseHref: string | null | undefined;
  canonicalHref: string | null | undefined;
  titleText: string | null | undefined;
  lang: string | null | undefined;
}

/** Reads title, byline, description, site name, language, publication time and canonical URL. */
export function buildMetadata(source: MetadataSource, pageUrl: string): HtmlMetadata {
  const meta = readMetaTags(source.metas);
  const ld = findJsonLdArticle(source.jsonLd);
  const ldString = (key: string): string | null => {
    const value = ld?.[key];
    return typeof value === 'string' ? clean(value) : null;
  };
  const baseUrl = absoluteHttpUrl(source.baseHref, pageUrl) ?? pageUrl;
  const canonicalHref = source.canonicalHref ?? meta.get('og:url');
  const declaredTitle =
    ldString('headline') ??
    first(meta, 'dc.title', 'dcterm:title', 'og:title', 'twitter:title', 'parsely-title');
  return {
    title: declaredTitle ?? clean(source.titleText),
    isTitleDeclared: declaredTitle !== null,
    byline:
      first(meta, 'author', 'article:author', 'dc.creator', 'parsely-author', 'byl', 'sailthru.author') ??
      nameOf(ld?.author),
    description:
      first(meta, 'description', 'og:description', 'twitter:description', 'dc.description') ??
      ldString('description'),
    siteName: first(meta, 'og:site_name', 'application-name') ?? nameOf(ld?.publisher),
    lang:
      clean(source.lang) ??
      first(meta, 'og:locale', 'content-language', 'language', 'dc.language')?.replace('_', '-') ??
      null,
    publishedTime: isoTime(
      first(
        meta,
        'article:published_time',
        'og:article:published_time',
        'datepublished',
        'date',
        'dc.date',
        'dc.date.issued',
        'dcterms.created',
        'pubdate',
        'publishdate',
        'parsely-pub-date',
        'sailthru.date',
      ) ??
        ldString('datePublished') ??
        ldString('dateCreated'),
    ),
    canonicalUrl: absoluteHttpUrl(canonicalHref, baseUrl),
    baseUrl,
  };
}
