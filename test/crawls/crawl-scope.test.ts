import { describe, expect, it } from 'vitest';
import { compilePattern, CrawlScope, InvalidPatternError, parseSitemap } from '../../src/crawls/index.js';

const url = (href: string): URL => new URL(href);

describe('crawl patterns and scope', () => {
  it('reads /…/flags as a regex on the whole URL, and globs on the URL or, from /, on path and query', () => {
    expect(compilePattern('/\\.pdf$/i').matches(url('https://a.test/x/Y.PDF'))).toBe(true);
    expect(compilePattern('/blog/*').matches(url('https://a.test/blog/post?x=1'))).toBe(true);
    expect(compilePattern('/blog/*').matches(url('https://a.test/blog/2024/post'))).toBe(false);
    expect(compilePattern('/blog/**').matches(url('https://a.test/blog/2024/post'))).toBe(true);
    expect(compilePattern('https://a.test/docs/?').matches(url('https://a.test/docs/a'))).toBe(true);
    expect(compilePattern('**.html').matches(url('https://a.test/a/b.html'))).toBe(true);
    expect(() => compilePattern('/(unclosed/')).toThrow(InvalidPatternError);
  });

  it('keeps normalised links in scope: same site (www. aside), include, exclude; deduped and capped', async () => {
    const scope = new CrawlScope({
      url: 'https://www.a.test/',
      sameSite: true,
      include: ['/docs/**'],
      exclude: ['/draft/'],
    });
    const links = [
      'https://a.test/docs/one#top',
      'https://a.test/docs/one',
      'https://www.a.test/docs/two',
      'https://a.test/docs/draft-three',
      'https://b.test/docs/four',
      'https://a.test/blog/five',
      'mailto:x@a.test',
    ];
    expect(await scope.select(links)).toEqual(['https://a.test/docs/one', 'https://www.a.test/docs/two']);
    expect(await scope.select(links, 1)).toEqual(['https://a.test/docs/one']);
    const anywhere = new CrawlScope({ url: 'https://a.test/', sameSite: false, include: [], exclude: [] });
    expect(await anywhere.select(['https://b.test/x'])).toEqual(['https://b.test/x']);
  });

  it('parses a sitemap’s <loc>s (entities, CDATA), bounded, and follows no sitemap index', () => {
    const xml = `<?xml version="1.0"?><urlset><url><loc> https://a.test/?a=1&amp;b=2 </loc></url>
      <url><loc><![CDATA[https://a.test/c]]></loc></url><url><loc>https://a.test/d</loc></url></urlset>`;
    expect(parseSitemap(xml)).toEqual(['https://a.test/?a=1&b=2', 'https://a.test/c', 'https://a.test/d']);
    expect(parseSitemap(xml, 2)).toHaveLength(2);
    expect(
      parseSitemap('<sitemapindex><sitemap><loc>https://a.test/s1.xml</loc></sitemap></sitemapindex>'),
    ).toEqual([]);
  });
});
