/**
 * Change detection and schedules through the HTTP API of an embedded server: the same content
 * stores no version, changed content stores one and emits `document.changed`, a 304 to a
 * conditional request keeps the document without a body being sent; and the schedule routes.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorpusServer, type CorpusResponse, type CorpusServer } from '../../bench/corpus-server.mjs';
import { startFetchingApp, type TestApp } from '../helpers/app-server.js';
import { waitFor } from '../helpers/store.js';

const PARAGRAPH =
  'A page that the tests change now and then, with enough words in it to be taken for the main content of the page.';

function html(lines: string[]): string {
  return `<!doctype html><html lang="en"><head><title>Watched</title></head><body><article><h1>Watched</h1>${lines
    .map((l) => `<p>${PARAGRAPH} ${l}</p>`)
    .join('')}</article></body></html>`;
}

describe('change detection and schedules over HTTP', () => {
  let site: CorpusServer;
  let testApp: TestApp | undefined;
  let base: string;
  const content = new Map<string, string[]>();
  const answers = { ok: 0, notModified: 0 };

  beforeAll(async () => {
    site = await startCorpusServer({
      handler: (path, _host, req): CorpusResponse => {
        if (path === '/robots.txt') return { status: 404, body: '' };
        const lines = content.get(path);
        if (!lines) return { status: 404, body: '' };
        const body = html(lines);
        // `/etag/…` supports conditional requests; `/plain/…` does not.
        if (path.startsWith('/etag/')) {
          const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
          if (req.headers['if-none-match'] === etag) {
            answers.notModified++;
            return { status: 304, headers: { etag }, body: '' };
          }
          answers.ok++;
          return { headers: { 'content-type': 'text/html; charset=utf-8', etag }, body };
        }
        answers.ok++;
        return { body };
      },
    });
    testApp = await startFetchingApp(
      {
        DISTILL_FETCH_ALLOW: '127.0.0.1',
        DISTILL_CONCURRENCY: '4',
        DISTILL_EXTRACT_THREADS: '1',
        DISTILL_RENDER_DEFAULT: 'never',
        DISTILL_DOCUMENT_VERSIONS: '3',
      },
      { prefix: 'distill-watch-' },
    );
    base = testApp.url;
  });

  afterAll(async () => {
    await testApp?.close();
    await site?.close();
  });

  async function call(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    };
  }

  /** Extracts `url` again (maxAge 0) and returns its item's document id. */
  async function extract(url: string): Promise<string> {
    const submitted = await call('POST', '/v1/jobs', { urls: [url], options: { maxAge: 0 } });
    const jobId = (submitted.body.job as { id: string }).id;
    await waitFor(
      async () => (await call('GET', `/v1/jobs/${jobId}`)).body.status === 'completed',
      15_000,
      'the job',
    );
    const items = (await call('GET', `/v1/jobs/${jobId}/items`)).body.items as Array<{
      state: string;
      documentId: string;
    }>;
    expect(items[0]!.state).toBe('succeeded');
    return items[0]!.documentId;
  }

  async function changedEvents(documentId: string): Promise<Array<Record<string, unknown>>> {
    const events = (await call('GET', '/v1/events?type=document.changed&limit=100')).body.items as Array<{
      data: Record<string, unknown>;
    }>;
    return events.map((e) => e.data).filter((d) => d.documentId === documentId);
  }

  it('stores a version and emits document.changed only when the text changes', async () => {
    const url = `${site.origins[0]}/plain/1`;
    content.set('/plain/1', ['first', 'second']);
    const id = await extract(url);
    expect(await extract(url)).toBe(id);
    let versions = (await call('GET', `/v1/documents/${id}/versions`)).body;
    expect(versions).toMatchObject({ current: { version: 1 }, items: [] });
    expect(await changedEvents(id)).toEqual([]);

    content.set('/plain/1', ['first', 'second, revised', 'third']);
    expect(await extract(url)).toBe(id);
    versions = (await call('GET', `/v1/documents/${id}/versions`)).body;
    expect(versions.current).toMatchObject({ version: 2 });
    const items = versions.items as Array<Record<string, unknown>>;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ version: 1, changes: { addedLines: 2, removedLines: 1 } });
    expect(items[0]!.text).toContain('second');
    await waitFor(async () => (await changedEvents(id)).length === 1, 5000, 'document.changed');
    expect((await changedEvents(id))[0]).toMatchObject({
      url,
      version: 2,
      changes: { addedLines: 2, removedLines: 1 },
    });
    expect((await call('GET', `/v1/documents/${id}/versions?text=false`)).body.items).toEqual([
      expect.not.objectContaining({ text: expect.anything() }),
    ]);
    expect((await call('GET', '/v1/documents/nope/versions')).body.code).toBe('document_not_found');
  });

  it('sends the stored ETag back; a 304 keeps the document, refreshes fetchedAt and transfers no body', async () => {
    const url = `${site.origins[0]}/etag/1`;
    content.set('/etag/1', ['stable']);
    const before = { ...answers };
    const id = await extract(url);
    const first = (await call('GET', `/v1/documents/${id}`)).body;
    expect(answers.ok - before.ok).toBe(1);

    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await extract(url)).toBe(id);
    expect(answers.notModified - before.notModified).toBe(1);
    expect(answers.ok - before.ok).toBe(1);
    const second = (await call('GET', `/v1/documents/${id}`)).body;
    expect(second.text).toBe(first.text);
    expect(Date.parse(second.fetchedAt as string)).toBeGreaterThan(Date.parse(first.fetchedAt as string));
    expect((await call('GET', `/v1/documents/${id}/versions`)).body.current).toMatchObject({ version: 1 });

    content.set('/etag/1', ['stable', 'and changed']);
    expect(await extract(url)).toBe(id);
    expect(answers.ok - before.ok).toBe(2);
    expect((await call('GET', `/v1/documents/${id}/versions`)).body.current).toMatchObject({ version: 2 });
  });

  it('creates, lists, pauses, resumes and deletes schedules, and refuses bad ones', async () => {
    const created = await call('POST', '/v1/schedules', {
      name: 'watch',
      urls: [`${site.origins[0]}/etag/1`, 'not a url'],
      options: { maxAge: 0 },
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({
      name: 'watch',
      status: 'active',
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Paris',
      template: { kind: 'urls', urls: [`${site.origins[0]}/etag/1`], options: { maxAge: 0 } },
      runs: 0,
      lastJobId: null,
    });
    expect(new Date(created.body.nextRunAt as string).getTime()).toBeGreaterThan(Date.now());
    const id = created.body.id as string;

    const crawl = await call('POST', '/v1/schedules', {
      crawl: { url: `${site.origins[0]}/etag/1`, maxDepth: 1 },
      intervalSeconds: 3600,
    });
    expect(crawl.status).toBe(201);
    expect(crawl.body.template).toMatchObject({ kind: 'crawl', crawl: { maxDepth: 1, maxPages: 100 } });

    const list = (await call('GET', '/v1/schedules?limit=1')).body;
    expect((list.items as unknown[]).length).toBe(1);
    expect(list.nextCursor).not.toBeNull();
    expect((await call('POST', `/v1/schedules/${id}/pause`)).body).toMatchObject({
      status: 'paused',
      nextRunAt: null,
    });
    expect((await call('POST', `/v1/schedules/${id}/resume`)).body).toMatchObject({ status: 'active' });
    expect((await call('GET', `/v1/schedules/${id}`)).body.id).toBe(id);
    expect((await call('DELETE', `/v1/schedules/${id}`)).status).toBe(204);
    expect((await call('GET', `/v1/schedules/${id}`)).body.code).toBe('schedule_not_found');
    expect((await call('DELETE', `/v1/schedules/${id}`)).status).toBe(404);

    const bad = async (body: Record<string, unknown>): Promise<string> => {
      const response = await call('POST', '/v1/schedules', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      return `${response.body.code as string} ${JSON.stringify((response.body.errors as Array<{ field: string }> | undefined)?.[0]?.field)}`;
    };
    const urls = [`${site.origins[0]}/etag/1`];
    expect(await bad({ urls, cron: 'every day' })).toBe('validation_failed "/cron"');
    expect(await bad({ urls, cron: '* * * * * *' })).toBe('validation_failed "/cron"');
    expect(await bad({ urls, cron: '0 9 * * *', timezone: 'Mars/Olympus' })).toBe(
      'validation_failed "/timezone"',
    );
    expect(await bad({ urls, cron: '0 9 * * *', intervalSeconds: 3600 })).toBe('validation_failed "/cron"');
    expect(await bad({ urls, intervalSeconds: 10 })).toMatch(/^validation_failed/);
    expect(await bad({ cron: '0 9 * * *' })).toBe('validation_failed "/"');
    expect(await bad({ urls: ['nope'], cron: '0 9 * * *' })).toMatch(/^no_valid_urls/);
    expect(await bad({ crawl: { url: urls[0], exclude: ['/(/'] }, cron: '0 9 * * *' })).toBe(
      'validation_failed "/crawl/exclude"',
    );
    expect(await bad({ crawl: { url: urls[0], exclude: ['/(a+)\\1/'] }, cron: '0 9 * * *' })).toBe(
      'validation_failed "/crawl/exclude"',
    );
    expect(await bad({ crawl: { url: urls[0], include: ['/(?<!a)b/'] }, cron: '0 9 * * *' })).toBe(
      'validation_failed "/crawl/include"',
    );
  });
});
