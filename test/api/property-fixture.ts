import type { LookupAddress } from 'node:dns';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { API_ERROR_CODES, buildApi, createMetrics, createReadiness } from '../../src/api/index.js';
import type { EventsApi } from '../../src/api/index.js';
import { CrawlsService } from '../../src/crawls/index.js';
import { checkWebhookUrl } from '../../src/events/sinks/webhook/index.js';
import { parseAllowList } from '../../src/fetch/index.js';
import { JobsService } from '../../src/jobs/index.js';
import { SchedulesService } from '../../src/schedules/index.js';
import type { KyselyJobRepository } from '../../src/storage/index.js';
import { WorkerPool, type TaskFunction } from '../../src/worker/index.js';
import { createTestStore, defaultOptions, fakeDocument, waitFor, type TestStore } from '../helpers/store.js';
import { expectHealthy } from '../helpers/api-harness.js';

/**
 * The fixture and generators of the API property tests (property-*.test.ts): arbitrary bodies,
 * content types, query strings, path ids and headers on every route. Whatever comes in, the answer
 * is under 500; a 4xx is an `application/problem+json` whose `code` is documented and whose
 * `status` is the HTTP status; a 2xx body parses. After each property the server still answers
 * `/healthz` and takes a valid job.
 *
 * The API is the embedded one over a real SQLite store, with every optional route group (events,
 * webhooks, crawls, schedules, document versions, screenshots). No request leaves the machine: the
 * worker pool runs a task that makes a document without fetching, nothing publishes webhooks, and
 * webhook URLs are checked with a resolver that never asks DNS. fast-check prints the seed and the
 * shrunk request of a failure; `fc.assert(..., { seed, path })` replays it.
 */

/** Runs per property: enough variety, and the file stays well under a minute on two cores. */
export const RUNS = 150;
/** Small limits, so that the too-large and too-many paths are reached by small inputs. */
export const MAX_REQUEST_BYTES = 16 * 1024;
export const MAX_URLS_PER_REQUEST = 40;

export const API_CODES: readonly string[] = API_ERROR_CODES;

/** Every URL succeeds with a made-up document: nothing is fetched. */
export const makeDocument: TaskFunction = (item) =>
  Promise.resolve({ kind: 'succeeded', document: fakeDocument(item.url) });

/** A resolver that never leaves the process: `*.internal` is private, any other name is unresolvable. */
export function offlineLookup(hostname: string): Promise<LookupAddress[]> {
  if (hostname.endsWith('.internal')) return Promise.resolve([{ address: '10.0.0.1', family: 4 }]);
  return Promise.reject(new Error(`No DNS in this test (${hostname})`));
}

export interface Fixture {
  store: TestStore;
  pool: WorkerPool;
  app: FastifyInstance;
  jobIds: string[];
  documentIds: string[];
  scheduleIds: string[];
}

/** The event routes' service over a repository, webhook URLs checked offline. */
export function eventsApiOf(repository: KyselyJobRepository): EventsApi {
  const allow = parseAllowList(undefined);
  return {
    listEventLog: (o) => repository.listEventLog(o),
    listWebhookDeliveries: (jobId, o) => repository.listWebhookDeliveries(jobId, o),
    replayWebhookDelivery: (jobId, id) => repository.replayWebhookDelivery(jobId, id, 60_000),
    replayFailedWebhookDeliveries: (jobId) => repository.replayFailedWebhookDeliveries(jobId, 60_000),
    checkWebhookUrl: (url) => checkWebhookUrl(url, { allow, lookup: offlineLookup, lookupTimeoutMs: 200 }),
  };
}

export async function createFixture(): Promise<Fixture> {
  const store = await createTestStore();
  const pool = new WorkerPool({
    queue: store.queue,
    repository: store.repository,
    task: makeDocument,
    concurrency: 4,
    pollIntervalMs: 10,
    cancelCheckMs: 20,
    shutdownTimeoutMs: 100,
    backoff: { baseMs: 10, maxMs: 50 },
  });
  const onEnqueued = (): void => pool.notify();
  const jobs = new JobsService({
    repository: store.repository,
    queue: store.queue,
    defaults: defaultOptions,
    onEnqueued,
  });
  const crawls = new CrawlsService({
    jobs,
    maxPages: 50,
  });
  const schedules = new SchedulesService({
    repository: store.repository,
    jobs,
    startCrawl: (input) => crawls.start(input),
  });
  const events = eventsApiOf(store.repository);
  const checkUrl = (url: string): Promise<void> => events.checkWebhookUrl(url);
  const metrics = createMetrics({ depth: () => store.queue.depth(), hasDefaultMetrics: false });
  const app = buildApi(
    {
      jobs,
      repository: store.repository,
      metrics,
      readiness: createReadiness({
        database: () => store.repository.countItemsByState(),
        queue: () => store.queue.depth(),
      }),
      events,
      screenshots: store.repository,
      schedules,
      crawls: {
        start: (input) => crawls.start(input),
        settings: (input) => crawls.settings(input),
        checkWebhookUrl: checkUrl,
      },
      documentVersions: store.repository,
    },
    {
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxUrlsPerRequest: MAX_URLS_PER_REQUEST,
      extractTimeoutMs: 20_000,
      extractPollMs: 10,
      eventPollMs: 10,
    },
  );
  await app.ready();
  pool.start();

  // Real ids, so that the generated requests also reach handlers past their "not found" checks.
  const fixture: Fixture = { store, pool, app, jobIds: [], documentIds: [], scheduleIds: [] };
  for (const body of [
    {
      urls: ['http://127.0.0.1:9/a', 'http://127.0.0.1:9/b'],
      webhook: { url: 'https://hooks.example/x', secret: 's3cret' },
    },
    { urls: ['http://127.0.0.1:9/c'] },
  ]) {
    const response = await app.inject({ method: 'POST', url: '/v1/jobs', payload: body });
    expect(response.statusCode).toBe(202);
    fixture.jobIds.push(response.json<{ job: { id: string } }>().job.id);
  }
  const crawl = await app.inject({
    method: 'POST',
    url: '/v1/crawls',
    payload: { url: 'http://127.0.0.1:9/' },
  });
  expect(crawl.statusCode).toBe(202);
  fixture.jobIds.push(crawl.json<{ job: { id: string } }>().job.id);
  for (const jobId of fixture.jobIds) {
    await waitFor(
      async () => (await store.repository.getJob(jobId))?.status === 'completed',
      15_000,
      `job ${jobId} to complete`,
    );
    const items = await store.repository.listItems(jobId, { limit: 10 });
    for (const item of items.items) if (item.documentId) fixture.documentIds.push(item.documentId);
  }
  const schedule = await app.inject({
    method: 'POST',
    url: '/v1/schedules',
    payload: { urls: ['http://127.0.0.1:9/s'], intervalSeconds: 3600 },
  });
  expect(schedule.statusCode).toBe(201);
  fixture.scheduleIds.push(schedule.json<{ id: string }>().id);
  return fixture;
}

// ─── Arbitraries ───

/** Percent-encoded as a client would; a lone surrogate, which no client can encode, becomes `?`. */
export const encodeText = (text: string): string => encodeURIComponent(text.replaceAll(/[\uD800-\uDFFF]/g, '?'));

/** Any UTF-16 code unit, lone surrogates included. */
export const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));
export const anyText = fc.oneof(
  fc.string({ unit: codeUnit, maxLength: 60 }),
  fc.string({ unit: 'binary', maxLength: 60 }),
  fc.string(),
);
/** What an HTTP header value can carry: visible ASCII, space, tab and obs-text (0x80–0xFF). */
export const headerText = fc.string({
  unit: fc
    .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff }))
    .map((n) => String.fromCharCode(n)),
  maxLength: 300,
});
export const anyJson = fc.jsonValue({ maxDepth: 3 });

export const urlEntry = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.webUrl({
      withQueryParameters: true,
      withFragments: true,
      authoritySettings: { withPort: true, withIPv6: true, withUserInfo: true },
    }),
  },
  {
    weight: 2,
    arbitrary: fc.string({ maxLength: 20 }).map((s) => `http://127.0.0.1:9/${encodeURIComponent(s)}`),
  },
  { weight: 1, arbitrary: anyText },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'javascript:alert(1)',
      'file:///etc/passwd',
      'http://[::1',
      'http://a/%%41',
      'HTTP://EXAMPLE.com:80/#x',
      '',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('é', '中', 'a').map((c) => `http://a/${c.repeat(1400)}`) },
);
export const urlList = fc.oneof(
  { weight: 6, arbitrary: fc.array(urlEntry, { minLength: 1, maxLength: 8 }) },
  { weight: 1, arbitrary: fc.array(urlEntry, { minLength: 39, maxLength: 45 }) },
  { weight: 1, arbitrary: fc.constant([]) },
);

/** Mostly a value valid for the field, so that handlers are reached; else a near miss or anything. */
export const fieldValue = <T>(valid: fc.Arbitrary<T>, nearMisses: readonly unknown[] = []): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 1, arbitrary: nearMisses.length > 0 ? fc.constantFrom(...nearMisses) : anyJson },
    { weight: 1, arbitrary: anyJson },
  );

export const jobOptions = fc.record(
  {
    maxAge: fieldValue(fc.integer({ min: 0, max: 10 ** 12 }), [-1, 1.5, 1e300, '60']),
    formats: fieldValue(fc.subarray(['text', 'markdown', 'html', 'links'], { minLength: 1 }), [
      [],
      ['pdf'],
      Array(5).fill('text'),
    ]),
    timeoutMs: fieldValue(fc.integer({ min: 1000, max: 120_000 }), [0, 999, 120_001]),
    maxAttempts: fieldValue(fc.integer({ min: 1, max: 10 }), [0, 11]),
    render: fieldValue(fc.constantFrom('never', 'always', 'auto'), ['sometimes', '']),
    screenshot: fieldValue(fc.constantFrom('none', 'viewport', 'fullPage'), ['all', 'FULLPAGE']),
  },
  { requiredKeys: [] },
);
export const webhookUrl = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('https://hooks.example/x', 'http://hooks.example:8080/a?b=c') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'http://hooks.internal/x',
      'http://10.0.0.1/',
      'http://[::1]:8080/',
      'http://169.254.169.254/',
      'http://0x7f.1/',
      'http://user:pw@hooks.example/',
      'http://',
      'https://exa mple.com/',
      'http://%zz/',
    ),
  },
  { weight: 1, arbitrary: anyText.map((s) => `http://${s}`) },
);
export const webhook = fc.record(
  {
    url: fieldValue(webhookUrl, ['ftp://hooks.example/', `https://${'a'.repeat(2100)}`]),
    secret: fieldValue(fc.string({ minLength: 1, maxLength: 256 }), ['', 'x'.repeat(257)]),
  },
  { requiredKeys: ['url'] },
);
export const pattern = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('**', '/blog/*', '*.html', '/a/i', '/\\/docs\\//') },
  { weight: 1, arbitrary: fc.constantFrom('/(a+)+$/', '/[/', '/x/gimsuyz', '*'.repeat(400), '') },
  { weight: 1, arbitrary: anyText },
);
export const crawlInput = fc.record(
  {
    url: fieldValue(urlEntry),
    maxDepth: fieldValue(fc.integer({ min: 0, max: 100 }), [-1, 101]),
    // The fixture's crawls service allows 50 pages.
    maxPages: fieldValue(fc.integer({ min: 1, max: 50 }), [0, 51, 10 ** 9]),
    include: fieldValue(fc.array(pattern, { maxLength: 3 }), [Array(51).fill('**')]),
    exclude: fieldValue(fc.array(pattern, { maxLength: 3 }), [Array(51).fill('**')]),
    sameSite: fieldValue(fc.boolean()),
    useSitemap: fieldValue(fc.boolean()),
  },
  { requiredKeys: ['url'] },
);
export const cron = fieldValue(fc.constantFrom('*/5 * * * *', '0 0 * * *', '0 0 * * MON-FRI', '*/10 * * * * *'), [
  '0 0 31 2 *',
  '0 0 30 2 *',
  '61 * * * *',
  '@daily',
  'L W # ?',
  '* * * * * * *',
  '',
]);
export const timezone = fieldValue(fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Etc/GMT+14'), [
  'Mars/Olympus',
  'utc',
  '+05:00',
  '',
  'x'.repeat(65),
]);
export const intervalSeconds = fieldValue(fc.integer({ min: 60, max: 31_622_400 }), [0, 59, 31_622_401, 60.5]);
export const jobParts = { options: fieldValue(jobOptions), webhook: fieldValue(webhook) };

/** A schedule's body: one template form and one timing as a rule, several or none now and then. */
export const scheduleBody = fc
  .tuple(
    fc.record(
      { name: fieldValue(fc.string({ minLength: 1, maxLength: 200 }), ['', 'x'.repeat(201)]) },
      { requiredKeys: [] },
    ),
    fc.oneof(
      {
        weight: 3,
        arbitrary: fc.record({ urls: fieldValue(urlList), ...jobParts }, { requiredKeys: ['urls'] }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          jobTemplate: fieldValue(
            fc.record({ urls: fieldValue(urlList), ...jobParts }, { requiredKeys: ['urls'] }),
          ),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({ crawl: fieldValue(crawlInput), ...jobParts }, { requiredKeys: ['crawl'] }),
      },
      {
        weight: 1,
        arbitrary: fc.record(
          { urls: fieldValue(urlList), jobTemplate: anyJson, crawl: fieldValue(crawlInput), ...jobParts },
          { requiredKeys: [] },
        ),
      },
    ),
    fc.oneof(
      { weight: 3, arbitrary: fc.record({ cron, timezone }, { requiredKeys: ['cron'] }) },
      { weight: 3, arbitrary: fc.record({ intervalSeconds }) },
      { weight: 1, arbitrary: fc.record({ cron, intervalSeconds, timezone }, { requiredKeys: [] }) },
    ),
  )
  .map(([name, template, timing]) => ({ ...name, ...template, ...timing }));

/** A body near each route's schema (to reach the handlers); members are dropped or added by `nearMiss`. */
export const bodyByRoute = {
  '/v1/jobs': fc.record({ urls: fieldValue(urlList), ...jobParts }, { requiredKeys: ['urls'] }),
  '/v1/jobs/:id/urls': fc.record({ urls: fieldValue(urlList) }),
  '/v1/extract': fc.record(
    { url: fieldValue(urlEntry, ['', 'x'.repeat(8193)]), options: fieldValue(jobOptions) },
    { requiredKeys: ['url'] },
  ),
  '/v1/crawls': fc
    .tuple(crawlInput, fc.record(jobParts, { requiredKeys: [] }))
    .map(([c, o]) => ({ ...c, ...o })),
  '/v1/schedules': scheduleBody,
} as const;
export type BodyRoute = keyof typeof bodyByRoute;

/** An unknown member's name; the prototype's names are refused by Fastify's JSON parser. */
export const memberName = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype'),
);

/** The body as generated, or with one member dropped or one unknown member added, or any JSON. */
export const nearMiss = (value: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 8, arbitrary: value },
    {
      weight: 1,
      arbitrary: fc.tuple(value, fc.nat()).map(([v, n]) => {
        const keys = Object.keys(v);
        return Object.fromEntries(
          Object.entries(v).filter(([k]) => keys.length === 0 || k !== keys[n % keys.length]),
        );
      }),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(value, memberName, anyJson).map(([v, k, x]) => ({ ...v, [k]: x })),
    },
    { weight: 1, arbitrary: anyJson },
  );

/** Mostly JSON, so that most bodies reach their schema and handler. */
export const contentType = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8') },
  { weight: 1, arbitrary: otherContentType() },
);

export function otherContentType(): fc.Arbitrary<string> {
  return fc.constantFrom(
    'application/json; charset=latin1',
    'Application/JSON',
    'application/json;;',
    'text/plain',
    'text/plain; charset=iso-8859-1',
    'application/x-ndjson',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/problem+json',
    'text/html',
    'garbage',
    'a/b/c',
    '',
  );
}

/** The bytes of a body: the JSON of `value`, cut or not, NDJSON lines, or bytes of any kind. */
export function payloadOf(value: unknown): fc.Arbitrary<string | Buffer> {
  const json = JSON.stringify(value) ?? 'null';
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant(json) },
    { weight: 1, arbitrary: fc.nat({ max: json.length }).map((n) => json.slice(0, n)) },
    {
      weight: 1,
      arbitrary: fc
        .array(
          fc.oneof(
            urlEntry,
            anyJson.map((v) => JSON.stringify(v)),
          ),
          { maxLength: 6 },
        )
        .map((lines) => lines.join('\n')),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: MAX_REQUEST_BYTES - 100, max: MAX_REQUEST_BYTES + 2000 })
        .map((n) => `{"urls":["${'a'.repeat(n)}"]}`),
    },
    { weight: 1, arbitrary: fc.constant('') },
  );
}

/** Path ids: real ones, and garbage, percent-encoded or raw, up to far beyond every maxLength. */
export function idOf(realIds: () => string[]): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constant(null)
        .map(() => realIds())
        .chain((ids) => (ids.length > 0 ? fc.constantFrom(...ids) : fc.uuid())),
    },
    { weight: 2, arbitrary: anyText.map((s) => encodeText(s)) },
    { weight: 1, arbitrary: fc.uuid() },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '%',
        '%zz',
        '%00',
        '%2F',
        '%2e%2e',
        '..',
        '%C0%AF',
        '%E0%A4%A',
        '%F0%9F%98',
        '%FF',
        '%u0041',
        ' ',
        '%20',
        'a%2Fb',
        '*',
        '{id}',
        ':id',
        ';x=1',
      ),
    },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 20_000 }).map((n) => 'a'.repeat(n)) },
  );
}

export const queryKey = fc.constantFrom(
  'cursor',
  'limit',
  'state',
  'fields',
  'after',
  'type',
  'url',
  'jobId',
  'lastEventId',
  'text',
  'maxAge',
  'formats',
  'timeoutMs',
  'maxAttempts',
  'render',
  'screenshot',
  'webhookUrl',
  'x',
  '',
  '__proto__',
  'constructor',
  'limit[]',
);
export const queryValue = fc.oneof(
  anyText,
  fc.integer({ min: -1000, max: 100_000 }).map(String),
  fc.constantFrom(
    '1e3',
    '1.5',
    '-0',
    '00001',
    '9'.repeat(30),
    'Infinity',
    'NaN',
    '0x10',
    '',
    'true',
    'queued',
    'job.*,item.failed',
    'job.*,',
    'title,text',
    'TITLE',
    'eyJ4IjoxfQ',
    'WzEsIngiXQ',
    'W1tdLCIiXQ',
  ),
  fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url')),
  urlEntry,
);
/** A query string: encoded pairs, repeated keys, or raw text as it comes (bad escapes included). */
export const queryString = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .array(fc.tuple(queryKey, queryValue), { maxLength: 4 })
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeText(v)}`).join('&')),
  },
  {
    weight: 1,
    arbitrary: fc
      .array(
        fc.tuple(queryKey, fc.constantFrom('%', '%zz', '%FF', '%E0%A4', '&&', '==', '+', 'a=b=c', '%00')),
        { maxLength: 3 },
      )
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  },
);

export interface Probe {
  method: NonNullable<InjectOptions['method']>;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

/** What a failing run shows: the request, with long payloads cut. */
export function describeProbe(probe: Probe): string {
  const payload =
    probe.payload === undefined ? '' : ` ${JSON.stringify(String(probe.payload).slice(0, 300))}`;
  return `${probe.method} ${probe.url.slice(0, 300)} ${JSON.stringify(probe.headers ?? {})}${payload}`;
}

/** The property every answer has, whatever was asked. */
export function expectSoundAnswer(probe: Probe, response: LightMyRequestResponse): void {
  const where = describeProbe(probe);
  expect(response.statusCode, `${where} → ${response.body.slice(0, 500)}`).toBeLessThan(500);
  const type = String(response.headers['content-type'] ?? '');
  if (response.statusCode >= 400) {
    expect(type, where).toMatch(/^application\/problem\+json/);
    if (probe.method === 'HEAD') return; // The headers of the GET, no body.
    const problem = JSON.parse(response.body) as { code?: unknown; status?: unknown };
    expect(API_CODES, `${where} → ${response.body.slice(0, 500)}`).toContain(problem.code);
    expect(problem.status, where).toBe(response.statusCode);
    return;
  }
  if (
    probe.method === 'HEAD' ||
    response.statusCode === 204 ||
    response.statusCode < 200 ||
    response.statusCode >= 300
  )
    return;
  if (/^application\/(json|problem\+json)/.test(type)) {
    expect(() => JSON.parse(response.body) as unknown, where).not.toThrow();
  } else if (type.startsWith('application/x-ndjson')) {
    for (const line of response.body.split('\n').filter((l) => l !== ''))
      expect(() => JSON.parse(line) as unknown, where).not.toThrow();
  } else if (type.startsWith('text/event-stream')) {
    expect(response.body, where).toMatch(/event: completed\ndata: \{.*\}\n\n$/s);
  }
}

/** What a property file works with (see `useFixture`). */
export interface FixtureContext {
  fixture: Fixture;
  send(probe: Probe): Promise<LightMyRequestResponse>;
  jobId: fc.Arbitrary<string>;
}

/** The fixture of one property file, with the checks around each property; call inside `describe`. */
export function useFixture(): FixtureContext {
  const context: FixtureContext = {
    fixture: undefined as unknown as Fixture,
    send: async (probe: Probe): Promise<LightMyRequestResponse> => {
      const response = await context.fixture.app.inject(probe);
      expectSoundAnswer(probe, response);
      return response;
    },
    jobId: idOf(() => context.fixture.jobIds),
  };

  beforeAll(async () => {
    context.fixture = await createFixture();
  });

  afterEach(async () => {
    await expectHealthy(context.fixture.app);
    const response = await context.fixture.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { urls: ['http://127.0.0.1:9/still-serving'] },
    });
    expect(response.statusCode).toBe(202);
    const { job } = response.json<{ job: { id: string } }>();
    expect((await context.fixture.app.inject({ url: `/v1/jobs/${job.id}` })).statusCode).toBe(200);
  });

  afterAll(async () => {
    const { fixture } = context;
    if (!(fixture as Fixture | undefined)) return;
    await fixture.app.close();
    await fixture.pool.stop();
    await fixture.store.close();
  });
  return context;
}
