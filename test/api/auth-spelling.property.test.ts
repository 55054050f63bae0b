import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../../src/auth/index.js';
import { checkWebhookUrl } from '../../src/events/sinks/webhook/index.js';
import { parseAllowList } from '../../src/fetch/index.js';
import type { ApiDependencies } from '../../src/api/index.js';
import { createHarness, type Harness } from '../helpers/api-harness.js';

// The auth bypass of issue 23: `/%76%31/jobs` or `GET http://host/v1/events` reached the API without
// a key. Every spelling of every documented /v1/ route is sent over a real socket (inject would
// normalise the target first) and must be refused with 401, or counted by the rate limiter.

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}

let harness: Harness;
let port: number;
let secret: string;
/** Every documented /v1/ route, with a made-up id in place of each parameter. */
let routes: Array<{ method: string; path: string }>;

beforeAll(async () => {
  let keys: ApiKeys | undefined;
  harness = await createHarness({
    isPoolStarted: false,
    api: { rateLimit: 3, rateLimitWindowMs: 600_000 },
    deps: (store) => {
      keys = new ApiKeys({ store: store.repository, cacheTtlMs: 0 });
      const events: ApiDependencies['events'] = {
        listEventLog: (o) => store.repository.listEventLog(o),
        listWebhookDeliveries: (jobId, o) => store.repository.listWebhookDeliveries(jobId, o),
        replayWebhookDelivery: (jobId, id) => store.repository.replayWebhookDelivery(jobId, id, 60_000),
        replayFailedWebhookDeliveries: (jobId) =>
          store.repository.replayFailedWebhookDeliveries(jobId, 60_000),
        checkWebhookUrl: (url) => checkWebhookUrl(url, { allow: parseAllowList('') }),
      };
      return { keys, events };
    },
  });
  ({ secret } = await keys!.create({ tenant: 'acme' }));
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  port = (harness.app.server.address() as AddressInfo).port;
  const spec = (await harness.app.inject({ url: '/openapi.json' })).json<{
    paths: Record<string, Record<string, unknown>>;
  }>();
  routes = Object.entries(spec.paths)
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, methods]) =>
      Object.keys(methods)
        .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({
          method: method.toUpperCase(),
          path: path.replace(/\{[^}]+\}/g, '0198f00d-0000-7000-8000-000000000000'),
        })),
    );
});

afterAll(async () => {
  await harness?.close();
});

function send(method: string, target: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method, path: target, headers, agent: false },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(method === 'GET' || method === 'DELETE' ? undefined : '{}');
  });
}

/** Percent-escapes one character, in upper- or lower-case hex. */
function escape(char: string, isLower: boolean): string {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return `%${isLower ? hex : hex.toUpperCase()}`;
}

/** Another spelling of `path` that names the same resource: what the router could once be fooled by. */
const spelling = (path: string) =>
  fc
    .record({
      escapes: fc.array(fc.boolean(), { minLength: path.length, maxLength: path.length }),
      isLowerHex: fc.boolean(),
      extraSlashes: fc.array(fc.integer({ min: 0, max: 2 }), {
        minLength: path.split('/').length,
        maxLength: path.split('/').length,
      }),
      dotSegment: fc.constantFrom('', '/.', '/x/..', '/%2e', '/x/%2E%2E', '/./x/../'),
      isAbsolute: fc.boolean(),
      isUpperV: fc.boolean(),
    })
    .map(({ escapes, isLowerHex, extraSlashes, dotSegment, isAbsolute, isUpperV }) => {
      const cased = isUpperV ? `/V1${path.slice(3)}` : path;
      const escaped = [...cased]
        .map((char, i) => (char !== '/' && escapes[i] ? escape(char, isLowerHex) : char))
        .join('');
      const segments = escaped.split('/');
      const slashed = segments
        .map((segment, i) => (i === 0 ? segment : '/'.repeat(extraSlashes[i] ?? 0) + segment))
        .join('/');
      const withDots = dotSegment === '' ? slashed : dotSegment.replace(/\/$/, '') + slashed;
      return isAbsolute ? `http://127.0.0.1:${port}${withDots}` : withDots;
    });

describe('auth decides from the routed path, whatever the spelling', () => {
  it('lists the routes it attacks', () => {
    expect(routes.length).toBeGreaterThan(10);
    expect(routes).toContainEqual({ method: 'POST', path: '/v1/jobs' });
    expect(routes).toContainEqual({ method: 'GET', path: '/v1/events' });
  });

  it('answers 401 without a key to every spelling of every /v1/ route', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...routes)
          .chain((route) => spelling(route.path).map((target) => ({ ...route, target }))),
        async ({ method, target }) => {
          const answer = await send(method, target, { 'content-type': 'application/json' });
          expect({ target, status: answer.status }).toEqual({ target, status: 401 });
        },
      ),
      { numRuns: 400 },
    );
    // The tester's own spellings, always.
    for (const target of [
      '/%76%31/jobs',
      `http://127.0.0.1:${port}/v1/events`,
      '//v1/jobs',
      '/v1/./jobs',
      '/V1/jobs',
      '/x/%2e%2e/v1/jobs',
    ]) {
      expect({ target, status: (await send('GET', target)).status }).toEqual({ target, status: 401 });
    }
    expect((await send('POST', '/%76%31/jobs', { 'content-type': 'application/json' })).status).toBe(401);
    // Outside the API nothing asks for a key.
    expect((await send('GET', '/%68ealthz')).status).toBe(200);
  });

  it('counts every spelling against the key’s rate limit, and refuses them all at the limit', async () => {
    const auth = { authorization: `Bearer ${secret}` };
    const answers = [
      await send('GET', '/v1/jobs', auth),
      await send('GET', '/%76%31/jobs', auth),
      await send('GET', `http://127.0.0.1:${port}/v1/jobs`, auth),
    ];
    expect(answers.map((a) => [a.status, a.headers['ratelimit-remaining']])).toEqual([
      [200, '2'],
      [200, '1'],
      [200, '0'],
    ]);
    for (const target of ['/v1/jobs', '/%76%31/jobs', `http://127.0.0.1:${port}/v1/events`, '//v1//jobs']) {
      expect({ target, status: (await send('GET', target, auth)).status }).toEqual({ target, status: 429 });
    }
  });
});
