import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubmitResponse } from '../../src/client/types.js';
import {
  createHarness,
  expectHealthy,
  expectProblem,
  urls,
  waitForFinal,
  type Harness,
} from '../helpers/api-harness.js';

describe('POST /v1/jobs', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('creates a job (202, Location) and reports invalid entries and duplicates without failing the batch', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        urls: [
          'https://example.com/a',
          'HTTPS://EXAMPLE.com:443/a#frag',
          'ftp://example.com/file',
          'not a url',
          'https://user:pw@example.com/',
          'https://example.com/b',
          'javascript:alert(1)',
        ],
        options: { maxAge: 0, formats: ['markdown'], maxAttempts: 2 },
      },
    });
    expect(response.statusCode).toBe(202);
    const body = response.json<SubmitResponse>();
    expect(response.headers.location).toBe(`/v1/jobs/${body.job.id}`);
    expect(body.submission).toMatchObject({
      received: 7,
      accepted: 2,
      duplicates: 1,
      reused: 0,
      invalidCount: 4,
      replayed: false,
    });
    expect(body.submission.invalid.map((e) => [e.index, e.reason])).toEqual([
      [2, 'unsupported_scheme'],
      [3, 'invalid_url'],
      [4, 'credentials_in_url'],
      [6, 'unsupported_scheme'],
    ]);
    expect(body.job).toMatchObject({
      status: 'queued',
      total: 2,
      counts: { queued: 2, running: 0, succeeded: 0, failed: 0, cancelled: 0 },
      progress: 0,
      options: { maxAge: 0, formats: ['markdown'], maxAttempts: 2 },
      finishedAt: null,
      links: { self: `/v1/jobs/${body.job.id}`, events: `/v1/jobs/${body.job.id}/events` },
    });
    expect(new Date(body.job.createdAt).toISOString()).toBe(body.job.createdAt);
  });

  it('answers 400 no_valid_urls with the reason of every entry when none is valid', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { urls: ['mailto:someone@example.com', 'file:///etc/passwd', ''] },
    });
    const problem = expectProblem(response, 400, 'no_valid_urls');
    expect(problem.invalid).toEqual([
      expect.objectContaining({ index: 0, reason: 'unsupported_scheme' }),
      expect.objectContaining({ index: 1, reason: 'unsupported_scheme' }),
      expect.objectContaining({ index: 2, reason: 'invalid_url' }),
    ]);
    expect((await harness.app.inject({ url: '/v1/jobs' })).json()).toEqual({ items: [], nextCursor: null });
    await expectHealthy(harness.app);
  });

  it('refuses 100,001 URLs with 400 validation_failed naming /urls', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { urls: urls(100_001) },
    });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ field: '/urls', message: 'must NOT have more than 100000 items' }]);
    expect(problem.detail).toContain('/urls');
    await expectHealthy(harness.app);
  });

  it('answers 400 invalid_json to malformed or empty JSON', async () => {
    harness = await createHarness({ isPoolStarted: false });
    for (const payload of ['{"urls": ["https://a.test/"', '']) {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expectProblem(response, 400, 'invalid_json');
      await expectHealthy(harness.app);
    }
  });

  it.each([
    [{ urls: 'https://a.test/' }, '/urls', 'must be array'],
    [{ urls: [1, 2] }, '/urls/0', 'must be string'],
    [{ urls: [] }, '/urls', 'must NOT have fewer than 1 items'],
    [{}, '/urls', "must have required property 'urls'"],
    [{ urls: ['https://a.test/'], options: { maxAge: 'soon' } }, '/options/maxAge', 'must be integer'],
    [{ urls: ['https://a.test/'], options: { timeoutMs: 10 } }, '/options/timeoutMs', 'must be >= 1000'],
    [
      { urls: ['https://a.test/'], options: { formats: ['pdf'] } },
      '/options/formats/0',
      'must be equal to one of the allowed values: text, markdown, html, links, chunks, json, summary',
    ],
    [{ urls: ['https://a.test/'], extra: true }, '/extra', 'must NOT have additional properties'],
    [
      { urls: ['https://a.test/'], webhook: { url: 'ftp://x' } },
      '/webhook/url',
      'must match pattern "^https?://"',
    ],
  ])('answers 400 validation_failed naming the field for %j', async (payload, field, message) => {
    harness ??= await createHarness({ isPoolStarted: false });
    const response = await harness.app.inject({ method: 'POST', url: '/v1/jobs', payload });
    const problem = expectProblem(response, 400, 'validation_failed');
    expect(problem.errors).toEqual([{ field, message }]);
    await expectHealthy(harness.app);
  });

  it('reports a 5 MB URL as an invalid entry, and answers 413 body_too_large above the body limit', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const huge = `https://example.com/${'a'.repeat(5 * 1024 * 1024)}`;
    const accepted = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { urls: [huge, 'https://example.com/ok'] },
    });
    expect(accepted.statusCode).toBe(202);
    expect(accepted.json<SubmitResponse>().submission.invalid).toEqual([
      expect.objectContaining({ index: 0, reason: 'url_too_long', input: huge.slice(0, 200) }),
    ]);
    await harness.close();

    harness = await createHarness({ isPoolStarted: false, api: { maxRequestBytes: 1024 * 1024 } });
    const refused = await harness.app.inject({ method: 'POST', url: '/v1/jobs', payload: { urls: [huge] } });
    expectProblem(refused, 413, 'body_too_large');
    await expectHealthy(harness.app);
  });

  it('refuses a 60 MB JSON submission at once with 413 pointing at the streamed forms, which take the same URLs', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const many = Array.from({ length: 700_000 }, (_, i) => `https://example.com/${i}/${'x'.repeat(60)}`);
    const json = JSON.stringify({ urls: many });
    expect(json.length).toBeGreaterThan(60_000_000);
    const started = Date.now();
    const refused = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json' },
      payload: json,
    });
    const problem = expectProblem(refused, 413, 'body_too_large');
    expect(String(problem.detail)).toMatch(/text\/plain.*application\/x-ndjson/);
    // Refused from its Content-Length, before a byte is parsed (generous bound; parsing took seconds).
    expect(Date.now() - started).toBeLessThan(2000);

    // Without a Content-Length (chunked) the count stops it at the limit too.
    const chunked = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json' },
      payload: Readable.from([Buffer.from(json)]),
    });
    expectProblem(chunked, 413, 'body_too_large');
    await expectHealthy(harness.app);
    await harness.close();

    // The streamed path has no such limit: a body above the JSON limit is taken.
    harness = await createHarness({ isPoolStarted: false, api: { maxRequestBytes: 64 * 1024 } });
    const lines = many.slice(0, 5000).join('\n');
    expect(lines.length).toBeGreaterThan(64 * 1024);
    expectProblem(
      await harness.app.inject({ method: 'POST', url: '/v1/jobs', payload: { urls: many.slice(0, 5000) } }),
      413,
      'body_too_large',
    );
    const streamed = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'text/plain' },
      payload: lines,
    });
    expect(streamed.statusCode).toBe(202);
    expect(streamed.json<SubmitResponse>().submission.accepted).toBe(5000);
  }, 60_000);

  it('answers 415 unsupported_media_type to a content type it does not take', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const form = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'urls=https://a.test/',
    });
    const formProblem = expectProblem(form, 415, 'unsupported_media_type');
    // The answer lists what the route takes.
    expect(formProblem.accepted).toEqual(['application/json', 'text/plain', 'application/x-ndjson']);
    expect(formProblem.detail).toBe(
      'This route does not accept "application/x-www-form-urlencoded"; it accepts application/json, text/plain, application/x-ndjson',
    );
    // text/plain is streamed for submissions only: the extract endpoint takes JSON.
    const text = await harness.app.inject({
      method: 'POST',
      url: '/v1/extract',
      headers: { 'content-type': 'text/plain' },
      payload: 'https://a.test/',
    });
    expect(expectProblem(text, 415, 'unsupported_media_type').accepted).toEqual(['application/json']);
    await expectHealthy(harness.app);
  });

  it('returns the same job for a retried POST with the same Idempotency-Key (202, then 200)', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const request = {
      method: 'POST' as const,
      url: '/v1/jobs',
      headers: { 'idempotency-key': 'order-42' },
      payload: { urls: ['https://example.com/1', 'https://example.com/2'] },
    };
    const first = await harness.app.inject(request);
    const second = await harness.app.inject(request);
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(200);
    const [a, b] = [first.json<SubmitResponse>(), second.json<SubmitResponse>()];
    expect(b.job.id).toBe(a.job.id);
    expect(b.job.total).toBe(2);
    expect(b.submission).toMatchObject({ replayed: true, accepted: 0 });
    expect(second.headers.location).toBe(`/v1/jobs/${a.job.id}`);
    // A streamed body with the same key is a replay too, and the connection survives the early stop.
    const streamed = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'idempotency-key': 'order-42', 'content-type': 'text/plain' },
      payload: urls(5000).join('\n'),
    });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.json<SubmitResponse>().job.id).toBe(a.job.id);
    const list = (await harness.app.inject({ url: '/v1/jobs' })).json<{ items: unknown[] }>();
    expect(list.items).toHaveLength(1);
  });

  it('takes 20,000 URLs streamed as text/plain, with options in the query string', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const lines = [
      '# a comment',
      ...urls(20_000),
      '',
      'ftp://nope/',
      'https://example.com/page/0',
      `https://example.com/${'x'.repeat(11_000)}`,
    ];
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs?maxAge=0&formats=text,links&maxAttempts=5',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      payload: lines.join('\r\n'),
    });
    expect(response.statusCode).toBe(202);
    const body = response.json<SubmitResponse>();
    expect(body.submission).toMatchObject({
      received: 20_003,
      accepted: 20_000,
      duplicates: 1,
      invalidCount: 2,
      truncated: false,
    });
    expect(body.submission.invalid).toEqual([
      expect.objectContaining({ index: 20_000, reason: 'unsupported_scheme' }),
      expect.objectContaining({
        index: 20_002,
        reason: 'url_too_long',
        message: 'The line is longer than 10240 bytes',
      }),
    ]);
    expect(body.job).toMatchObject({
      total: 20_000,
      options: { maxAge: 0, formats: ['text', 'links'], maxAttempts: 5 },
    });
  });

  it('takes URLs streamed as NDJSON: JSON strings or {"url"} objects; other lines are invalid entries', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const lines = [
      ...urls(10_000, 'a.test').map((u) => JSON.stringify(u)),
      ...urls(10_000, 'b.test').map((u) => JSON.stringify({ url: u, note: 'x' })),
      'https://bare.test/',
      '{"href": "https://c.test/"}',
      '42',
    ];
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: `${lines.join('\n')}\n`,
    });
    expect(response.statusCode).toBe(202);
    const body = response.json<SubmitResponse>();
    expect(body.submission).toMatchObject({ received: 20_003, accepted: 20_000, invalidCount: 3 });
    expect(body.submission.invalid.map((e) => [e.index, e.reason, e.input])).toEqual([
      [20_000, 'invalid_line', 'https://bare.test/'],
      [20_001, 'invalid_line', '{"href": "https://c.test/"}'],
      [20_002, 'invalid_line', '42'],
    ]);
  });

  it("answers 400 no_valid_urls to a streamed body with no valid line, with the lines' reasons", async () => {
    harness = await createHarness({ isPoolStarted: false });
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/x-ndjson' },
      payload: 'not json\n"ftp://x/"\n',
    });
    const problem = expectProblem(response, 400, 'no_valid_urls');
    expect(problem.invalid).toEqual([
      expect.objectContaining({ index: 0, reason: 'invalid_line' }),
      expect.objectContaining({ index: 1, reason: 'unsupported_scheme' }),
    ]);
    await expectHealthy(harness.app);
  });

  it('appends URLs to a job with the same rules, and refuses them for a cancelled job (409)', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const created = (
      await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: ['https://example.com/1'] },
      })
    ).json<SubmitResponse>();
    const id = created.job.id;
    const appended = await harness.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/urls`,
      payload: { urls: ['https://example.com/1', 'https://example.com/2', 'gopher://old/'] },
    });
    expect(appended.statusCode).toBe(202);
    expect(appended.json<SubmitResponse>()).toMatchObject({
      job: { id, total: 2 },
      submission: { received: 3, accepted: 1, duplicates: 1, invalidCount: 1, replayed: false },
    });
    const streamed = await harness.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/urls`,
      headers: { 'content-type': 'text/plain' },
      payload: 'https://example.com/3\nhttps://example.com/4\n',
    });
    expect(streamed.json<SubmitResponse>().job.total).toBe(4);
    expectProblem(
      await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs/nope/urls',
        payload: { urls: ['https://a.test/'] },
      }),
      404,
      'job_not_found',
    );
    await harness.app.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` });
    const refused = await harness.app.inject({
      method: 'POST',
      url: `/v1/jobs/${id}/urls`,
      payload: { urls: ['https://example.com/5'] },
    });
    expectProblem(refused, 409, 'job_cancelled');
    await expectHealthy(harness.app);
  });

  it('runs a submitted job to completion with the worker pool', async () => {
    harness = await createHarness();
    const created = (
      await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: [...urls(20), 'https://example.com/fail/1'] },
      })
    ).json<SubmitResponse>();
    await waitForFinal(harness, created.job.id);
    const job = (await harness.app.inject({ url: `/v1/jobs/${created.job.id}` })).json<
      SubmitResponse['job']
    >();
    expect(job).toMatchObject({ status: 'completed', progress: 1, counts: { succeeded: 20, failed: 1 } });
    expect(job.finishedAt).not.toBeNull();
  });
});
