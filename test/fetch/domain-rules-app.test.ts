/**
 * Per-domain settings over the API (issue 20): rules put through `/v1/domains` and from
 * DISTILL_DOMAINS change what a local site sees — how many requests it gets at once and how fast,
 * which hosts get a rule's header (sealed in the database, "[set]" in answers), whether robots.txt
 * is obeyed, how long a fetch may take — and each document names the rule that applied. Hosts are
 * names under `localhost` (loopback by definition), one site behind them all.
 */
import { once } from 'node:events';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { startFetchingApp } from '../helpers/app-server.js';

const TOKEN = 'tok-5f1e9c2a';
let site: Server;
let port: number;
let dir: string;
let app: App;
const current = new Map<string, number>();
const maxConcurrent = new Map<string, number>();
const seen: Array<{ host: string; path: string; token: string | undefined; at: number }> = [];

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
  const text = await response.text();
  return { status: response.status, json: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
}

async function runJob(
  urls: string[],
  options: Record<string, unknown> = {},
): Promise<{ items: Array<Record<string, unknown>>; results: Array<Record<string, unknown>> }> {
  const submitted = await call('POST', '/v1/jobs', { urls, options: { maxAge: 0, ...options } });
  expect(submitted.status, JSON.stringify(submitted.json)).toBe(202);
  const id = (submitted.json.job as { id: string }).id;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const { json } = await call('GET', `/v1/jobs/${id}`);
    if (json.status === 'completed') {
      const items = (await call('GET', `/v1/jobs/${id}/items?limit=100`)).json.items as Array<
        Record<string, unknown>
      >;
      const results = (await call('GET', `/v1/jobs/${id}/results?limit=100`)).json.items as Array<
        Record<string, unknown>
      >;
      return { items, results };
    }
    if (Date.now() > deadline) throw new Error(`job ${id} did not complete: ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const url = (host: string, path: string): string => `http://${host}:${port}${path}`;
const ruleOf = (r: Record<string, unknown>): unknown => (r.quality as Record<string, unknown>).domainRule;
const codeOf = (i: Record<string, unknown>): unknown => (i.error as { code?: string } | null)?.code;

describe('per-domain settings', () => {
  beforeAll(async () => {
    site = createServer((request, response) => {
      const host = (request.headers.host ?? '').replace(/:\d+$/, '');
      const path = request.url ?? '/';
      const token = request.headers['x-token'];
      seen.push({ host, path, token: typeof token === 'string' ? token : undefined, at: Date.now() });
      if (path === '/robots.txt') {
        if (host === 'robots.localhost')
          return void response
            .writeHead(200, { 'content-type': 'text/plain' })
            .end('User-agent: *\nDisallow: /\n');
        return void response.writeHead(404).end();
      }
      if (path === '/redirect-out')
        return void response.writeHead(302, { location: url('other.localhost', '/landing') }).end();
      current.set(host, (current.get(host) ?? 0) + 1);
      maxConcurrent.set(host, Math.max(maxConcurrent.get(host) ?? 0, current.get(host)!));
      const delayMs = path === '/hang' ? 5000 : path.startsWith('/slow') ? 300 : 0;
      setTimeout(() => {
        current.set(host, current.get(host)! - 1);
        if (response.destroyed) return;
        response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        response.end(
          `<html><head><title>${host}${path}</title></head><body><article><p>The page ${path} of ${host} has words enough to be kept as a document.</p></article></body></html>`,
        );
      }, delayMs);
    });
    site.listen(0, '127.0.0.1');
    await once(site, 'listening');
    port = (site.address() as AddressInfo).port;
    ({ app, dir } = await startFetchingApp(
      {
        DISTILL_FETCH_ALLOW: `127.0.0.1:${port}`,
        DISTILL_SECRET_KEY: 'a'.repeat(64),
        DISTILL_DOMAINS: JSON.stringify([{ pattern: 'cfg.localhost', concurrency: 1 }]),
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_MAX_ATTEMPTS: '1',
        DISTILL_RENDER_DEFAULT: 'never',
        DISTILL_HOST_RATE: '1000',
        DISTILL_HOST_BURST: '100',
        DISTILL_HOST_CONCURRENCY: '8',
        DISTILL_CONCURRENCY: '8',
      },
      { prefix: 'distill-domains-' },
    ));
  });

  afterAll(async () => {
    await app?.stop();
    site?.closeAllConnections();
    site?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad rules with invalid_domain_rule naming the field, and unknown ones with domain_rule_not_found', async () => {
    const bad: Array<[string, unknown, string]> = [
      ['/v1/domains/not%20a%20host', {}, '/pattern'],
      ['/v1/domains/example.com', { ratePerSecond: -1 }, '/ratePerSecond'],
      ['/v1/domains/example.com', { concurrency: 1.5 }, '/concurrency'],
      ['/v1/domains/example.com', { render: 'sometimes' }, '/render'],
      ['/v1/domains/example.com', { robots: 'maybe' }, '/robots'],
      ['/v1/domains/example.com', { proxyPool: 'nope' }, '/proxyPool'],
      ['/v1/domains/example.com', { headers: { Host: 'evil' } }, '/headers/Host'],
      ['/v1/domains/example.com', { speed: 3 }, '/speed'],
      // A `%` in the pattern (sent as %25) is a bad pattern, not a server error.
      ['/v1/domains/100%25.example', {}, '/pattern'],
    ];
    for (const [path, body, field] of bad) {
      const answer = await call('PUT', path, body);
      expect(answer.status, JSON.stringify(answer.json)).toBe(400);
      expect(answer.json.code).toBe('invalid_domain_rule');
      expect(answer.json.field).toBe(field);
    }
    expect((await call('GET', '/v1/domains/nothing.example')).json.code).toBe('domain_rule_not_found');
    const percent = await call('GET', '/v1/domains/%25');
    expect([percent.status, percent.json.code]).toEqual([400, 'invalid_domain_rule']);
    const deleted = await call('DELETE', '/v1/domains/nothing.example');
    expect([deleted.status, deleted.json.code]).toEqual([404, 'domain_rule_not_found']);
    // A configuration rule is listed, read-only.
    expect((await call('DELETE', '/v1/domains/cfg.localhost')).json.code).toBe('domain_rule_not_found');
    const listed = (await call('GET', '/v1/domains')).json.items as Array<Record<string, unknown>>;
    expect(listed).toContainEqual({ pattern: 'cfg.localhost', concurrency: 1, source: 'config' });
    // PUT /v1/domains with the pattern in the body creates (201), then replaces (200); DELETE removes.
    expect((await call('PUT', '/v1/domains', { pattern: 'Example.COM', timeoutMs: 1000 })).status).toBe(201);
    const replaced = await call('PUT', '/v1/domains/example.com', { timeoutMs: 2000 });
    expect([replaced.status, replaced.json.timeoutMs, replaced.json.pattern]).toEqual([
      200,
      2000,
      'example.com',
    ]);
    expect((await call('DELETE', '/v1/domains/example.com')).status).toBe(204);
    expect((await call('GET', '/v1/domains/example.com')).status).toBe(404);
  });

  it("holds a host to its rule's concurrency (1 at a time) while a host without a rule gets several", async () => {
    expect((await call('PUT', '/v1/domains/one.localhost', { concurrency: 1 })).status).toBe(201);
    const urls = [1, 2, 3, 4, 5, 6].flatMap((n) => [
      url('one.localhost', `/slow-${n}`),
      url('free.localhost', `/slow-${n}`),
      url('cfg.localhost', `/slow-${n}`),
    ]);
    const { items, results } = await runJob(urls);
    expect(items.every((i) => i.state === 'succeeded')).toBe(true);
    expect(maxConcurrent.get('one.localhost')).toBe(1);
    expect(maxConcurrent.get('cfg.localhost')).toBe(1);
    expect(maxConcurrent.get('free.localhost')).toBeGreaterThanOrEqual(2);
    const byHost = (host: string): unknown[] =>
      results.filter((r) => String(r.url).includes(`//${host}:`)).map(ruleOf);
    expect(byHost('one.localhost')).toEqual(Array(6).fill('one.localhost'));
    expect(byHost('cfg.localhost')).toEqual(Array(6).fill('cfg.localhost'));
    expect(byHost('free.localhost')).toEqual(Array(6).fill(undefined));
  });

  it("spaces a host's requests by its rule's rate (2 per second)", async () => {
    expect((await call('PUT', '/v1/domains/*.rate.localhost', { ratePerSecond: 2 })).status).toBe(201);
    const { items, results } = await runJob(
      [1, 2, 3, 4, 5, 6].map((n) => url('a.rate.localhost', `/p-${n}`)),
    );
    expect(items.every((i) => i.state === 'succeeded')).toBe(true);
    const times = seen
      .filter((s) => s.host === 'a.rate.localhost' && s.path.startsWith('/p-'))
      .map((s) => s.at);
    expect(times).toHaveLength(6);
    // 6 requests, a burst of 2 then 2 a second: about 2 s; the site-wide limit (1000/s) would take ms.
    expect(Math.max(...times) - Math.min(...times)).toBeGreaterThanOrEqual(1500);
    expect(results.map(ruleOf)).toEqual(Array(6).fill('*.rate.localhost'));
  });

  it("sends a rule's header only to the hosts it matches (not across a redirect, not to robots.txt), sealed at rest", async () => {
    const put = await call('PUT', '/v1/domains/*.hdr.localhost', { headers: { 'X-Token': TOKEN } });
    expect(put.status).toBe(201);
    expect(put.json.headers).toEqual({ 'X-Token': '[set]' });
    expect(JSON.stringify((await call('GET', '/v1/domains')).json)).not.toContain(TOKEN);
    const { items } = await runJob([
      url('a.hdr.localhost', '/page'),
      url('a.hdr.localhost', '/redirect-out'),
      url('plain.localhost', '/page'),
    ]);
    expect(items.every((i) => i.state === 'succeeded')).toBe(true);
    const tokenOf = (host: string, path: string): Array<string | undefined> =>
      seen.filter((s) => s.host === host && s.path === path).map((s) => s.token);
    expect(tokenOf('a.hdr.localhost', '/page')).toEqual([TOKEN]);
    expect(tokenOf('a.hdr.localhost', '/redirect-out')).toEqual([TOKEN]);
    expect(tokenOf('other.localhost', '/landing')).toEqual([undefined]);
    expect(tokenOf('plain.localhost', '/page')).toEqual([undefined]);
    expect(tokenOf('a.hdr.localhost', '/robots.txt').every((t) => t === undefined)).toBe(true);
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file)).includes(TOKEN)).toBe(false);
  });

  it("obeys robots.txt unless the host's rule says ignore", async () => {
    const before = await runJob([url('robots.localhost', '/page')]);
    expect(codeOf(before.items[0]!)).toBe('robots_disallowed');
    expect((await call('PUT', '/v1/domains/robots.localhost', { robots: 'ignore' })).status).toBe(201);
    const after = await runJob([url('robots.localhost', '/page-2')]);
    expect(after.items[0]?.state).toBe('succeeded');
    expect(after.results.map(ruleOf)).toEqual(['robots.localhost']);
  });

  it("gives a host its rule's timeout instead of the job's", async () => {
    expect((await call('PUT', '/v1/domains/hang.localhost', { timeoutMs: 500 })).status).toBe(201);
    const { items } = await runJob([url('hang.localhost', '/hang')], { timeoutMs: 30_000 });
    expect(items[0]?.state).toBe('failed');
    expect(codeOf(items[0]!)).toBe('timeout');
    expect(String((items[0]?.error as { message: string }).message)).toContain('500 ms');
  });
});
