import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { API_ERROR_CODES, PROBLEM_STATUS } from '../../src/api/index.js';
import type {
  DocumentView,
  ItemView,
  JobView,
  PageView,
  ResultView,
  SubmitResponse,
} from '../../src/client/types.js';
import { createDeferred, PermanentError } from '../../src/lib/index.js';
import type { TaskFunction } from '../../src/worker/index.js';
import {
  createHarness,
  expectHealthy,
  expectProblem,
  fakeTask,
  urls,
  waitForFinal,
  type Harness,
} from '../helpers/api-harness.js';
import { fakeDocument } from '../helpers/store.js';

/** The files of a zip, by name, as text (yauzl: the reader the server uses for DOCX). */
async function unzip(buffer: Buffer): Promise<Map<string, string>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file))),
  );
  const files = new Map<string, string>();
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', () => resolve());
    zip.on('entry', (entry: yauzl.Entry) => {
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          files.set(entry.fileName, Buffer.concat(chunks).toString('utf8'));
          zip.readEntry();
        });
      });
    });
    zip.readEntry();
  });
  return files;
}

async function submit(
  harness: Harness,
  list: string[],
  options: Record<string, unknown> = {},
): Promise<SubmitResponse> {
  const response = await harness.app.inject({
    method: 'POST',
    url: '/v1/jobs',
    payload: { urls: list, options },
  });
  expect(response.statusCode).toBe(202);
  return response.json<SubmitResponse>();
}

describe('reading jobs, items, results and documents', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('lists recent jobs newest first with a cursor, and answers 404 job_not_found to an unknown id', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await submit(harness, [`https://example.com/${i}`])).job.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await harness.app.inject({ url })).json<PageView<JobView>>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen).toHaveLength(5);

    for (const url of [
      '/v1/jobs/does-not-exist',
      '/v1/jobs/does-not-exist/items',
      '/v1/jobs/does-not-exist/results',
      '/v1/jobs/does-not-exist/events',
    ]) {
      const problem = expectProblem(await harness.app.inject({ url }), 404, 'job_not_found');
      expect(problem.instance).toBe(url);
    }
    expectProblem(
      await harness.app.inject({ method: 'POST', url: '/v1/jobs/does-not-exist/cancel' }),
      404,
      'job_not_found',
    );
    expectProblem(await harness.app.inject({ url: '/v1/nothing-here' }), 404, 'not_found');
    expectProblem(await harness.app.inject({ url: '/v1/jobs?cursor=forged' }), 400, 'invalid_cursor');
    const limit = expectProblem(
      await harness.app.inject({ url: '/v1/jobs?limit=5000' }),
      400,
      'validation_failed',
    );
    expect(limit.errors).toEqual([{ field: '/limit', message: 'must be <= 100' }]);
    expectProblem(await harness.app.inject({ url: '/v1/jobs?limit=ten' }), 400, 'validation_failed');
    await expectHealthy(harness.app);
  });

  it('pages through items with a state filter and a cursor, with error codes on failed items', async () => {
    harness = await createHarness();
    const list = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? `https://example.com/fail/${i}` : `https://example.com/ok/${i}`,
    );
    const { job } = await submit(harness, list, { maxAttempts: 1 });
    await waitForFinal(harness, job.id);

    const failed: ItemView[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `state=failed&limit=4${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const response = await harness.app.inject({ url: `/v1/jobs/${job.id}/items?${query}` });
      expect(response.statusCode).toBe(200);
      const page = response.json<PageView<ItemView>>();
      failed.push(...page.items);
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(failed.map((i) => i.seq)).toEqual([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(failed[0]).toMatchObject({
      url: 'https://example.com/fail/0',
      state: 'failed',
      attempts: 1,
      error: { code: 'blocked_address', message: expect.stringContaining('private address') },
      documentId: null,
    });
    const succeeded = (
      await harness.app.inject({ url: `/v1/jobs/${job.id}/items?state=succeeded&limit=1000` })
    ).json<PageView<ItemView>>();
    expect(succeeded.items).toHaveLength(20);
    expect(succeeded.items.every((i) => i.documentId !== null && i.error === null)).toBe(true);
    const bad = expectProblem(
      await harness.app.inject({ url: `/v1/jobs/${job.id}/items?state=done` }),
      400,
      'validation_failed',
    );
    expect(bad.errors).toEqual([
      {
        field: '/state',
        message: 'must be equal to one of the allowed values: queued, running, succeeded, failed, cancelled',
      },
    ]);
  });

  it('pages results as JSON and streams them all as NDJSON, keeping only the requested fields', async () => {
    harness = await createHarness();
    const { job } = await submit(harness, [...urls(250), 'https://example.com/fail/x'], { maxAttempts: 1 });
    await waitForFinal(harness, job.id);

    const first = (await harness.app.inject({ url: `/v1/jobs/${job.id}/results?limit=3` })).json<
      PageView<DocumentView>
    >();
    expect(first.items).toHaveLength(3);
    expect(first.items[0]).toMatchObject({
      url: 'https://example.com/page/0',
      title: 'Title of https://example.com/page/0',
      text: expect.any(String),
    });
    expect(first.items[0]?.fetchedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const second = (
      await harness.app.inject({
        url: `/v1/jobs/${job.id}/results?limit=3&fields=url,title&cursor=${first.nextCursor}`,
      })
    ).json<PageView<ResultView>>();
    expect(second.items.map((d) => Object.keys(d).sort())).toEqual([
      ['title', 'url'],
      ['title', 'url'],
      ['title', 'url'],
    ]);
    expect(second.items[0]?.url).toBe('https://example.com/page/3');

    const streamed = await harness.app.inject({
      url: `/v1/jobs/${job.id}/results?fields=url,title,markdown`,
      headers: { accept: 'application/x-ndjson' },
    });
    expect(streamed.statusCode).toBe(200);
    expect(streamed.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = streamed.body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ResultView);
    expect(lines).toHaveLength(250);
    expect(lines.map((d) => d.url)).toEqual(urls(250));
    expect(Object.keys(lines[0]!).sort()).toEqual(['markdown', 'title', 'url']);

    // All of them as Markdown files in a zip (the web page's "Download Markdown (zip)").
    const zipped = await harness.app.inject({
      url: `/v1/jobs/${job.id}/results`,
      headers: { accept: 'application/zip' },
    });
    expect(zipped.statusCode).toBe(200);
    expect(zipped.headers['content-type']).toBe('application/zip');
    expect(zipped.headers['content-disposition']).toBe(`attachment; filename="distill-${job.id}.zip"`);
    const files = await unzip(zipped.rawPayload);
    expect(files.size).toBe(250);
    const page7 = [...files.entries()].find(([name]) => name.startsWith('example.com-page-7-'));
    expect(page7?.[1]).toMatch(
      /^---\nurl: "https:\/\/example\.com\/page\/7"\ntitle: "Title of https:\/\/example\.com\/page\/7"\nfetched: \d{4}-[^\n]+\n---\n# Title of https:\/\/example\.com\/page\/7\n$/,
    );

    const unknown = expectProblem(
      await harness.app.inject({ url: `/v1/jobs/${job.id}/results?fields=url,body` }),
      400,
      'validation_failed',
    );
    expect(unknown.errors).toEqual([expect.objectContaining({ field: '/fields' })]);
  });

  it('cancels idempotently: nothing stays queued, running items end cancelled', async () => {
    const started = createDeferred();
    let running = 0;
    const task: TaskFunction = (item, context) => {
      if (++running === 2) started.resolve();
      return fakeTask({ ...item, url: 'https://example.com/hang' }, context);
    };
    harness = await createHarness({ task });
    const { job } = await submit(harness, urls(50));
    await started.promise;
    const first = await harness.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    expect(first.statusCode).toBe(200);
    expect(first.json<JobView>()).toMatchObject({ id: job.id, status: 'cancelled', counts: { queued: 0 } });
    await waitForFinal(harness, job.id);
    const second = await harness.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/cancel` });
    expect(second.statusCode).toBe(200);
    expect(second.json<JobView>()).toMatchObject({
      status: 'cancelled',
      counts: { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 50 },
      progress: 1,
    });
    expect(await harness.store.queue.claim(100, 1000)).toEqual([]);
  });

  it('serves documents by id and by (normalised) URL', async () => {
    harness = await createHarness();
    const { job } = await submit(harness, ['https://example.com/doc']);
    await waitForFinal(harness, job.id);
    const [item] = (await harness.app.inject({ url: `/v1/jobs/${job.id}/items` })).json<PageView<ItemView>>()
      .items;
    const byId = await harness.app.inject({ url: `/v1/documents/${item!.documentId}` });
    expect(byId.statusCode).toBe(200);
    expect(byId.json<DocumentView>()).toMatchObject({
      id: item!.documentId,
      url: 'https://example.com/doc',
      links: [],
      quality: {},
    });
    const byUrl = await harness.app.inject({
      url: `/v1/documents?url=${encodeURIComponent('HTTPS://Example.COM:443/doc#top')}`,
    });
    expect(byUrl.json<DocumentView>().id).toBe(item!.documentId);
    expectProblem(await harness.app.inject({ url: '/v1/documents/nope' }), 404, 'document_not_found');
    expectProblem(
      await harness.app.inject({ url: '/v1/documents?url=https://example.com/other' }),
      404,
      'document_not_found',
    );
    expectProblem(
      await harness.app.inject({ url: '/v1/documents?url=ftp://example.com/' }),
      400,
      'invalid_url',
    );
    expectProblem(await harness.app.inject({ url: '/v1/documents' }), 400, 'validation_failed');
  });

  it('retries the failed items of a completed job: attempts from 0, job.retried, completed again; 409 on a cancelled job', async () => {
    const failedOnce = new Set<string>();
    // Fails each /flaky URL on its first attempt only: what a site that was briefly down looks like.
    const flaky: TaskFunction = (item, context) => {
      if (new URL(item.url).pathname.startsWith('/flaky') && !failedOnce.has(item.url)) {
        failedOnce.add(item.url);
        return Promise.reject(new PermanentError('http_error', 'HTTP 503'));
      }
      return fakeTask(item, context);
    };
    harness = await createHarness({ task: flaky });
    const { job } = await submit(
      harness,
      ['https://example.com/ok', 'https://example.com/flaky/1', 'https://example.com/flaky/2'],
      { maxAttempts: 1 },
    );
    await waitForFinal(harness, job.id);
    expect((await harness.app.inject({ url: `/v1/jobs/${job.id}` })).json<JobView>()).toMatchObject({
      status: 'completed',
      counts: { succeeded: 1, failed: 2 },
    });

    const retried = await harness.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/retry` });
    expect(retried.statusCode).toBe(200);
    expect(retried.json<{ retried: number; job: JobView }>()).toMatchObject({
      retried: 2,
      job: { counts: { failed: 0 }, finishedAt: null },
    });
    await waitForFinal(harness, job.id);
    const after = (await harness.app.inject({ url: `/v1/jobs/${job.id}` })).json<JobView>();
    expect(after).toMatchObject({ status: 'completed', counts: { succeeded: 3, failed: 0 } });
    const items = (await harness.app.inject({ url: `/v1/jobs/${job.id}/items` })).json<PageView<ItemView>>()
      .items;
    expect(items.map((item) => [item.state, item.attempts, item.error])).toEqual([
      ['succeeded', 1, null],
      ['succeeded', 1, null],
      ['succeeded', 1, null],
    ]);
    const log = (await harness.store.repository.listEvents({ jobId: job.id, afterId: 0, limit: 100 })).map(
      (e) => e.type,
    );
    expect(log.filter((type) => type === 'job.retried')).toHaveLength(1);
    expect(log.filter((type) => type === 'job.completed')).toHaveLength(2);

    // Nothing failed any more: nothing to retry.
    expect(
      (await harness.app.inject({ method: 'POST', url: `/v1/jobs/${job.id}/retry` })).json<{
        retried: number;
      }>().retried,
    ).toBe(0);
    const other = await submit(harness, ['https://example.com/hang/1']);
    await harness.app.inject({ method: 'POST', url: `/v1/jobs/${other.job.id}/cancel` });
    expectProblem(
      await harness.app.inject({ method: 'POST', url: `/v1/jobs/${other.job.id}/retry` }),
      409,
      'job_cancelled',
    );
    expectProblem(
      await harness.app.inject({ method: 'POST', url: '/v1/jobs/nope/retry' }),
      404,
      'job_not_found',
    );
  });

  it('deletes a finished job with its items, keeps its documents, and refuses a job that still runs', async () => {
    harness = await createHarness();
    const { job } = await submit(harness, ['https://example.com/kept']);
    await waitForFinal(harness, job.id);
    const [item] = (await harness.app.inject({ url: `/v1/jobs/${job.id}/items` })).json<PageView<ItemView>>()
      .items;
    const running = await submit(harness, ['https://example.com/hang/delete']);
    expectProblem(
      await harness.app.inject({ method: 'DELETE', url: `/v1/jobs/${running.job.id}` }),
      409,
      'job_not_finished',
    );

    const deleted = await harness.app.inject({ method: 'DELETE', url: `/v1/jobs/${job.id}` });
    expect(deleted.statusCode).toBe(204);
    expectProblem(await harness.app.inject({ url: `/v1/jobs/${job.id}` }), 404, 'job_not_found');
    expectProblem(
      await harness.app.inject({ method: 'DELETE', url: `/v1/jobs/${job.id}` }),
      404,
      'job_not_found',
    );
    expect(
      (await harness.app.inject({ url: '/v1/jobs' })).json<PageView<JobView>>().items.map((j) => j.id),
    ).toEqual([running.job.id]);
    // The document stays: a later job may reuse it, and retention removes orphans.
    expect((await harness.app.inject({ url: `/v1/documents/${item!.documentId}` })).statusCode).toBe(200);
  });

  it('hashes what a document holds: its Markdown when no text was asked for, never the empty text', async () => {
    const markdownOnly: TaskFunction = (item) =>
      Promise.resolve({
        kind: 'succeeded',
        document: { ...fakeDocument(item.url), text: '', markdown: `# Only Markdown of ${item.url}` },
      });
    harness = await createHarness({ task: markdownOnly });
    const { job } = await submit(harness, ['https://example.com/a', 'https://example.com/b'], {
      formats: ['markdown'],
    });
    await waitForFinal(harness, job.id);
    const results = (
      await harness.app.inject({ url: `/v1/jobs/${job.id}/results?fields=url,markdown,contentHash` })
    ).json<PageView<ResultView>>();
    const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
    expect(results.items.map((doc) => doc.contentHash)).toEqual(
      results.items.map((doc) => sha256(doc.markdown!)),
    );
    expect(results.items.map((doc) => doc.contentHash)).not.toContain(sha256(''));
  });

  it('extracts one URL synchronously: 200 document, 422 with the item code, 504 extract_timeout naming the job', async () => {
    harness = await createHarness({ api: { extractTimeoutMs: 300 } });
    const ok = await harness.app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { url: 'https://example.com/sync' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<DocumentView>()).toMatchObject({
      url: 'https://example.com/sync',
      title: 'Title of https://example.com/sync',
    });

    const failed = await harness.app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { url: 'http://example.com/fail/10.0.0.1', options: { maxAttempts: 1 } },
    });
    const problem = expectProblem(failed, 422, 'blocked_address');
    expect(problem).toMatchObject({ url: 'http://example.com/fail/10.0.0.1', jobId: expect.any(String) });

    const slow = await harness.app.inject({
      method: 'POST',
      url: '/v1/extract',
      payload: { url: 'https://example.com/hang' },
    });
    const timeout = expectProblem(slow, 504, 'extract_timeout');
    const jobId = timeout.jobId as string;
    expect(timeout.links).toMatchObject({ self: `/v1/jobs/${jobId}` });
    expect((await harness.app.inject({ url: `/v1/jobs/${jobId}` })).json<JobView>().status).toBe('running');

    expectProblem(
      await harness.app.inject({ method: 'POST', url: '/v1/extract', payload: { url: 'ftp://x/' } }),
      400,
      'no_valid_urls',
    );
    expectProblem(
      await harness.app.inject({ method: 'POST', url: '/v1/extract', payload: { link: 'https://x/' } }),
      400,
      'validation_failed',
    );
    await expectHealthy(harness.app);
  });
});

describe('operations endpoints', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('answers /healthz, /readyz (503 when a dependency is down) and /metrics', async () => {
    harness = await createHarness();
    const { job } = await submit(harness, [...urls(3), 'https://example.com/fail/1'], { maxAttempts: 1 });
    await waitForFinal(harness, job.id);
    expect((await harness.app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await harness.app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({
      status: 'ready',
      checks: { database: { ok: true }, queue: { ok: true } },
    });

    const metrics = await harness.app.inject({ url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('distill_queue_depth{state="succeeded"} 3');
    expect(metrics.body).toContain('distill_queue_depth{state="failed"} 1');
    expect(metrics.body).toMatch(
      /distill_http_request_duration_seconds_count\{route="\/v1\/jobs",method="POST",status="202"\} 1/,
    );
    expect(metrics.body).toContain('distill_item_outcomes_total{state="failed",code="blocked_address"} 1');
    expect(metrics.body).toContain('distill_item_outcomes_total{state="succeeded",code="none"} 3');
    harness.metrics.observeExtraction(12, 'text/html; charset=utf-8');
    expect((await harness.app.inject({ url: '/metrics' })).body).toContain(
      'distill_extraction_duration_seconds_count{mime_type="text/html"} 1',
    );
    await harness.close();

    harness = await createHarness({
      isPoolStarted: false,
      readiness: () =>
        Promise.resolve({
          isReady: false,
          checks: { database: { ok: true }, queue: { ok: false, message: 'queue is not reachable' } },
        }),
    });
    const notReady = await harness.app.inject({ url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toMatchObject({ status: 'not_ready', checks: { queue: { ok: false } } });
  });

  it('publishes OpenAPI 3 listing every route, and serves the docs locally', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const response = await harness.app.inject({ url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const doc = response.json<{ openapi: string; paths: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'POST /v1/jobs',
        'GET /v1/jobs',
        'GET /v1/jobs/{id}',
        'GET /v1/jobs/{id}/items',
        'GET /v1/jobs/{id}/results',
        'GET /v1/jobs/{id}/events',
        'POST /v1/jobs/{id}/cancel',
        'POST /v1/jobs/{id}/retry',
        'DELETE /v1/jobs/{id}',
        'POST /v1/jobs/{id}/urls',
        'GET /v1/documents/{id}',
        'GET /v1/documents/{id}/screenshot',
        'GET /v1/documents/{id}/chunks',
        'GET /v1/jobs/{id}/chunks',
        'GET /v1/documents',
        'POST /v1/extract',
        'GET /healthz',
        'GET /readyz',
        'GET /metrics',
      ].sort(),
    );
    const submitBody = (doc.paths['/v1/jobs']!.post as { requestBody: { content: Record<string, unknown> } })
      .requestBody.content;
    expect(Object.keys(submitBody).sort()).toEqual([
      'application/json',
      'application/x-ndjson',
      'text/plain',
    ]);
    // "Try it out" starts from a request that works: two real-looking URLs, no made-up webhook.
    const example = (submitBody['application/json'] as { example?: Record<string, unknown> }).example;
    expect(example).toMatchObject({
      urls: ['https://example.com/', 'https://www.rfc-editor.org/rfc/rfc9457.txt'],
    });
    expect(example).not.toHaveProperty('webhook');
    for (const path of ['/v1/extract', '/v1/jobs/{id}/urls']) {
      const body = (
        doc.paths[path]!.post as { requestBody: { content: Record<string, { example?: unknown }> } }
      ).requestBody.content['application/json']!;
      expect(body.example, path).toEqual(expect.objectContaining({}));
    }
    // Every answer a /v1/ route can give is documented: its success, and the problem body of 4XX/5XX.
    for (const [path, methods] of Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/'))) {
      for (const [method, operation] of Object.entries(
        methods as Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>,
      )) {
        const problems = ['4XX', '5XX'].map(
          (range) => Object.keys(operation.responses[range]?.content ?? {}).length > 0,
        );
        expect({ route: `${method.toUpperCase()} ${path}`, problems }).toEqual({
          route: `${method.toUpperCase()} ${path}`,
          problems: [true, true],
        });
      }
    }
    const docs = await harness.app.inject({ url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).not.toMatch(/https?:\/\/(cdn|unpkg|cdnjs)/);
  });

  it('keeps the problem code table consistent: every code has a 4xx/5xx status', () => {
    expect(API_ERROR_CODES).toContain('job_not_found');
    for (const code of API_ERROR_CODES) expect(PROBLEM_STATUS[code]).toBeGreaterThanOrEqual(400);
  });

  it('never echoes an internal error: 500 internal_error with the request id', async () => {
    harness = await createHarness({ isPoolStarted: false });
    harness.deps.repository.getJob = () => Promise.reject(new Error('SQLITE_CORRUPT: secret detail'));
    const response = await harness.app.inject({ url: '/v1/jobs/x', headers: { 'x-request-id': 'req-123' } });
    const problem = expectProblem(response, 500, 'internal_error');
    expect(response.body).not.toContain('SQLITE');
    expect(problem.requestId).toBe('req-123');
    expect(response.headers['x-request-id']).toBe('req-123');
  });
});
