import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { MAX_SITEMAP_LOC_LENGTH, parseSitemap } from './sitemap.js';

/** Milliseconds `run` blocks the thread for. */
function blockedMs(run: () => unknown): number {
  const startedAt = performance.now();
  run();
  return performance.now() - startedAt;
}

describe('parseSitemap', () => {
  it('reads a <loc> followed by thousands of spaces and no closing tag in linear time', () => {
    // The old regex backtracked cubically here: 1,000 spaces took 3.8 s, 2,000 took 14.5 s (measured).
    const hostile = `<urlset><url><loc>${' '.repeat(5000)}`;
    expect(blockedMs(() => parseSitemap(hostile))).toBeLessThan(1000);
    const many = `<urlset>${`<url><loc>https://a.test/${' '.repeat(2000)}`.repeat(500)}`;
    expect(blockedMs(() => expect(parseSitemap(many)).toEqual([]))).toBeLessThan(1000);
  });

  it('scans a large sitemap in bounded time, whatever its shape', () => {
    const shapes = [
      `<loc><![CDATA[${'x'.repeat(1 << 20)}`, // CDATA never closed
      '<loc>'.repeat(200_000), // opening tags only
      `<loc>${'<'.repeat(1 << 20)}`,
      `<loc>https://a.test/${'&amp'.repeat(200_000)}</loc>`,
    ];
    for (const xml of shapes) expect(blockedMs(() => parseSitemap(xml))).toBeLessThan(1000);
  });

  it('keeps <loc>s with `]`, such as IPv6 literals, in plain text and in CDATA', () => {
    const xml = `<urlset><url><loc>http://[::1]:8080/a</loc></url>
      <url><loc><![CDATA[http://[2001:db8::1]/b]]></loc></url>
      <url><LOC>https://a.test/[c]</LOC></url></urlset>`;
    expect(parseSitemap(xml)).toEqual([
      'http://[::1]:8080/a',
      'http://[2001:db8::1]/b',
      'https://a.test/[c]',
    ]);
  });

  it('decodes entities, skips malformed and overlong <loc>s, and goes on after them', () => {
    const long = `https://a.test/${'a'.repeat(MAX_SITEMAP_LOC_LENGTH)}`;
    const xml = `<urlset><url><loc>https://a.test/?a=1&amp;b=2&#38;c=&#x33;</loc></url>
      <url><loc>https://a.test/unclosed<url><loc>${long}</loc></url>
      <url><loc> <![CDATA[ https://a.test/cdata ]]> </loc></url><url><loc>https://a.test/last</loc>`;
    expect(parseSitemap(xml)).toEqual([
      'https://a.test/?a=1&b=2&c=3',
      'https://a.test/cdata',
      'https://a.test/last',
    ]);
  });

  it('stops at `max` and follows no sitemap index', () => {
    const xml = Array.from({ length: 10 }, (_, i) => `<url><loc>https://a.test/${i}</loc></url>`).join('');
    expect(parseSitemap(`<urlset>${xml}</urlset>`, 3)).toEqual([
      'https://a.test/0',
      'https://a.test/1',
      'https://a.test/2',
    ]);
    expect(
      parseSitemap('<sitemapindex><sitemap><loc>https://a.test/s1.xml</loc></sitemap></sitemapindex>'),
    ).toEqual([]);
  });
});
