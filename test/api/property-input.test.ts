import fc from 'fast-check';
import { describe, it } from 'vitest';
import { RUNS, useFixture } from './property-fixture.js';
import {
  anyJson,
  bodyByRoute,
  type BodyRoute,
  contentType,
  encodeText,
  headerText,
  idOf,
  nearMiss,
  payloadOf,
  queryString,
  urlEntry,
} from './property-generators.js';

/** See property-fixture.ts for what every answer must be. */
describe('API (properties): any body, content type, query string or streamed submission gets a 4xx problem or a success', () => {
  const ctx = useFixture();

  it('answers any body of any content type on every route that takes one', async () => {
    const route = fc.constantFrom<BodyRoute>(
      '/v1/jobs',
      '/v1/jobs/:id/urls',
      '/v1/extract',
      '/v1/crawls',
      '/v1/schedules',
    );
    const probe = route.chain((name) =>
      fc.record({
        url:
          name === '/v1/jobs/:id/urls'
            ? ctx.jobId.map((id) => `/v1/jobs/${id}/urls`)
            : fc.constant(name as string),
        payload: nearMiss(bodyByRoute[name] as fc.Arbitrary<Record<string, unknown>>).chain(payloadOf),
        type: contentType,
      }),
    );
    await fc.assert(
      fc.asyncProperty(probe, async ({ url, payload, type }) => {
        await ctx.send({
          method: 'POST',
          url,
          payload,
          headers: type === '' ? {} : { 'content-type': type },
        });
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers any query string on the list and lookup routes', async () => {
    const path = fc.oneof(
      fc.constantFrom('/v1/jobs', '/v1/events', '/v1/documents', '/v1/schedules', '/v1/jobs'),
      ctx.jobId.chain((id) =>
        fc.constantFrom(
          `/v1/jobs/${id}/items`,
          `/v1/jobs/${id}/results`,
          `/v1/jobs/${id}/webhooks`,
          `/v1/jobs/${id}/events`,
        ),
      ),
      idOf(() => ctx.fixture.documentIds).map((id) => `/v1/documents/${id}/versions`),
      fc
        .oneof(
          urlEntry,
          fc.constantFrom('http://127.0.0.1:9/a', 'HTTP://127.0.0.1:9/a#top', 'http://127.0.0.1:9/%61'),
        )
        .map((url) => `/v1/documents?url=${encodeText(url)}`),
    );
    await fc.assert(
      fc.asyncProperty(
        path,
        queryString,
        fc.constantFrom(undefined, 'application/x-ndjson', 'application/json', '*/*'),
        async (p, query, accept) => {
          await ctx.send({
            method: 'GET',
            url: `${p}${p.includes('?') ? '&' : '?'}${query}`,
            ...(accept ? { headers: { accept } } : {}),
          });
        },
      ),
      { numRuns: RUNS * 2 },
    );
  });

  it('answers submissions streamed as text/plain or NDJSON with any query options', async () => {
    const lines = fc.array(
      fc.oneof(
        urlEntry,
        anyJson.map((v) => JSON.stringify(v)),
        fc.constantFrom('#comment', '', '\r', '\uFEFF'),
      ),
      { maxLength: 10 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('text/plain', 'application/x-ndjson'),
        lines,
        queryString,
        fc.option(headerText, { nil: undefined }),
        fc.constantFrom('\n', '\r\n'),
        async (type, entries, query, secret, newline) => {
          await ctx.send({
            method: 'POST',
            url: `/v1/jobs?${query}`,
            payload: entries.join(newline),
            headers: { 'content-type': type, ...(secret !== undefined ? { 'webhook-secret': secret } : {}) },
          });
        },
      ),
      { numRuns: RUNS },
    );
  });
});
