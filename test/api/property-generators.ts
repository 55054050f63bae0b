/** The generators of the API property tests: bodies, content types, query strings, path ids, headers, and the check every answer must pass. */
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';
import { API_ERROR_CODES } from '../../src/api/index.js';

/** Small limits, so that the too-large and too-many paths are reached by small inputs. */
export const MAX_REQUEST_BYTES = 16 * 1024;

export const API_CODES: readonly string[] = API_ERROR_CODES;

export const encodeText = (text: string): string =>
  encodeURIComponent(text.replaceAll(/[\uD800-\uDFFF]/g, '?'));

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
export const fieldValue = <T>(
  valid: fc.Arbitrary<T>,
  nearMisses: readonly unknown[] = [],
): fc.Arbitrary<unknown> =>
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
export const cron = fieldValue(
  fc.constantFrom('*/5 * * * *', '0 0 * * *', '0 0 * * MON-FRI', '*/10 * * * * *'),
  ['0 0 31 2 *', '0 0 30 2 *', '61 * * * *', '@daily', 'L W # ?', '* * * * * * *', ''],
);
export const timezone = fieldValue(fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York', 'Etc/GMT+14'), [
  'Mars/Olympus',
  'utc',
  '+05:00',
  '',
  'x'.repeat(65),
]);
export const intervalSeconds = fieldValue(
  fc.integer({ min: 60, max: 31_622_400 }),
  [0, 59, 31_622_401, 60.5],
);
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
