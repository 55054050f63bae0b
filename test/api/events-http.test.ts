import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DistillApiError, DistillClient, type JobEvent } from '../../src/client/index.js';
import type { JobView, SubmitResponse } from '../../src/client/types.js';
import { createDeferred, type Deferred } from '../../src/lib/index.js';
import type { TaskFunction } from '../../src/worker/index.js';
import { waitFor } from '../helpers/store.js';
import {
  createHarness,
  expectHealthy,
  fakeTask,
  urls,
  waitForFinal,
  type Harness,
} from '../helpers/api-harness.js';

/** Parses a whole SSE body (inject) into events. */
function parseSse(body: string): Array<{ id?: string; event: string; data: unknown }> {
  return body
    .split('\n\n')
    .filter((block) => block.split('\n').some((line) => line.startsWith('data:')))
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) fields[line.slice(0, colon)] = line.slice(colon + 2);
      }
      return {
        ...(fields.id !== undefined ? { id: fields.id } : {}),
        event: fields.event ?? 'message',
        data: JSON.parse(fields.data ?? 'null') as unknown,
      };
    });
}

/** A task that holds `/gate/` URLs until the test opens the gate; others run as `fakeTask`. */
function gatedTask(gate: Deferred<void>): TaskFunction {
  return async (item, context) => {
    if (new URL(item.url).pathname.startsWith('/gate/')) await gate.promise;
    return fakeTask(item, context);
  };
}

async function openStreams(harness: Harness): Promise<number> {
  const text = (await harness.app.inject({ url: '/metrics' })).body;
  return Number(/^distill_sse_streams (\d+)/m.exec(text)?.[1]);
}

describe('GET /v1/jobs/:id/events (Server-Sent Events)', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('replays the event log, sends progress, ends with `completed`; Last-Event-ID resumes exactly after it', async () => {
    harness = await createHarness();
    const created = (
      await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: [...urls(8), 'https://example.com/fail/1'], options: { maxAttempts: 1 } },
      })
    ).json<SubmitResponse>();
    const jobId = created.job.id;
    await waitForFinal(harness, jobId);

    const full = await harness.app.inject({ url: `/v1/jobs/${jobId}/events` });
    expect(full.statusCode).toBe(200);
    expect(full.headers['content-type']).toMatch(/^text\/event-stream/);
    const events = parseSse(full.body);
    const logged = events.filter((e) => e.id !== undefined);
    const types = logged.map((e) => e.event);
    expect(types[0]).toBe('job.created');
    // The options as the API names them, the same object `GET /v1/jobs/:id` shows.
    expect(logged[0]!.data).toEqual({ jobId, options: created.job.options });
    expect(types).toContain('job.completed');
    expect(types.filter((t) => t === 'document.extracted')).toHaveLength(8);
    expect(types.filter((t) => t === 'item.failed')).toHaveLength(1);
    const ids = logged.map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(events.at(-2)).toMatchObject({
      event: 'progress',
      data: { jobId, status: 'completed', progress: 1 },
    });
    expect(events.at(-1)).toMatchObject({
      event: 'completed',
      data: { id: jobId, status: 'completed', counts: { succeeded: 8, failed: 1 } },
    });

    // Resume after the fourth logged event, by header and by query string: exactly the rest.
    const after = logged[3]!.id!;
    for (const request of [
      { url: `/v1/jobs/${jobId}/events`, headers: { 'last-event-id': after } },
      { url: `/v1/jobs/${jobId}/events?lastEventId=${after}` },
    ]) {
      const resumed = parseSse((await harness.app.inject(request)).body);
      expect(resumed.filter((e) => e.id !== undefined).map((e) => e.id)).toEqual(
        logged.slice(4).map((e) => e.id),
      );
      expect(resumed.at(-1)?.event).toBe('completed');
    }
    const bad = await harness.app.inject({
      url: `/v1/jobs/${jobId}/events`,
      headers: { 'last-event-id': 'yesterday' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'validation_failed', errors: [{ field: '/last-event-id' }] });
  });
});

describe('over real HTTP', () => {
  let harness: Harness | undefined;
  let client: DistillClient;
  let baseUrl: string;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  async function start(options: Parameters<typeof createHarness>[0] = {}): Promise<Harness> {
    harness = await createHarness(options);
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
    client = new DistillClient({ baseUrl });
    return harness;
  }

  it('sends document.extracted for URLs reused from stored documents too, marked reused, before job.completed', async () => {
    harness = await createHarness();
    const first = (
      await harness.app.inject({ method: 'POST', url: '/v1/jobs', payload: { urls: urls(3) } })
    ).json<SubmitResponse>();
    await waitForFinal(harness, first.job.id);
    const second = (
      await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: urls(3), options: { maxAge: 3600 } },
      })
    ).json<SubmitResponse & { submission: { reused: number } }>();
    expect(second.submission.reused).toBe(3);
    await waitForFinal(harness, second.job.id);
    const logged = parseSse(
      (await harness.app.inject({ url: `/v1/jobs/${second.job.id}/events` })).body,
    ).filter((e) => e.id !== undefined);
    expect(logged.map((e) => e.event)).toEqual([
      'job.created',
      'document.extracted',
      'document.extracted',
      'document.extracted',
      'job.completed',
    ]);
    for (const event of logged.filter((e) => e.event === 'document.extracted')) {
      expect(event.data).toMatchObject({
        jobId: second.job.id,
        reused: true,
        documentId: expect.any(String),
        title: expect.any(String),
      });
    }
  });

  it('streams live events; a client that disconnects and resumes with Last-Event-ID misses nothing', async () => {
    const gate = createDeferred();
    const h = await start({ task: gatedTask(gate) });
    const { job } = await client.submit([
      ...urls(5, 'example.com', 'gate'),
      ...urls(5, 'example.com', 'free'),
    ]);

    // First connection: read until the five free items are in, then hang up.
    const firstAbort = new AbortController();
    const seen: JobEvent[] = [];
    let extracted = 0;
    for await (const event of client.events(job.id, { signal: firstAbort.signal })) {
      seen.push(event);
      if (event.event === 'document.extracted' && ++extracted === 5) break;
    }
    firstAbort.abort();
    await waitFor(async () => (await openStreams(h)) === 0, 5000, 'the server to drop the first stream');

    gate.resolve();
    await waitForFinal(h, job.id);
    const lastId = [...seen].reverse().find((e) => e.id !== undefined)!.id;
    const resumed: JobEvent[] = [];
    for await (const event of client.events(job.id, { lastEventId: lastId })) resumed.push(event);
    expect(resumed.at(-1)).toMatchObject({ event: 'completed', data: { id: job.id, status: 'completed' } });

    const received = [...seen, ...resumed].filter((e) => e.id !== undefined).map((e) => Number(e.id));
    const logged = (await h.store.repository.listEvents({ jobId: job.id, afterId: 0, limit: 1000 })).map(
      (e) => e.id,
    );
    expect(received).toEqual(logged);
    expect(logged).toHaveLength(1 + 10 + 1);
    expect(await openStreams(h)).toBe(0);
  });

  it('sends heartbeats, bounds concurrent streams (503 too_many_streams) and ends streams on close', async () => {
    const gate = createDeferred();
    const h = await start({ task: gatedTask(gate), api: { maxEventStreams: 1, heartbeatMs: 30 } });
    const { job } = await client.submit(['https://example.com/gate/1']);
    const response = await fetch(`${baseUrl}/v1/jobs/${job.id}/events`);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat')) text += new TextDecoder().decode((await reader.read()).value);
    expect(text).toContain('event: job.created');

    const second = await fetch(`${baseUrl}/v1/jobs/${job.id}/events`);
    expect(second.status).toBe(503);
    expect(second.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(second.headers.get('retry-after')).toBe('5');
    expect(await second.json()).toMatchObject({ code: 'too_many_streams' });

    // Closing the server ends the open stream at once instead of waiting for the job.
    const closed = h.close();
    for (;;) {
      const { done } = await reader.read();
      if (done) break;
    }
    gate.resolve();
    await closed;
  });

  it('takes 20,000 URLs streamed as text/plain through the client; follows a job and streams its results as NDJSON', async () => {
    const h = await start({ isPoolStarted: false });
    async function* lines(): AsyncGenerator<string> {
      for (let i = 0; i < 20_000; i++) {
        if (i % 1000 === 0) await Promise.resolve();
        yield `https://example.com/s/${i}`;
      }
      yield 'gopher://nope/';
    }
    const big = await client.submitStream(lines(), { maxAge: 0, formats: ['text', 'markdown'] });
    expect(big.submission).toMatchObject({
      received: 20_001,
      accepted: 20_000,
      invalidCount: 1,
      duplicates: 0,
    });
    expect(big.job).toMatchObject({ total: 20_000, options: { maxAge: 0, formats: ['text', 'markdown'] } });
    expect((await client.cancel(big.job.id)).counts).toMatchObject({ queued: 0, cancelled: 20_000 });

    h.pool.start();
    const small = await client.submitStream(urls(300, 'example.com', 'small'));
    const progress: number[] = [];
    const final = await client.waitForJob(small.job.id, { onProgress: (p) => progress.push(p.progress) });
    expect(final).toMatchObject({ status: 'completed', counts: { succeeded: 300 } });
    expect(progress.at(-1)).toBe(1);
    const seen: string[] = [];
    for await (const doc of client.results(small.job.id, { fields: ['url', 'title'] })) {
      expect(Object.keys(doc).sort()).toEqual(['title', 'url']);
      seen.push(doc.url!);
    }
    expect(seen).toEqual(urls(300, 'example.com', 'small'));
  });

  it('exposes problems as DistillApiError, and the typed calls round-trip', async () => {
    const h = await start();
    await expect(client.getJob('nope')).rejects.toMatchObject({
      name: 'DistillApiError',
      status: 404,
      code: 'job_not_found',
    });
    const error = await client.submit(['ftp://x/']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DistillApiError);
    expect((error as DistillApiError).problem.invalid).toHaveLength(1);
    const doc = await client.extract('https://example.com/direct');
    expect(doc.title).toBe('Title of https://example.com/direct');
    expect((await client.getDocumentByUrl('https://EXAMPLE.com/direct')).id).toBe(doc.id);
    const { job } = await client.submit(['https://example.com/1'], { idempotencyKey: 'k1' });
    expect((await client.submit(['https://example.com/1'], { idempotencyKey: 'k1' })).job.id).toBe(job.id);
    const appended = await client.append(job.id, ['https://example.com/2']);
    expect(appended.job.total).toBe(2);
    await waitForFinal(h, job.id);
    expect((await client.listItems(job.id, { state: 'succeeded' })).items).toHaveLength(2);
    expect((await client.listJobs({ limit: 10 })).items.map((j: JobView) => j.id)).toContain(job.id);
    expect((await client.cancel(job.id)).status).toBe('completed');
    await expectHealthy(h.app);
  });
});
