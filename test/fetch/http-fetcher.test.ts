/**
 * The fetcher against a hostile server on 127.0.0.1. The allow list admits exactly that server's
 * `127.0.0.1:<port>`; every other loopback port is "private network" to the guard. No test touches
 * the real network or the real resolver (names go through an injected lookup).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, PermanentError, RateLimitedError, RetryableError } from '../../src/lib/errors.js';
import {
  BlockedAddressError,
  ConnectionError,
  DecodingError,
  DnsError,
  DnsNotFoundError,
  FetchTimeoutError,
  HttpFetcher,
  HttpRateLimitedError,
  InvalidUrlError,
  PermanentHttpStatusError,
  RetryableHttpStatusError,
  RobotsDisallowedError,
  TooLargeError,
  TooManyRedirectsError,
  type HttpFetcherOptions,
  type LookupFunction,
} from '../../src/fetch/index.js';
import {
  brotliOfZeros,
  gzipMemberOfZeros,
  startConnectionCounter,
  startHostileServer,
  type HostileServer,
} from '../helpers/hostile-server.js';

const MiB = 1024 * 1024;

/** Resolves only test names, to loopback; never asks the system resolver. */
const lookups: string[] = [];
const lookup: LookupFunction = (hostname) => {
  lookups.push(hostname);
  const table: Record<string, string[]> = {
    'distill.test': ['127.0.0.1'],
    'rebind.test': ['127.0.0.1', '10.0.0.1'],
    'metadata.test': ['169.254.169.254'],
    'mapped.test': ['::ffff:127.0.0.1'],
    localhost: ['127.0.0.1', '::1'],
  };
  const addresses = table[hostname];
  if (addresses !== undefined) {
    return Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
  }
  const code = hostname === 'flaky.test' ? 'EAI_AGAIN' : 'ENOTFOUND';
  return Promise.reject(Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), { code }));
};

let server: HostileServer;
let robots404: HostileServer;
let robotsHuge: HostileServer;
let counter: Awaited<ReturnType<typeof startConnectionCounter>>;
const fetchers: HttpFetcher[] = [];

function createTestFetcher(options: HttpFetcherOptions = {}, target: HostileServer = server): HttpFetcher {
  const fetcher = new HttpFetcher({ allow: `127.0.0.1:${target.port}`, lookup, ...options });
  fetchers.push(fetcher);
  return fetcher;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the fetch to fail');
}

beforeAll(async () => {
  const shared = {
    robots: 'User-agent: *\nDisallow: /nobody\n\nUser-agent: distill\nDisallow: /forbidden\n',
    // 16 MiB of zeros per ~16 KB member; 256 members inflate to 4 GiB.
    gzipBomb: gzipMemberOfZeros(16 * MiB),
    gzipBombRepeats: 256,
    // 1 GiB of zeros in well under 1 KB of brotli.
    brotliBomb: await brotliOfZeros(1024 * MiB),
  };
  expect(shared.gzipBomb.length).toBeLessThan(64 * 1024);
  expect(shared.brotliBomb.length).toBeLessThan(16 * 1024);
  server = await startHostileServer(shared);
  robots404 = await startHostileServer({ ...shared, robots: 404 });
  // A rule before the 500 KiB cut applies; one after it is never read.
  const filler = '# filler line\n'.repeat(40_000);
  robotsHuge = await startHostileServer({
    ...shared,
    robots: `User-agent: distill\nDisallow: /forbidden\n${filler}Disallow: /ok\n`,
  });
  counter = await startConnectionCounter();
  server.setBlockedTarget(`http://127.0.0.1:${counter.port}/`);
}, 60_000);

afterEach(async () => {
  await Promise.all(fetchers.splice(0).map((fetcher) => fetcher.close()));
  // No test may ever reach the port that is not on the allow list.
  expect(counter.connections).toBe(0);
});

afterAll(async () => {
  await Promise.all([server?.close(), robots404?.close(), robotsHuge?.close(), counter?.close()]);
});

describe('HttpFetcher: ordinary responses', () => {
  it('fetches a page and sends our User-Agent, Accept and Accept-Encoding', async () => {
    const fetcher = createTestFetcher();
    const response = await fetcher.fetch(`${server.origin}/echo`);
    expect(response.status).toBe(200);
    const sent = JSON.parse(Buffer.from(response.body).toString('utf8')) as Record<string, string>;
    expect(sent['user-agent']).toBe('distill/0.1 (+https://github.com/distill)');
    expect(sent['accept']).toContain('text/html');
    expect(sent['accept-encoding']).toBe('gzip, deflate, br');
    expect(response.contentType).toBe('application/json');
    expect(response.finalUrl).toBe(`${server.origin}/echo`);
    expect(response.redirects).toBe(0);
    expect(response.elapsedMs).toBeGreaterThanOrEqual(0);
  });

  it('sends a configured User-Agent, to robots.txt too', async () => {
    const fetcher = createTestFetcher({ userAgent: 'distill-test/9.9' }, robots404);
    await fetcher.fetch(`${robots404.origin}/echo`);
    expect(robots404.requestHeaders.get('/robots.txt')?.['user-agent']).toBe('distill-test/9.9');
    expect(robots404.requestHeaders.get('/echo')?.['user-agent']).toBe('distill-test/9.9');
  });

  it('passes binary content through untouched (content types are the extractor’s business)', async () => {
    const response = await createTestFetcher().fetch(`${server.origin}/binary`);
    expect(response.contentType).toBe('image/png');
    expect(Buffer.from(response.body)).toEqual(Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
  });

  it.each([
    ['/gzip', 'gzip ok'],
    ['/deflate', 'deflate ok'],
    ['/deflate-raw', 'raw ok'],
    ['/br', 'br ok'],
  ])('decodes %s', async (path, text) => {
    const response = await createTestFetcher().fetch(`${server.origin}${path}`);
    expect(Buffer.from(response.body).toString()).toBe(text);
  });

  it('fails a corrupt or unsupported encoding with decoding_error', async () => {
    const fetcher = createTestFetcher();
    const corrupt = await failure(fetcher.fetch(`${server.origin}/corrupt-gzip`));
    expect(corrupt).toBeInstanceOf(DecodingError);
    const zstd = await failure(fetcher.fetch(`${server.origin}/zstd`));
    expect(zstd).toBeInstanceOf(DecodingError);
    expect(zstd.message).toContain('zstd');
  });

  it('follows relative redirects and reports the final URL', async () => {
    const response = await createTestFetcher().fetch(`${server.origin}/redirect-chain-1`);
    expect(response.finalUrl).toBe(`${server.origin}/ok?from=chain`);
    expect(response.redirects).toBe(2);
    expect(response.requestedUrl).toBe(`${server.origin}/redirect-chain-1`);
  });

  it('returns 304 with an empty body when validators were sent', async () => {
    const fetcher = createTestFetcher();
    const fresh = await fetcher.fetch(`${server.origin}/conditional`);
    expect(fresh.headers['etag']).toBe('"v1"');
    const notModified = await fetcher.fetch(`${server.origin}/conditional`, { etag: '"v1"' });
    expect(notModified.status).toBe(304);
    expect(notModified.body.byteLength).toBe(0);
  });

  it('resolves names through the injected lookup and connects to the checked address', async () => {
    const response = await createTestFetcher().fetch(`http://distill.test:${server.port}/ok`);
    expect(response.status).toBe(200);
    expect(server.requestHeaders.get('/ok')?.host).toBe(`distill.test:${server.port}`);
  });

  it('reuses keep-alive connections', async () => {
    const fetcher = createTestFetcher({ respectRobots: false });
    const before = server.connections;
    for (let i = 0; i < 5; i += 1) await fetcher.fetch(`${server.origin}/ok`);
    // A request sent the instant the previous body ended may find that connection not yet idle
    // and open a second one; after that both are reused.
    expect(server.connections - before).toBeLessThanOrEqual(2);
  });
});

describe('HttpFetcher: limits', () => {
  it('times out when headers never come', async () => {
    const fetcher = createTestFetcher({ headersTimeoutMs: 300, timeoutMs: 5000 });
    const started = Date.now();
    const error = await failure(fetcher.fetch(`${server.origin}/no-headers`));
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({ code: 'timeout', phase: 'headers' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out when the body never ends (total limit)', async () => {
    const fetcher = createTestFetcher({ timeoutMs: 500 });
    const started = Date.now();
    const error = await failure(fetcher.fetch(`${server.origin}/endless-body`));
    expect(error).toMatchObject({ code: 'timeout', phase: 'total', timeoutMs: 500 });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('honours a per-request timeout', async () => {
    const fetcher = createTestFetcher({ timeoutMs: 20_000 });
    const error = await failure(fetcher.fetch(`${server.origin}/endless-body`, { timeoutMs: 300 }));
    expect(error).toMatchObject({ code: 'timeout', timeoutMs: 300 });
  });

  it('refuses a declared 50 MB body before reading it', async () => {
    const fetcher = createTestFetcher();
    const error = await failure(fetcher.fetch(`${server.origin}/huge`));
    expect(error).toBeInstanceOf(TooLargeError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toContain('Content-Length');
    expect(server.bytesWritten.get('/huge') ?? 0).toBeLessThan(50 * MiB);
  });

  it('stops reading an undeclared 50 MB body at the limit', async () => {
    const fetcher = createTestFetcher({ maxBodyBytes: 1 * MiB });
    const error = await failure(fetcher.fetch(`${server.origin}/huge-chunked`));
    expect(error).toMatchObject({ code: 'too_large', maxBodyBytes: MiB });
    expect(server.bytesWritten.get('/huge-chunked') ?? 0).toBeLessThan(50 * MiB);
  });

  it('stops a gzip bomb at the decompressed limit with bounded memory', async () => {
    const fetcher = createTestFetcher();
    const rssBefore = process.memoryUsage().rss;
    const error = await failure(fetcher.fetch(`${server.origin}/gzip-bomb`));
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(error).toMatchObject({ code: 'too_large', maxBodyBytes: 10 * MiB });
    expect(rssGrowth).toBeLessThan(100 * MiB);
    // The server was stopped long before it sent its 4 GiB (about 4 MB of gzip).
    expect(server.bytesWritten.get('/gzip-bomb') ?? 0).toBeLessThan(4 * MiB);
  });

  it('stops a brotli bomb at the decompressed limit with bounded memory', async () => {
    const fetcher = createTestFetcher();
    const rssBefore = process.memoryUsage().rss;
    const error = await failure(fetcher.fetch(`${server.origin}/brotli-bomb`));
    expect(error).toBeInstanceOf(TooLargeError);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MiB);
  });

  it('stops a redirect loop', async () => {
    const error = await failure(createTestFetcher({ maxRedirects: 3 }).fetch(`${server.origin}/loop`));
    expect(error).toBeInstanceOf(TooManyRedirectsError);
    expect(error).toMatchObject({ code: 'too_many_redirects', maxRedirects: 3 });
  });

  it('refuses redirects to other schemes', async () => {
    const error = await failure(createTestFetcher().fetch(`${server.origin}/redirect-ftp`));
    expect(error).toBeInstanceOf(InvalidUrlError);
  });
});

describe('HttpFetcher: private-network guard', () => {
  it('refuses a redirect to a loopback port that is not allowed, without connecting', async () => {
    const error = await failure(createTestFetcher().fetch(`${server.origin}/redirect-blocked`));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ code: 'blocked_address', address: '127.0.0.1', addressClass: 'loopback' });
    // The message names the one entry that would permit it, so a user fetching a local page knows the way out.
    expect(error.message).toContain(
      `add 127.0.0.1:${counter.port} to DISTILL_FETCH_ALLOW (or --fetch-allow)`,
    );
    expect(counter.connections).toBe(0);
  });

  it.each([
    (port: number) => `http://127.0.0.1:${port}/`,
    (port: number) => `http://2130706433:${port}/`,
    (port: number) => `http://0x7f.1:${port}/`,
    (port: number) => `http://[::ffff:127.0.0.1]:${port}/`,
    (port: number) => `http://[::1]:${port}/`,
    (port: number) => `http://localhost:${port}/`,
    (port: number) => `http://mapped.test:${port}/`,
  ])('refuses %s for a port not on the allow list, without connecting', async (url) => {
    const error = await failure(createTestFetcher().fetch(url(counter.port)));
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(counter.connections).toBe(0);
  });

  it('refuses a name when any resolved address is blocked (no DNS-rebinding mix)', async () => {
    const before = server.connections;
    const error = await failure(
      createTestFetcher({ respectRobots: false }).fetch(`http://rebind.test:${server.port}/ok`),
    );
    expect(error).toMatchObject({ code: 'blocked_address', address: '10.0.0.1', addressClass: 'private' });
    expect(server.connections).toBe(before);
  });

  it('refuses the metadata address a name resolves to', async () => {
    const error = await failure(
      createTestFetcher({ respectRobots: false }).fetch('http://metadata.test/latest/meta-data/'),
    );
    expect(error).toMatchObject({
      code: 'blocked_address',
      address: '169.254.169.254',
      addressClass: 'link-local',
    });
  });

  it('refuses non-public literals without robots.txt or socket (classifier only, nothing sent)', async () => {
    const fetcher = createTestFetcher();
    for (const url of [
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00::1]/',
      'http://0/',
    ]) {
      expect(await failure(fetcher.fetch(url))).toBeInstanceOf(BlockedAddressError);
    }
  });

  it('maps DNS failures to dns_error: NXDOMAIN permanent, EAI_AGAIN retryable', async () => {
    const fetcher = createTestFetcher({ respectRobots: false });
    const missing = await failure(fetcher.fetch('http://missing.test/'));
    expect(missing).toBeInstanceOf(DnsNotFoundError);
    expect(missing).toBeInstanceOf(PermanentError);
    const flaky = await failure(fetcher.fetch('http://flaky.test/'));
    expect(flaky).toBeInstanceOf(DnsError);
    expect(flaky).toMatchObject({ code: 'dns_error', dnsCode: 'EAI_AGAIN' });
  });

  it('refuses invalid URLs', async () => {
    const fetcher = createTestFetcher();
    for (const url of [
      'not a url',
      'ftp://127.0.0.1/',
      'file:///etc/passwd',
      `http://user:pw@127.0.0.1:${server.port}/`,
    ]) {
      expect(await failure(fetcher.fetch(url))).toMatchObject({ code: 'invalid_url' });
    }
  });
});

describe('HttpFetcher: status codes', () => {
  it('turns 429 with Retry-After: 7 into HttpRateLimitedError of 7000 ms', async () => {
    const error = await failure(createTestFetcher().fetch(`${server.origin}/429`));
    expect(error).toBeInstanceOf(HttpRateLimitedError);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'http_error', status: 429, retryAfterMs: 7000, isRemote: true });
  });

  it('turns 503 without Retry-After into a retryable http_error', async () => {
    const error = await failure(createTestFetcher().fetch(`${server.origin}/503`));
    expect(error).toBeInstanceOf(RetryableHttpStatusError);
    expect(error).toMatchObject({ code: 'http_error', status: 503 });
  });

  it('turns 404 into a permanent http_error', async () => {
    const error = await failure(createTestFetcher().fetch(`${server.origin}/404`));
    expect(error).toBeInstanceOf(PermanentHttpStatusError);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ code: 'http_error', status: 404 });
  });

  it.each(['/cut', '/cut-chunked'])(
    'reports a connection cut mid-body (%s) as connection_error',
    async (path) => {
      const error = await failure(createTestFetcher().fetch(`${server.origin}${path}`));
      expect(error).toBeInstanceOf(ConnectionError);
      expect(error).toBeInstanceOf(RetryableError);
    },
  );

  it('reports a refused connection as connection_error', async () => {
    const closed = await startConnectionCounter();
    const port = closed.port;
    await closed.close();
    const error = await failure(
      createTestFetcher({ allow: `127.0.0.1:${port}`, respectRobots: false }).fetch(
        `http://127.0.0.1:${port}/`,
      ),
    );
    expect(error).toMatchObject({ code: 'connection_error' });
  });
});

describe('HttpFetcher: robots.txt', () => {
  it('refuses a path robots.txt disallows for distill, also after a redirect', async () => {
    const fetcher = createTestFetcher();
    const error = await failure(fetcher.fetch(`${server.origin}/forbidden`));
    expect(error).toBeInstanceOf(RobotsDisallowedError);
    expect(error).toMatchObject({ code: 'robots_disallowed' });
    expect(await failure(fetcher.fetch(`${server.origin}/redirect-forbidden`))).toBeInstanceOf(
      RobotsDisallowedError,
    );
    // Only our group applies to us, so /nobody (for *) is fine.
    expect((await fetcher.fetch(`${server.origin}/allowed`)).status).toBe(200);
  });

  it('allows everything when robots.txt is 404, and fetches it once per origin', async () => {
    const fetcher = createTestFetcher({}, robots404);
    const before = robots404.requests.filter((path) => path === '/robots.txt').length;
    expect((await fetcher.fetch(`${robots404.origin}/forbidden`)).status).toBe(200);
    await Promise.all([1, 2, 3].map(() => fetcher.fetch(`${robots404.origin}/ok`)));
    expect(robots404.requests.filter((path) => path === '/robots.txt').length - before).toBe(1);
  });

  it('reads at most 500 KiB of robots.txt', async () => {
    const fetcher = createTestFetcher({}, robotsHuge);
    expect(await failure(fetcher.fetch(`${robotsHuge.origin}/forbidden`))).toBeInstanceOf(
      RobotsDisallowedError,
    );
    expect((await fetcher.fetch(`${robotsHuge.origin}/ok`)).status).toBe(200);
  });

  it('can be switched off', async () => {
    expect(
      (await createTestFetcher({ respectRobots: false }).fetch(`${server.origin}/forbidden`)).status,
    ).toBe(200);
  });
});

describe('HttpFetcher: lifecycle', () => {
  it('aborts through the signal with AbortedError', async () => {
    const fetcher = createTestFetcher({ timeoutMs: 20_000, headersTimeoutMs: 20_000 });
    const controller = new AbortController();
    const pending = fetcher.fetch(`${server.origin}/no-headers`, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await failure(pending);
    expect(error).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(5000);
    const already = await failure(fetcher.fetch(`${server.origin}/ok`, { signal: AbortSignal.abort() }));
    expect(already).toBeInstanceOf(AbortedError);
  });

  it('validates options with clear TypeErrors', () => {
    expect(() => new HttpFetcher({ maxBodyBytes: -1 })).toThrow(
      'Expected `maxBodyBytes` to be a positive integer, got `-1`',
    );
    expect(() => new HttpFetcher({ maxRedirects: 1.5 })).toThrow(TypeError);
    expect(() => new HttpFetcher({ userAgent: 'a\r\nb' })).toThrow(TypeError);
    expect(() => new HttpFetcher({ allow: 'http://x' })).toThrow(TypeError);
  });

  it('closes idempotently and refuses fetches after close', async () => {
    const fetcher = createTestFetcher();
    await fetcher.fetch(`${server.origin}/ok`);
    const first = fetcher.close();
    expect(fetcher.close()).toBe(first);
    await first;
    expect(await failure(fetcher.fetch(`${server.origin}/ok`))).toBeInstanceOf(AbortedError);
  });

  it('never asked the system resolver: every name went through the injected lookup', () => {
    expect(lookups.every((name) => name.endsWith('.test') || name === 'localhost')).toBe(true);
  });
});
