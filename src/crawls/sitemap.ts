/** `<loc>`s read from one sitemap at most. */
export const MAX_SITEMAP_URLS = 5000;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/**
 * The page URLs of a sitemap (sitemaps.org): the text of its `<loc>` elements, entities decoded,
 * in document order, at most `max`. A light scan, not an XML parser: sitemaps are flat, and a
 * malformed one yields what it can. A sitemap index's `<loc>`s name other sitemaps, which are not
 * pages: an index yields nothing.
 */
export function parseSitemap(xml: string, max = MAX_SITEMAP_URLS): string[] {
  if (/<sitemapindex[\s>]/i.test(xml.slice(0, 4096))) return [];
  const urls: string[] = [];
  const loc = /<loc>\s*(?:<!\[CDATA\[)?([^<\]]*?)(?:\]\]>)?\s*<\/loc>/gi;
  for (let match = loc.exec(xml); match !== null && urls.length < max; match = loc.exec(xml)) {
    const text = match[1]!.replace(/&(amp|lt|gt|quot|apos);/g, (_m, name: string) => ENTITIES[name] ?? '');
    if (text !== '') urls.push(text);
  }
  return urls;
}
