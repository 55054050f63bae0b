/**
 * SOCKS5 proxies end to end (issue 20) through real servers from Debian: microsocks (no
 * authentication, and a username and password) and Dante's danted (`socks5h://`). Each document
 * names the proxy that fetched it; wrong credentials fail with `proxy_error` (the password in no
 * answer); the private-network guard still decides on the destination, so a loopback canary that
 * is not allowed gets zero connections, asked for directly or reached by a redirect, and no SOCKS
 * server logs a connection to it. The test fails, naming the package, when a server is missing.
 */
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { startFetchingApp } from '../helpers/app-server.js';
import { missingSocksServers, startDante, startMicrosocks, type TestSocksProxy } from '../helpers/socks.js';

let site: Server;
let sitePort: number;
let canary: Server;
let canaryPort: number;
let canaryConnections = 0;
let dir: string;
let app: App;
const servers: Record<string, TestSocksProxy> = {};

async function call(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${app.url!}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function submit(urls: string[], options: Record<string, unknown>): Promise<string> {
  const submitted = await call('POST', '/v1/jobs', { urls, options: { maxAge: 0, ...options } });
  expect(submitted.status, JSON.stringify(submitted.json)).toBe(202);
  return (submitted.json.job as { id: string }).id;
}

async function waitFor(
  id: string,
  timeoutMs = 120_000,
): Promise<{
  job: Record<string, unknown>;
  items: Array<Record<string, unknown>>;
  results: Array<Record<string, unknown>>;
}> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await call('GET', `/v1/jobs/${id}`);
    if (json.status === 'completed') {
      const items = (await call('GET', `/v1/jobs/${id}/items?limit=100`)).json.items as Array<
        Record<string, unknown>
      >;
      const results = (await call('GET', `/v1/jobs/${id}/results?limit=100`)).json.items as Array<
        Record<string, unknown>
      >;
      return { job: json, items, results };
    }
    if (Date.now() > deadline) throw new Error(`job ${id} did not complete: ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const runJob = async (urls: string[], options: Record<string, unknown>): ReturnType<typeof waitFor> =>
  waitFor(await submit(urls, options));
const proxyOf = (r: Record<string, unknown>): unknown => (r.quality as Record<string, unknown>).proxy;
const toPort = (server: TestSocksProxy, port: number): number =>
  server.connections().filter((c) => c === `127.0.0.1:${port}`).length;

describe('SOCKS5 proxies through microsocks and danted', () => {
  beforeAll(async () => {
    const missing = missingSocksServers();
    if (missing !== undefined) throw new Error(missing);
    site = createServer((request, response) => {
      if (request.url === '/robots.txt') return void response.writeHead(404).end();
      if (request.url?.startsWith('/to-canary') === true)
        return void response.writeHead(302, { location: `http://127.0.0.1:${canaryPort}/secret` }).end();
      const delayMs = request.url?.startsWith('/slow') === true ? 150 : 0;
      setTimeout(() => {
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          `<html><head><title>Page ${request.url}</title></head><body><article><p>Page ${request.url} has words enough to be kept as a document.</p></article></body></html>`,
        );
      }, delayMs);
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    sitePort = (site.address() as AddressInfo).port;
    canary = createServer((_request, response) => response.end('canary'));
    canary.on('connection', () => (canaryConnections += 1));
    canary.listen(0, '127.0.0.1');
    await once(canary, 'listening');
    canaryPort = (canary.address() as AddressInfo).port;

    servers.open = await startMicrosocks();
    servers.authed = await startMicrosocks({ user: 'crawler', password: 's3cret' });
    servers.dante = await startDante({ scheme: 'socks5h' });
    servers.one = await startMicrosocks();
    servers.two = await startMicrosocks();
    const pools = [
      { name: 'open', proxies: [{ name: 'ms-open', url: servers.open.url }] },
      { name: 'authed', proxies: [{ name: 'ms-authed', url: servers.authed.url }] },
      {
        name: 'wrong-password',
        proxies: [{ name: 'ms-wrong', url: servers.authed.url.replace('s3cret', 'nope') }],
      },
      {
        name: 'no-password',
        proxies: [{ name: 'ms-none', url: servers.authed.url.replace('crawler:s3cret@', '') }],
      },
      { name: 'dante', proxies: [{ name: 'dante', url: servers.dante.url }] },
      {
        name: 'pair',
        rotation: 'round_robin',
        ejectAfterFailures: 1,
        ejectForMs: 600_000,
        proxies: [
          { name: 'one', url: servers.one.url },
          { name: 'two', url: servers.two.url },
        ],
      },
    ];
    ({ app, dir } = await startFetchingApp(
      {
        // Only the site: the canary (same address, another port) is not allowed; the SOCKS servers
        // are reachable only because DISTILL_PROXY_POOLS names them.
        DISTILL_FETCH_ALLOW: `127.0.0.1:${sitePort}`,
        DISTILL_PROXY_POOLS: JSON.stringify(pools),
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_MAX_ATTEMPTS: '3',
        DISTILL_RENDER_DEFAULT: 'never',
        DISTILL_HOST_RATE: '1000',
        DISTILL_HOST_BURST: '100',
        DISTILL_HOST_CONCURRENCY: '8',
      },
      { prefix: 'distill-socks-' },
    ));
  });

  afterAll(async () => {
    await app?.stop();
    for (const server of Object.values(servers)) await server.stop();
    for (const server of [site, canary]) {
      server?.closeAllConnections();
      server?.close();
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fetches through a SOCKS5 proxy without authentication, the document naming the proxy', async () => {
    const { results } = await runJob(
      [1, 2].map((n) => `http://127.0.0.1:${sitePort}/open-${n}`),
      { proxyPool: 'open' },
    );
    expect(results.map(proxyOf)).toEqual(['ms-open', 'ms-open']);
    expect(results.map((r) => (r.quality as Record<string, unknown>).proxyPool)).toEqual(['open', 'open']);
    expect(toPort(servers.open!, sitePort)).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(JSON.stringify(r)).not.toContain(String(servers.open!.port));
  });

  it('fetches through socks5h:// (Dante), the address checked here being what the proxy connects to', async () => {
    const { results } = await runJob([`http://127.0.0.1:${sitePort}/dante`], { proxyPool: 'dante' });
    expect(results.map(proxyOf)).toEqual(['dante']);
    expect(toPort(servers.dante!, sitePort)).toBeGreaterThanOrEqual(1);
  });

  it('authenticates with username and password, and fails with proxy_error when they are wrong or missing', async () => {
    const ok = await runJob([`http://127.0.0.1:${sitePort}/authed`], { proxyPool: 'authed' });
    expect(ok.results.map(proxyOf)).toEqual(['ms-authed']);
    for (const pool of ['wrong-password', 'no-password']) {
      const refused = await runJob([`http://127.0.0.1:${sitePort}/refused-${pool}`], {
        proxyPool: pool,
        maxAttempts: 1,
      });
      expect(refused.items[0]?.state).toBe('failed');
      const error = refused.items[0]?.error as { code: string; message: string };
      expect(error.code).toBe('proxy_error');
      expect(error.message).toMatch(/credentials|authentication|refused/i);
      expect(JSON.stringify(refused.items)).not.toContain('nope');
      expect(JSON.stringify(refused.items)).not.toContain('s3cret');
    }
  });

  it('makes zero connections to a canary the guard refuses, asked for directly or by a redirect, through every SOCKS pool', async () => {
    for (const pool of ['open', 'authed', 'dante']) {
      const { items } = await runJob(
        [`http://127.0.0.1:${canaryPort}/direct-${pool}`, `http://127.0.0.1:${sitePort}/to-canary?${pool}`],
        { proxyPool: pool, maxAttempts: 1 },
      );
      expect(items.map((i) => (i.error as { code: string } | null)?.code)).toEqual([
        'blocked_address',
        'blocked_address',
      ]);
    }
    expect(canaryConnections).toBe(0);
    for (const server of Object.values(servers)) expect(toPort(server, canaryPort)).toBe(0);
  });

  it('ejects a proxy killed mid-job and retries its items through the other: 50 of 50 succeed', async () => {
    const urls = Array.from({ length: 50 }, (_, n) => `http://127.0.0.1:${sitePort}/slow-${n}`);
    const id = await submit(urls, { proxyPool: 'pair' });
    // Kill `one` once the job is well under way (some documents already fetched through each).
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { json } = await call('GET', `/v1/jobs/${id}`);
      const succeeded = (json.counts as Record<string, number>).succeeded ?? 0;
      if (succeeded >= 8) break;
      if (Date.now() > deadline) throw new Error(`the job did not start: ${JSON.stringify(json)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await servers.one!.stop();
    const { job, items, results } = await waitFor(id);
    expect((job.counts as Record<string, number>).succeeded).toBe(50);
    expect(items.every((i) => i.state === 'succeeded')).toBe(true);
    expect(results).toHaveLength(50);
    const byProxy = results.reduce<Record<string, number>>(
      (counts, r) => ({ ...counts, [String(proxyOf(r))]: (counts[String(proxyOf(r))] ?? 0) + 1 }),
      {},
    );
    expect(byProxy.one).toBeGreaterThanOrEqual(1);
    expect(byProxy.two).toBeGreaterThan(byProxy.one ?? 0);
    // Ejected after its first failure, rather than failing every item in turn: only the items in
    // flight through it when it died, or that picked it before the ejection, needed a second attempt.
    const retried = items.filter((i) => Number(i.attempts) > 1).length;
    expect(retried).toBeLessThanOrEqual(20);
    // Still ejected: a later job goes entirely through `two`, each item at its first attempt.
    const after = await runJob(
      [1, 2, 3, 4].map((n) => `http://127.0.0.1:${sitePort}/after-${n}`),
      { proxyPool: 'pair' },
    );
    expect(after.results.map(proxyOf)).toEqual(['two', 'two', 'two', 'two']);
    expect(after.items.map((i) => i.attempts)).toEqual([1, 1, 1, 1]);
  });
});
