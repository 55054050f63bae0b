/**
 * Proxy pools end to end (issue 20) through real tinyproxy processes: rotation seen in which proxy
 * each fetch went through, Basic credentials, a proxy that dies mid-job (ejected, its items retried
 * through the other, none lost), and the private-network guard still deciding: zero connections to
 * a loopback canary that is not allowed, whether asked for directly or reached by a redirect.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { hasTinyproxy, startTinyproxy, type TestProxy } from '../helpers/tinyproxy.js';

let site: Server;
let sitePort: number;
let canary: Server;
let canaryPort: number;
let canaryConnections = 0;
const wallsServed = new Set<string>();
const proxies: TestProxy[] = [];
let testApp: TestApp | undefined;
let app: App;

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

async function runJob(
  urls: string[],
  options: Record<string, unknown>,
): Promise<{
  job: Record<string, unknown>;
  items: Array<Record<string, unknown>>;
  results: Array<Record<string, unknown>>;
}> {
  const submitted = await call('POST', '/v1/jobs', { urls, options: { maxAge: 0, ...options } });
  expect(submitted.status, JSON.stringify(submitted.json)).toBe(202);
  const id = (submitted.json.job as { id: string }).id;
  const deadline = Date.now() + 60_000;
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

function connectsTo(proxy: TestProxy, port: number): number {
  return proxy.requests().filter((line) => line.startsWith(`CONNECT 127.0.0.1:${port} `)).length;
}

describe.skipIf(!hasTinyproxy)('proxy pools through tinyproxy', () => {
  beforeAll(async () => {
    site = createServer((request, response) => {
      if (request.url === '/robots.txt') return void response.writeHead(404).end();
      const wall =
        '<html><head><title>Just a moment...</title></head><body><script>window._cf_chl_opt={}</script></body></html>';
      if (request.url === '/wall')
        return void response.writeHead(403, { 'content-type': 'text/html' }).end(wall);
      if (request.url === '/wall-once' && !wallsServed.has('/wall-once')) {
        wallsServed.add('/wall-once');
        return void response.writeHead(403, { 'content-type': 'text/html' }).end(wall);
      }
      if (request.url === '/members')
        return void response.writeHead(302, { location: '/login?next=/members' }).end();
      if (request.url?.startsWith('/to-canary') === true)
        return void response.writeHead(302, { location: `http://127.0.0.1:${canaryPort}/secret` }).end();
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(
        `<html><head><title>Page ${request.url}</title></head><body><article><p>Page ${request.url} has words enough to be kept as a document.</p></article></body></html>`,
      );
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    sitePort = (site.address() as AddressInfo).port;
    canary = createServer((_request, response) => response.end('canary'));
    canary.on('connection', () => (canaryConnections += 1));
    canary.listen(0, '127.0.0.1');
    await once(canary, 'listening');
    canaryPort = (canary.address() as AddressInfo).port;

    proxies.push(
      await startTinyproxy(),
      await startTinyproxy(),
      await startTinyproxy({ user: 'crawler', password: 's3cret' }),
    );
    const [a, b, authed] = proxies as [TestProxy, TestProxy, TestProxy];
    const pools = [
      {
        name: 'main',
        rotation: 'round_robin',
        proxies: [
          { name: 'a', url: a.url },
          { name: 'b', url: b.url },
        ],
        ejectAfterFailures: 1,
        ejectForMs: 600_000,
      },
      {
        name: 'sticky',
        rotation: 'sticky_host',
        proxies: [
          { name: 'a', url: a.url },
          { name: 'b', url: b.url },
        ],
      },
      { name: 'authed', proxies: [{ name: 'authed', url: authed.url }] },
      {
        name: 'wrong-password',
        proxies: [{ name: 'authed-wrong', url: authed.url.replace('s3cret', 'nope') }],
      },
    ];
    testApp = await startFetchingApp(
      {
        // Only the site: the canary (same address, another port) is not allowed, and the proxies are
        // reachable only because DISTILL_PROXY_POOLS names them.
        DISTILL_FETCH_ALLOW: `127.0.0.1:${sitePort}`,
        DISTILL_PROXY_POOLS: JSON.stringify(pools),
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_MAX_ATTEMPTS: '3',
        DISTILL_RENDER_DEFAULT: 'never',
        DISTILL_HOST_RATE: '1000',
        DISTILL_HOST_BURST: '100',
      },
      { prefix: 'distill-proxies-' },
    );
    app = testApp.app;
  });

  afterAll(async () => {
    await testApp?.close();
    for (const proxy of proxies) await proxy.stop();
    for (const server of [site, canary]) {
      server?.closeAllConnections();
      server?.close();
    }
  });

  it('rotates round robin: each proxy tunnels half the fetches, and each document names its proxy', async () => {
    const [a, b] = proxies as [TestProxy, TestProxy];
    const urls = [1, 2, 3, 4].map((n) => `http://127.0.0.1:${sitePort}/rr-${n}`);
    const { results } = await runJob(urls, { proxyPool: 'main' });
    expect(results).toHaveLength(4);
    const names = results.map((r) => (r.quality as Record<string, unknown>).proxy as string).sort();
    expect(names).toEqual(['a', 'a', 'b', 'b']);
    expect(connectsTo(a, sitePort)).toBeGreaterThanOrEqual(1);
    expect(connectsTo(b, sitePort)).toBeGreaterThanOrEqual(1);
    for (const r of results) expect(JSON.stringify(r)).not.toContain(String(a.port));
  });

  it('keeps one proxy per host under sticky_host', async () => {
    const urls = [1, 2, 3, 4].map((n) => `http://127.0.0.1:${sitePort}/sticky-${n}`);
    const { results } = await runJob(urls, { proxyPool: 'sticky' });
    const names = new Set(results.map((r) => (r.quality as Record<string, unknown>).proxy));
    expect(names.size).toBe(1);
  });

  it('sends Basic credentials, and fails with proxy_error when the proxy refuses them', async () => {
    const ok = await runJob([`http://127.0.0.1:${sitePort}/authed`], { proxyPool: 'authed' });
    expect((ok.job.counts as Record<string, number>).succeeded).toBe(1);
    const refused = await runJob([`http://127.0.0.1:${sitePort}/refused`], {
      proxyPool: 'wrong-password',
      maxAttempts: 1,
    });
    expect(refused.items[0]?.state).toBe('failed');
    expect((refused.items[0]?.error as { code: string; message: string }).code).toBe('proxy_error');
    expect((refused.items[0]?.error as { message: string }).message).toMatch(/credentials|40[17]/);
    expect(JSON.stringify(refused.items)).not.toContain('nope');
  });

  it('makes zero connections to a canary the guard refuses, asked for directly or by a redirect, through every proxy', async () => {
    for (const pool of ['main', 'sticky', 'authed']) {
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
    for (const proxy of proxies) expect(connectsTo(proxy, canaryPort)).toBe(0);
  });

  it('ejects a proxy that dies mid-job and retries its items through the other, losing none', async () => {
    const [a] = proxies as [TestProxy, TestProxy];
    await a.stop();
    const urls = [1, 2, 3, 4, 5, 6].map((n) => `http://127.0.0.1:${sitePort}/after-death-${n}`);
    const { job, results } = await runJob(urls, { proxyPool: 'main' });
    expect((job.counts as Record<string, number>).succeeded).toBe(6);
    expect(results.map((r) => (r.quality as Record<string, unknown>).proxy)).toEqual([
      'b',
      'b',
      'b',
      'b',
      'b',
      'b',
    ]);
  });

  it('recognises a bot wall and a login redirect instead of making documents of them, with hints', async () => {
    const { items } = await runJob(
      [`http://127.0.0.1:${sitePort}/wall`, `http://127.0.0.1:${sitePort}/members`],
      { proxyPool: 'authed' },
    );
    const errors = items.map((i) => i.error as { code: string; message: string });
    expect(items.map((i) => i.state)).toEqual(['failed', 'failed']);
    expect(errors[0]?.code).toBe('blocked_by_site');
    expect(errors[0]?.message).toMatch(/cloudflare_challenge.*another proxy pool/);
    expect(errors[1]?.code).toBe('login_required');
    expect(errors[1]?.message).toMatch(/options\.cookies/);
  });

  it("gives a page that met a wall one more try through the job's onBlocked pool", async () => {
    const { results } = await runJob([`http://127.0.0.1:${sitePort}/wall-once`], {
      proxyPool: 'main',
      onBlocked: { proxyPool: 'authed' },
    });
    expect(results).toHaveLength(1);
    const quality = results[0]?.quality as Record<string, unknown>;
    expect(quality.proxyPool).toBe('authed');
    expect(quality.blockedFirst).toBe('cloudflare_challenge');
    expect(String(results[0]?.title)).not.toMatch(/just a moment/i);
  });
});
