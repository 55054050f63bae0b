/**
 * Per-job headers and cookies end to end (issue 20): sent to the job's own host and by cookie
 * rules, dropped across a redirect to another host, never in clear in the SQLite files, the API's
 * answers or the event log; refused without DISTILL_SECRET_KEY; a process with another key stops
 * at start.
 */
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/lib/index.js';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { TEST_SERVER_ENV } from '../helpers/server-env.js';

const KEY = '0123456789abcdef'.repeat(4);
const TOKEN = 'Bearer tok-7f3a9c1e5b';
const COOKIE = 'sess-42d8e0b6a1';

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
}

let own: Server;
let other: Server;
let ownPort: number;
let otherPort: number;
const seen: { own: Seen[]; other: Seen[] } = { own: [], other: [] };
let testApp: TestApp | undefined;
let dir: string;
let app: App;

function page(title: string): string {
  return `<html><head><title>${title}</title></head><body><article><p>${title} is a page with enough words to be a document of its own.</p></article></body></html>`;
}

async function site(
  record: Seen[],
  handle: (path: string) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<[Server, number]> {
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path !== '/robots.txt') record.push({ path, headers: request.headers });
    const answer = path === '/robots.txt' ? { status: 404 } : handle(path);
    response.writeHead(answer.status, { 'content-type': 'text/html; charset=utf-8', ...answer.headers });
    response.end(answer.body ?? '');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return [server, (server.address() as AddressInfo).port];
}

function configFor(database: string, env: Record<string, string> = {}) {
  return loadConfig({
    ...TEST_SERVER_ENV,
    PORT: '0',
    DISTILL_DATABASE_URL: `sqlite:${database}`,
    DISTILL_FETCH_ALLOW: `127.0.0.1:${ownPort},127.0.0.1:${otherPort}`,
    DISTILL_EXTRACT_THREADS: '1',
    DISTILL_MAX_ATTEMPTS: '1',
    DISTILL_LOG_LEVEL: 'silent',
    DISTILL_RENDER_DEFAULT: 'never',
    ...env,
  });
}

async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; text: string; json: Record<string, unknown> }> {
  const response = await fetch(`${base}${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}

async function waitForJob(base: string, id: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { json } = await call(base, 'GET', `/v1/jobs/${id}`);
    if (json.status === 'completed') return json;
    if (Date.now() > deadline) throw new Error(`job ${id} did not complete: ${JSON.stringify(json)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  [other, otherPort] = await site(seen.other, () => ({ status: 200, body: page('Elsewhere') }));
  [own, ownPort] = await site(seen.own, (path) =>
    path === '/away'
      ? { status: 302, headers: { location: `http://localhost:${otherPort}/landing` } }
      : { status: 200, body: page(`Members ${path}`) },
  );
  testApp = await startFetchingApp(
    {
      DISTILL_FETCH_ALLOW: `127.0.0.1:${ownPort},localhost:${otherPort},127.0.0.1:${otherPort}`,
      DISTILL_EXTRACT_THREADS: '1',
      DISTILL_MAX_ATTEMPTS: '1',
      DISTILL_RENDER_DEFAULT: 'never',
      DISTILL_SECRET_KEY: KEY,
    },
    { prefix: 'distill-secrets-' },
  );
  ({ app, dir } = testApp);
});

afterAll(async () => {
  await testApp?.close();
  for (const server of [own, other]) {
    server?.closeAllConnections();
    server?.close();
  }
});

describe('per-job headers and cookies', () => {
  let jobId: string;

  it("sends them to the job's own host, by cookie rules, and not across a redirect to another host", async () => {
    const submitted = await call(app.url!, 'POST', '/v1/jobs', {
      urls: [`http://127.0.0.1:${ownPort}/account`, `http://127.0.0.1:${ownPort}/away`],
      options: {
        headers: { Authorization: TOKEN, 'X-Tenant': 'acme' },
        cookies: [
          { name: 'sid', value: COOKIE, domain: '127.0.0.1' },
          { name: 'other', value: 'x1', domain: '127.0.0.1', path: '/elsewhere' },
        ],
      },
    });
    expect(submitted.status, submitted.text).toBe(202);
    jobId = (submitted.json.job as { id: string }).id;
    const job = await waitForJob(app.url!, jobId);
    expect((job.counts as Record<string, number>).succeeded).toBe(2);

    const account = seen.own.find((s) => s.path === '/account');
    expect(account?.headers.authorization).toBe(TOKEN);
    expect(account?.headers['x-tenant']).toBe('acme');
    expect(account?.headers.cookie).toBe(`sid=${COOKIE}`);
    const landing = seen.other.find((s) => s.path === '/landing');
    expect(landing).toBeDefined();
    expect(landing?.headers.authorization).toBeUndefined();
    expect(landing?.headers['x-tenant']).toBeUndefined();
    // The cookie's domain is 127.0.0.1; the redirect went to localhost.
    expect(landing?.headers.cookie).toBeUndefined();
  });

  it('shows them as [set] in the API and the event log, never their values', async () => {
    const job = await call(app.url!, 'GET', `/v1/jobs/${jobId}`);
    expect((job.json.options as Record<string, unknown>).headers).toEqual({
      Authorization: '[set]',
      'X-Tenant': '[set]',
    });
    expect((job.json.options as Record<string, unknown>).cookies).toEqual([
      { name: 'sid', domain: '127.0.0.1', path: '/', value: '[set]' },
      { name: 'other', domain: '127.0.0.1', path: '/elsewhere', value: '[set]' },
    ]);
    const listing = await call(app.url!, 'GET', '/v1/jobs');
    const events = await call(app.url!, 'GET', `/v1/events?jobId=${jobId}`);
    expect(events.status).toBe(200);
    expect(events.text).toContain('[set]');
    for (const text of [job.text, listing.text, events.text]) {
      expect(text).not.toContain('tok-7f3a9c1e5b');
      expect(text).not.toContain(COOKIE);
      expect(text).not.toContain('v1.');
    }
  });

  it('never writes them in clear to the SQLite files (database, WAL)', async () => {
    await app.stop();
    const files = readdirSync(dir).filter((name) => name.startsWith('distill.db'));
    expect(files).toContain('distill.db');
    for (const name of files) {
      const bytes = readFileSync(join(dir, name));
      expect(bytes.includes('tok-7f3a9c1e5b'), name).toBe(false);
      expect(bytes.includes(COOKIE), name).toBe(false);
      expect(bytes.includes('acme'), name).toBe(false);
    }
    // The job's row does hold a sealed box (or the test above proved nothing).
    expect(readFileSync(join(dir, 'distill.db')).includes('"box":"v1.')).toBe(true);
  });

  it('stops a process started with another key on the same database', async () => {
    const wrong = new App(configFor(join(dir, 'distill.db'), { DISTILL_SECRET_KEY: 'f'.repeat(64) }), {
      role: 'serve',
      logger: silentLogger,
    });
    await expect(wrong.start()).rejects.toThrow(/DISTILL_SECRET_KEY is not the key this database/);
    await wrong.stop();
  });

  it('refuses them without a key, and refuses forbidden headers', async () => {
    const keyless = new App(configFor(join(dir, 'keyless.db')), { role: 'serve', logger: silentLogger });
    await keyless.start();
    try {
      const refused = await call(keyless.url!, 'POST', '/v1/jobs', {
        urls: [`http://127.0.0.1:${ownPort}/a`],
        options: { headers: { Authorization: TOKEN } },
      });
      expect(refused.status).toBe(400);
      expect(refused.json.code).toBe('secret_key_missing');
      expect(refused.json.detail).toMatch(/DISTILL_SECRET_KEY/);
      expect(refused.text).not.toContain('tok-7f3a9c1e5b');
    } finally {
      await keyless.stop();
    }
    const keyed = new App(configFor(join(dir, 'distill.db'), { DISTILL_SECRET_KEY: KEY }), {
      role: 'api',
      logger: silentLogger,
    });
    await keyed.start();
    try {
      for (const name of ['Host', 'Content-Length', 'Connection', 'Transfer-Encoding']) {
        const refused = await call(keyed.url!, 'POST', '/v1/jobs', {
          urls: [`http://127.0.0.1:${ownPort}/a`],
          options: { headers: { [name]: 'x' } },
        });
        expect(refused.status, name).toBe(400);
        expect(refused.json.code).toBe('invalid_request_secret');
      }
    } finally {
      await keyed.stop();
    }
  });
});
