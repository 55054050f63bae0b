/**
 * `DISTILL_DNS_SERVERS` end to end: the app's fetcher resolves with the configured server (a test
 * server on loopback), and what a refused name resolved to is in neither the API's problem nor the
 * stored item's error.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.js';

let site: Server;
let port: number;
let dns: TestDnsServer;
let server: TestApp | undefined;
let app: App;

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url!}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  site = createServer((request, response) => {
    if (request.url === '/robots.txt') {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(
      '<html><head><title>Resolved by the test server</title></head><body><p>Hello from the allowed address.</p></body></html>',
    );
  });
  site.listen(0, '127.0.0.1');
  await once(site, 'listening');
  port = (site.address() as AddressInfo).port;
  dns = await startDnsServer((name, type) => {
    if (type === 'AAAA') return [];
    if (name === 'site.test') return ['127.0.0.1'];
    if (name === 'vm.test') return ['127.0.0.9'];
    return undefined;
  });
  server = await startFetchingApp(
    {
      DISTILL_FETCH_ALLOW: `127.0.0.1:${port}`,
      DISTILL_DNS_SERVERS: dns.address,
      DISTILL_EXTRACT_THREADS: '1',
      DISTILL_MAX_ATTEMPTS: '1',
      DISTILL_RENDER_DEFAULT: 'never',
    },
    { prefix: 'distill-dns-' },
  );
  app = server.app;
});

afterAll(async () => {
  await server?.close();
  await dns?.close();
  site?.closeAllConnections();
  site?.close();
});

describe('DISTILL_DNS_SERVERS', () => {
  it('is read from the environment and the flag, and checked', () => {
    expect(loadConfig({ DISTILL_DNS_SERVERS: '127.0.0.1:5353, ::1' }).dnsServers).toBe('127.0.0.1:5353, ::1');
    expect(loadConfig({}, new Map([['--dns-servers', '[::1]:53']])).dnsServers).toBe('[::1]:53');
    expect(() => loadConfig({ DISTILL_DNS_SERVERS: 'dns.example' })).toThrow(ConfigError);
  });

  it('resolves the names of fetched URLs with the configured servers', async () => {
    const done = await post('/v1/extract', { url: `http://site.test:${port}/page` });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.title).toBe('Resolved by the test server');
    expect(dns.queries).toContain('A site.test');
  });

  it('refuses a name that resolves to a private address without saying the address, in the problem and the stored item', async () => {
    const refused = await post('/v1/extract', { url: `http://vm.test:${port}/` });
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('blocked_address');
    expect(JSON.stringify(refused.body)).not.toContain('127.0.0.9');
    expect(refused.body.detail).toMatch(/vm\.test: the name resolves to a loopback address/);
    const items = await (await fetch(`${app.url!}/v1/jobs/${refused.body.jobId as string}/items`)).text();
    expect(items).toContain('blocked_address');
    expect(items).not.toContain('127.0.0.9');
  });
});
