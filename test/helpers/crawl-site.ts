/**
 * A local site for crawl tests: `/page/N` for N in 0..PAGES-1, each linking (in its main content)
 * to its children `/page/2N+1` and `/page/2N+2` (so depth d holds pages 2^d-1 … 2^(d+1)-2), back to
 * `/page/0`, to `/private/N`, and to the same page on another origin; `/sitemap.xml` lists
 * `/orphan/0..4` (linked from nowhere), `/page/200..204` and one page of the other origin. `/slow/…`
 * pages answer after a delay.
 */
import type { CorpusResponse } from '../../bench/corpus-server.mjs';

export const PAGES = 300;

const TEXT =
  'This page belongs to a small local site used to test crawling. It has enough words in its paragraphs to be taken ' +
  'for the main content of the page by the extractor, and a few links that the crawl should or should not follow.';

function page(title: string, links: Array<[string, string]>): string {
  const anchors = links.map(([href, label]) => `<a href="${href}">${label}</a>`).join(', ');
  return `<!doctype html><html lang="en"><head><title>${title}</title></head><body><article><h1>${title}</h1>
  <p>${TEXT}</p><p>${TEXT} Read on: ${anchors}.</p><p>${TEXT}</p></article></body></html>`;
}

/** The handler of the site; `other` is the origin of the second host (for `sameSite`). */
export function siteHandler(other: () => string): (path: string) => CorpusResponse {
  return (path) => {
    const [, kind, raw = '0'] = path.split('/');
    const n = Number(raw);
    switch (kind) {
      case 'robots.txt':
        return { status: 404, body: '' };
      case 'sitemap.xml': {
        const locs = [
          ...[0, 1, 2, 3, 4].map((i) => `/orphan/${i}`),
          ...[200, 201, 202, 203, 204].map((i) => `/page/${i}`),
        ];
        const base = 'http://HOST';
        return {
          headers: { 'content-type': 'application/xml' },
          body: `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs
            .map((l) => `<url><loc>${base}${l}</loc></url>`)
            .join('')}<url><loc>${other()}/page/7</loc></url></urlset>`,
        };
      }
      case 'page':
      case 'slow': {
        if (!Number.isInteger(n) || n < 0 || n >= PAGES) return { status: 404, body: 'no such page' };
        const links: Array<[string, string]> = [];
        for (const child of [2 * n + 1, 2 * n + 2])
          if (child < PAGES) links.push([`/${kind}/${child}`, `child ${child}`]);
        links.push(
          [`/${kind}/0`, 'home'],
          [`/private/${n}`, 'private'],
          [`${other()}/page/${n}`, 'elsewhere'],
        );
        return { body: page(`Page ${n}`, links), ...(kind === 'slow' ? { delayMs: 150 } : {}) };
      }
      case 'orphan':
      case 'private':
        return { body: page(`${kind} ${n}`, []) };
      default:
        return { status: 404, body: '' };
    }
  };
}
