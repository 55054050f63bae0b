// Map scenario: `POST /v1/map`'s SiteMapper, in-process over loopback HTTP with the real fetcher,
// on a site of 50,000 URLs (one sitemap, the same gzipped, an index of five sitemaps of 10,000)
// and on hostile sitemaps (1 GB streamed, a 64 MiB gzip bomb, 100,000 nested indexes, an index of
// 100,000 sitemaps). Wall time per map and the peak RSS above the start, sampled every 10 ms.
import { createServer } from 'node:http';
import { gzipSync } from 'node:zlib';
import { SiteMapper } from '../dist/crawls/index.js';
import { createFetcher, MemoryHostLimiter, parseAllowList } from '../dist/fetch/index.js';

const URLS = 50_000;
const urlset = (locs) =>
  `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((l) => `<url><loc>${l}</loc></url>`).join('')}</urlset>`;
const index = (locs) =>
  `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((l) => `<sitemap><loc>${l}</loc></sitemap>`).join('')}</sitemapindex>`;

export async function run() {
  let origin = '';
  let robots = '';
  const files = new Map();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/robots.txt') return res.writeHead(200, { 'content-type': 'text/plain' }).end(robots);
    if (path === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<a href="/a">a</a>');
    if (path === '/huge.xml') {
      res.writeHead(200, { 'content-type': 'application/xml' });
      const chunk = Buffer.from(`<url><loc>${origin}/huge/${'x'.repeat(980)}</loc></url>`);
      let sent = 0;
      res.on('error', () => {});
      const pump = () => {
        while (sent < 1024 ** 3 && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      return pump();
    }
    const deep = /^\/deep\/(\d+)\.xml$/.exec(path);
    if (deep)
      return res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(index([`${origin}/deep/${Number(deep[1]) + 1}.xml`]));
    if (path.startsWith('/wide/'))
      return res
        .writeHead(200, { 'content-type': 'application/xml' })
        .end(urlset([`${origin}/w${path.slice(5, -4)}`]));
    const body = files.get(path);
    if (body) return res.writeHead(200, { 'content-type': 'application/xml' }).end(body);
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  const locs = Array.from({ length: URLS }, (_, i) => `${origin}/page/${i}`);
  files.set('/all.xml', urlset(locs));
  files.set('/all.xml.gz', gzipSync(urlset(locs)));
  files.set('/index.xml', index([0, 1, 2, 3, 4].map((i) => `${origin}/part/${i}.xml`)));
  for (let i = 0; i < 5; i++) files.set(`/part/${i}.xml`, urlset(locs.slice(i * 10_000, (i + 1) * 10_000)));
  files.set('/bomb.xml.gz', gzipSync(Buffer.alloc(64 * 1024 * 1024)));
  files.set('/wide.xml', index(Array.from({ length: 100_000 }, (_, i) => `${origin}/wide/${i}.xml`)));

  const fetcher = createFetcher({ allow: parseAllowList('127.0.0.1') });
  const hostLimiter = new MemoryHostLimiter({ maxInFlightPerHost: 4, ratePerSecond: 10_000, burst: 1000 });
  const mapper = new SiteMapper({ fetcher, hostLimiter });
  const rows = [];
  const cases = [
    ['50,000 URLs, one sitemap', '/all.xml'],
    ['50,000 URLs, gzipped', '/all.xml.gz'],
    ['50,000 URLs, index of 5', '/index.xml'],
    ['1 GB sitemap', '/huge.xml'],
    ['64 MiB gzip bomb', '/bomb.xml.gz'],
    ['100,000 nested indexes', '/deep/0.xml'],
    ['index of 100,000 sitemaps', '/wide.xml'],
  ];
  for (const [name, path] of cases) {
    robots = `Sitemap: ${origin}${path}\n`;
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    const started = performance.now();
    const result = await mapper.map({ url: origin, limit: 100_000, sitemap: 'only', timeoutMs: 120_000 });
    const wallMs = performance.now() - started;
    clearInterval(timer);
    rows.push({
      case: name,
      urls: result.links.length,
      sitemapsRead: result.read.sitemaps,
      warnings: [...new Set(result.warnings.map((w) => w.code))].join(',') || '-',
      wallMs: Math.round(wallMs),
      peakRssAboveStartMiB: Math.round(((peak - base) / 1024 / 1024) * 10) / 10,
    });
  }
  await fetcher.close();
  await hostLimiter.close();
  await new Promise((resolve) => server.close(resolve));
  return { rows };
}
