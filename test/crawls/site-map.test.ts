/**
 * Maps of hostile and large sites, over real HTTP on loopback with the real fetcher: a 1 GB
 * sitemap, an index that names itself, 100,000 nested indexes (deep and wide), a gzip bomb, XML
 * entities; each ends bounded with a warning and the rest of the map kept. And a sitemap of 50,000
 * URLs, gzipped, read whole.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SITEMAP_DEPTH, MAX_SITEMAP_FILES, SiteMapper } from '../../src/crawls/index.js';
import { createFetcher, MemoryHostLimiter, parseAllowList, type HttpFetcher } from '../../src/fetch/index.js';

const BIG = 50_000;

function urlset(locs: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((loc) => `<url><loc>${loc}</loc></url>`).join('')}</urlset>`;
}
function index(locs: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((loc) => `<sitemap><loc>${loc}</loc></sitemap>`).join('')}</sitemapindex>`;
}

describe('SiteMapper on hostile and large sites', () => {
  let server: Server;
  let origin: string;
  let fetcher: HttpFetcher;
  let limiter: MemoryHostLimiter;
  let mapper: SiteMapper;
  const requested = new Map<string, number>();
  let robots = '';
  let bigSitemap: Buffer;
  let bomb: Buffer;

  beforeAll(async () => {
    bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      requested.set(path, (requested.get(path) ?? 0) + 1);
      const xml = (body: string | Buffer, type = 'application/xml'): void =>
        void response.writeHead(200, { 'content-type': type }).end(body);
      if (path === '/robots.txt') return xml(robots, 'text/plain');
      if (path === '/')
        return xml(
          `<html><body><a href="/home-link">a link</a><a href="mailto:x@y">mail</a></body></html>`,
          'text/html',
        );
      if (path === '/home-link')
        return xml('<html><body><a href="/beyond">one page beyond</a></body></html>', 'text/html');
      if (path === '/pages.xml') return xml(urlset([`${origin}/kept/1`, `${origin}/kept/2`]));
      if (path === '/self.xml') return xml(index([`${origin}/self.xml`, `${origin}/pages.xml`]));
      if (path === '/huge.xml') {
        // 1 GB, streamed: the fetcher stops at its body cap, long before the end.
        response.writeHead(200, { 'content-type': 'application/xml' });
        const chunk = Buffer.from(`<url><loc>${origin}/huge/${'x'.repeat(980)}</loc></url>`);
        let sent = 0;
        const pump = (): void => {
          while (sent < 1024 * 1024 * 1024 && !response.destroyed) {
            sent += chunk.length;
            if (!response.write(chunk)) return void response.once('drain', pump);
          }
          response.end();
        };
        response.on('error', () => undefined);
        return pump();
      }
      const deep = /^\/deep\/(\d+)\.xml$/.exec(path);
      if (deep) {
        const n = Number(deep[1]);
        return xml(
          n < 100_000 ? index([`${origin}/deep/${n + 1}.xml`, `${origin}/deep-pages/${n}.xml`]) : urlset([]),
        );
      }
      const deepPages = /^\/deep-pages\/(\d+)\.xml$/.exec(path);
      if (deepPages) return xml(urlset([`${origin}/deep-page/${deepPages[1]}`]));
      if (path === '/wide.xml')
        return xml(index(Array.from({ length: 100_000 }, (_, i) => `${origin}/wide/${i}.xml`)));
      if (path.startsWith('/wide/')) return xml(urlset([`${origin}/wide-page${path.slice(5, -4)}`]));
      if (path === '/bomb.xml.gz') return xml(bomb, 'application/gzip');
      if (path === '/entities.xml') {
        return xml(
          `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><urlset><url><loc>${origin}/&lol2;</loc></url></urlset>`,
        );
      }
      if (path === '/big.xml.gz') return xml(bigSitemap, 'application/x-gzip');
      if (path === '/llms.txt') return xml(`# Site\n- [Docs](/docs.md)\n`, 'text/plain');
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    bigSitemap = gzipSync(urlset(Array.from({ length: BIG }, (_, i) => `${origin}/big/${i}`)));
    fetcher = createFetcher({ allow: parseAllowList('127.0.0.1'), maxBodyBytes: 10 * 1024 * 1024 });
    limiter = new MemoryHostLimiter({ maxInFlightPerHost: 4, ratePerSecond: 10_000, burst: 1000 });
    mapper = new SiteMapper({ fetcher, hostLimiter: limiter });
  });

  afterAll(async () => {
    await fetcher?.close();
    await limiter?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  async function mapWith(sitemaps: string[], options: { limit?: number } = {}) {
    robots = `User-agent: *\nAllow: /\n${sitemaps.map((path) => `Sitemap: ${origin}${path}`).join('\n')}\n`;
    requested.clear();
    return mapper.map({ url: origin, limit: options.limit ?? 100_000, timeoutMs: 60_000 });
  }

  it('ends each hostile sitemap with a warning and keeps the rest of the map', async () => {
    const result = await mapWith(['/huge.xml', '/self.xml', '/bomb.xml.gz', '/entities.xml']);
    const urls = result.links.map((link) => link.url);
    expect(urls).toEqual(
      expect.arrayContaining([
        `${origin}/`,
        `${origin}/kept/1`,
        `${origin}/kept/2`,
        `${origin}/home-link`,
        `${origin}/beyond`,
        `${origin}/docs.md`,
      ]),
    );
    expect(urls.some((url) => url.includes('lol'))).toBe(false);
    const codes = Object.fromEntries(
      result.warnings.map((warning) => [new URL(warning.url).pathname, warning.code]),
    );
    expect(codes).toMatchObject({
      '/huge.xml': 'too_large',
      '/bomb.xml.gz': 'decompression_limit',
      '/entities.xml': 'xml_entities',
    });
    // The index that names itself is read once.
    expect(requested.get('/self.xml')).toBe(1);
    expect(result.isPartial).toBe(false);
  }, 60_000);

  it('follows nested indexes to a bounded depth, and a bounded number of files', async () => {
    const deep = await mapWith(['/deep/0.xml']);
    expect(deep.warnings).toEqual([expect.objectContaining({ code: 'sitemap_depth' })]);
    expect(deep.read.sitemaps).toBeLessThanOrEqual(2 * (MAX_SITEMAP_DEPTH + 1));
    expect(deep.links.map((link) => link.url)).toContain(`${origin}/deep-page/0`);

    const wide = await mapWith(['/wide.xml']);
    expect(wide.read.sitemaps).toBe(MAX_SITEMAP_FILES);
    expect(wide.warnings.some((warning) => warning.code === 'sitemap_limit')).toBe(true);
    expect(wide.links.filter((link) => link.source === 'sitemap')).toHaveLength(MAX_SITEMAP_FILES - 1);
  }, 60_000);

  it('reads a gzipped sitemap of 50,000 URLs whole, and stops at the limit', async () => {
    const whole = await mapWith(['/big.xml.gz']);
    expect(whole.links.filter((link) => link.source === 'sitemap')).toHaveLength(BIG);
    const limited = await mapWith(['/big.xml.gz'], { limit: 10 });
    expect(limited.links).toHaveLength(10);
  }, 60_000);

  it('filters by search, patterns and host', async () => {
    robots = `Sitemap: ${origin}/big.xml.gz\n`;
    const searched = await mapper.map({ url: origin, search: 'big/4999', sitemap: 'only' });
    expect(searched.links.map((link) => link.url).sort()).toEqual(
      [`${origin}/big/4999`, ...Array.from({ length: 10 }, (_, i) => `${origin}/big/4999${i}`)].sort(),
    );
    const included = await mapper.map({
      url: origin,
      include: ['/big/1234*'],
      exclude: ['/big/12345'],
      sitemap: 'only',
    });
    expect(included.links.map((link) => link.url)).toEqual([
      `${origin}/big/1234`,
      ...[0, 1, 2, 3, 4, 6, 7, 8, 9].map((i) => `${origin}/big/1234${i}`),
    ]);
    expect(() => mapper.check({ include: ['/(a)\\1/'] })).toThrow(/backreferences/);
  }, 60_000);
});
