/** `<loc>`s read from one sitemap at most. */
export const MAX_SITEMAP_URLS = 5000;
/** Characters of a sitemap scanned at most; the rest is ignored (sitemaps.org allows 50 MB, we read 10 MiB). */
export const MAX_SITEMAP_CHARS = 10 * 1024 * 1024;
/** `<loc>` texts longer than this are skipped (a crawl follows no link longer than 2,048 characters). */
export const MAX_SITEMAP_LOC_LENGTH = 2048;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const CDATA_OPEN = '<![CDATA[';
const CDATA_CLOSE = ']]>';

/** What one sitemap file holds: page URLs (`urlset`) or the URLs of other sitemaps (`sitemapindex`). */
export interface SitemapDocument {
  kind: 'urlset' | 'index';
  locs: string[];
}

/**
 * The page URLs of a sitemap (sitemaps.org): the text of its `<loc>` elements, trimmed, entities
 * decoded, in document order, at most `max`. A light scan, not an XML parser: sitemaps are flat,
 * and a malformed one yields what it can. A sitemap index's `<loc>`s name other sitemaps, which are
 * not pages: an index yields nothing (`readSitemapDocument` reads both).
 */
export function parseSitemap(xml: string, max = MAX_SITEMAP_URLS): string[] {
  const document = readSitemapDocument(xml, max);
  return document.kind === 'index' ? [] : document.locs;
}

/**
 * A sitemap or sitemap index: which it is, and its `<loc>`s (at most `max`).
 *
 * The scan is linear in the input (no regex runs on it but one bounded entity pass per `<loc>`):
 * every `indexOf` starts where the previous one stopped, and a `<loc>` without its closing tag is
 * skipped from the next `<`, never rescanned. Only the first `MAX_SITEMAP_CHARS` are read, and a
 * `<loc>` over `MAX_SITEMAP_LOC_LENGTH` characters is skipped. Entities other than the five of XML
 * and numeric references are never expanded (this is not an XML parser; see `hasEntityDeclarations`).
 */
export function readSitemapDocument(xml: string, max = MAX_SITEMAP_URLS): SitemapDocument {
  const kind = /<sitemapindex[\s>]/i.test(xml.slice(0, 4096)) ? 'index' : 'urlset';
  const text = xml.length > MAX_SITEMAP_CHARS ? xml.slice(0, MAX_SITEMAP_CHARS) : xml;
  const urls: string[] = [];
  // Set once no `]]>` is left after some point: later CDATA sections cannot close either.
  let hasNoCdataClose = false;
  let at = 0;
  while (urls.length < max) {
    const open = indexOfTag(text, '<loc>', at);
    if (open === -1) break;
    let start = skipSpaces(text, open + 5);
    let end: number;
    if (text.startsWith(CDATA_OPEN, start)) {
      start += CDATA_OPEN.length;
      end = hasNoCdataClose ? -1 : text.indexOf(CDATA_CLOSE, start);
      if (end === -1) {
        hasNoCdataClose = true;
        at = start;
        continue;
      }
      at = skipSpaces(text, end + CDATA_CLOSE.length);
    } else {
      end = text.indexOf('<', start);
      if (end === -1) break;
      at = end;
    }
    if (!startsWithTag(text, '</loc>', at)) continue; // malformed: go on from the `<` found
    at += 6;
    if (end - start > MAX_SITEMAP_LOC_LENGTH * 2) continue;
    const loc = decodeEntities(text.slice(start, end).trim());
    if (loc !== '' && loc.length <= MAX_SITEMAP_LOC_LENGTH) urls.push(loc);
  }
  return { kind, locs: urls };
}

/**
 * True when the XML declares entities (`<!ENTITY` in a DOCTYPE near the start): the billion-laughs
 * and external-entity shapes. Such a sitemap is refused whole rather than read.
 */
export function hasEntityDeclarations(xml: string): boolean {
  const head = xml.slice(0, 64 * 1024);
  return /<!DOCTYPE/i.test(head) && /<!ENTITY/i.test(head);
}

/** Index of the next `tag` (lower-case, ASCII) at or after `from`, in any letter case; -1 if none. */
function indexOfTag(text: string, tag: string, from: number): number {
  for (let at = text.indexOf('<', from); at !== -1; at = text.indexOf('<', at + 1)) {
    if (startsWithTag(text, tag, at)) return at;
  }
  return -1;
}

/** True when `tag` (lower-case ASCII) is at `at`, letters in any case; compares codes, allocates nothing. */
function startsWithTag(text: string, tag: string, at: number): boolean {
  if (text.length - at < tag.length) return false;
  for (let i = 0; i < tag.length; i++) {
    const want = tag.charCodeAt(i);
    const code = text.charCodeAt(at + i);
    if (code !== want && !(want >= 0x61 && want <= 0x7a && (code | 0x20) === want)) return false;
  }
  return true;
}

function skipSpaces(text: string, from: number): number {
  let at = from;
  while (at < text.length && isXmlSpace(text.charCodeAt(at))) at++;
  return at;
}

function isXmlSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

/** Decodes the five XML entities and numeric character references; any other `&…;` is kept as written. */
function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(?:(amp|lt|gt|quot|apos)|#(\d{1,7})|#x([0-9a-f]{1,6}));/gi,
    (match, name?: string, dec?: string, hex?: string) => {
      if (name !== undefined) return ENTITIES[name.toLowerCase()] ?? match;
      const code = dec !== undefined ? Number(dec) : Number.parseInt(hex ?? '', 16);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    },
  );
}
