import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { RUNS, useFixture } from './property-fixture.js';
import { anyText, encodeText, headerText, idOf, type Probe } from './property-generators.js';

/** See property-fixture.ts for what every answer must be. */
describe('API (properties): any path id, header or method gets a 4xx problem or a success', () => {
  const ctx = useFixture();

  it('answers any path id on every route that names a resource', async () => {
    const documentId = idOf(() => ctx.fixture.documentIds);
    const scheduleId = idOf(() => ctx.fixture.scheduleIds);
    const probe = fc.oneof(
      fc
        .tuple(
          fc.constantFrom<Probe['method']>('GET', 'POST', 'DELETE'),
          ctx.jobId,
          fc.constantFrom(
            '',
            '/items',
            '/results',
            '/cancel',
            '/events',
            '/webhooks',
            '/webhooks/replay',
            '/urls',
          ),
        )
        .map(([method, id, rest]) => ({ method, url: `/v1/jobs/${id}${rest}` })),
      fc
        .tuple(
          ctx.jobId,
          idOf(() => []),
        )
        .map(([id, delivery]) => ({
          method: 'POST' as const,
          url: `/v1/jobs/${id}/webhooks/${delivery}/replay`,
        })),
      fc
        .tuple(fc.constantFrom('', '/screenshot', '/versions'), documentId)
        .map(([rest, id]) => ({ method: 'GET' as const, url: `/v1/documents/${id}${rest}` })),
      ctx.jobId.map((id) => ({ method: 'GET' as const, url: `/v1/crawls/${id}` })),
      fc
        .tuple(
          fc.constantFrom<[Probe['method'], string]>(
            ['GET', ''],
            ['POST', '/pause'],
            ['POST', '/resume'],
            ['DELETE', ''],
          ),
          scheduleId,
        )
        .map(([[method, rest], id]) => ({ method, url: `/v1/schedules/${id}${rest}` })),
    );
    await fc.assert(
      fc.asyncProperty(probe, async (p) => {
        const isAppend = p.method === 'POST' && p.url.endsWith('/urls');
        await ctx.send({
          ...p,
          ...(isAppend
            ? {
                payload: JSON.stringify({ urls: ['http://127.0.0.1:9/appended'] }),
                headers: { 'content-type': 'application/json' },
              }
            : {}),
        });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers any Idempotency-Key, Last-Event-ID, X-Request-Id, Accept and Webhook-Secret', async () => {
    const header = fc.record(
      {
        'idempotency-key': headerText,
        'last-event-id': fc.oneof(headerText, fc.nat().map(String), fc.constant('9'.repeat(40))),
        'x-request-id': headerText,
        accept: fc.oneof(headerText, fc.constantFrom('application/x-ndjson', 'text/event-stream', '*/*')),
        'webhook-secret': headerText,
      },
      { requiredKeys: [] },
    );
    const target = fc.oneof(
      fc.constant({
        method: 'POST' as const,
        url: '/v1/jobs',
        payload: JSON.stringify({ urls: ['http://127.0.0.1:9/idem'] }),
      }),
      fc.constant({
        method: 'POST' as const,
        url: '/v1/crawls',
        payload: JSON.stringify({ url: 'http://127.0.0.1:9/crawl' }),
      }),
      fc.constant({
        method: 'POST' as const,
        url: '/v1/jobs?webhookUrl=https://hooks.example/x',
        payload: 'http://127.0.0.1:9/streamed\n',
      }),
      ctx.jobId.map((id) => ({ method: 'GET' as const, url: `/v1/jobs/${id}/events` })),
      ctx.jobId.map((id) => ({ method: 'GET' as const, url: `/v1/jobs/${id}/results` })),
      fc
        .constantFrom('/v1/jobs', '/v1/events', '/healthz', '/readyz', '/metrics', '/openapi.json')
        .map((url) => ({ method: 'GET' as const, url })),
    );
    await fc.assert(
      fc.asyncProperty(target, header, async (t, headers) => {
        const isStreamed = t.url.includes('webhookUrl');
        const all: Record<string, string> = { ...headers };
        if (t.method === 'POST') all['content-type'] = isStreamed ? 'text/plain' : 'application/json';
        const response = await ctx.send({ ...t, headers: all });
        const requestId = response.headers['x-request-id'];
        expect(typeof requestId === 'string' && /^[\w.:-]{1,128}$/.test(requestId)).toBe(true);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers any method on any path, known or not', async () => {
    const segment = fc.oneof(
      fc.constantFrom(
        'v1',
        'jobs',
        'documents',
        'events',
        'schedules',
        'crawls',
        'extract',
        'urls',
        'docs',
        'openapi.json',
        '..',
        '.',
        '%2e',
        '%',
        '%zz',
        '',
      ),
      anyText.map((s) => encodeText(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Probe['method']>('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
        fc.array(segment, { maxLength: 5 }),
        async (method, segments) => {
          await ctx.send({ method, url: `/${segments.join('/')}` });
        },
      ),
      { numRuns: RUNS },
    );
  });

  // What the properties found, kept as plain examples.
  const problemOf = (response: LightMyRequestResponse): { status: number; code: unknown } => ({
    status: response.statusCode,
    code: response.json<{ code?: unknown }>().code,
  });

  it('refuses a submission with neither body nor Content-Type as validation_failed (was a 500)', async () => {
    // A job of its own: the properties above may have deleted the fixture's (DELETE /v1/jobs/:id).
    const fresh = await ctx.fixture.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { urls: ['http://127.0.0.1:9/fresh'] },
    });
    const freshId = fresh.json<{ job: { id: string } }>().job.id;
    for (const url of ['/v1/jobs', `/v1/jobs/${freshId}/urls`]) {
      expect(problemOf(await ctx.send({ method: 'POST', url }))).toEqual({
        status: 400,
        code: 'validation_failed',
      });
    }
  });

  it("answers a bad escape in the path with a bad_request problem (was the router's own JSON)", async () => {
    for (const url of ['/%', '/v1/jobs/%', '/v1/schedules/%zz', '/v1/documents/%E0%A4%A/versions']) {
      const response = await ctx.send({ method: 'GET', url });
      expect(problemOf(response)).toEqual({ status: 400, code: 'bad_request' });
      expect(response.headers['x-request-id']).toEqual(expect.any(String));
    }
  });

  it('looks up ids up to their schema maxLength (128) and refuses longer ones with a problem (was a 414 over 100)', async () => {
    const getJob = (length: number): Promise<LightMyRequestResponse> =>
      ctx.send({ method: 'GET', url: `/v1/jobs/${'a'.repeat(length)}` });
    expect(problemOf(await getJob(101))).toEqual({ status: 404, code: 'job_not_found' });
    expect(problemOf(await getJob(128))).toEqual({ status: 404, code: 'job_not_found' });
    expect(problemOf(await getJob(129))).toEqual({ status: 400, code: 'validation_failed' });
    expect(problemOf(await getJob(5000))).toEqual({ status: 400, code: 'bad_request' });
  });
});
