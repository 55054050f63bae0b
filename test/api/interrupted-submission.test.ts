import { once } from 'node:events';
import { connect, type AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { SubmitResponse } from '../../src/client/types.js';
import type { Job } from '../../src/jobs/index.js';
import { waitFor } from '../helpers/store.js';
import { createHarness, expectProblem, type Harness } from '../helpers/api-harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function pragma(name: string): Promise<number> {
  const { rows } = await sql<Record<string, number>>`${sql.raw(`PRAGMA ${name}`)}`.execute(
    harness!.store.handle.db,
  );
  return Number(Object.values(rows[0]!)[0]);
}

describe('a submission whose storage fails part-way', () => {
  it('answers with the storage problem and the id of the job that holds the first batches, and the rest can be appended', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const urls = Array.from(
      { length: 10_000 },
      (_, i) => `https://example.com/interrupted/${i}/${'x'.repeat(60)}`,
    );
    // A real SQLITE_FULL: the database may grow by about one batch of 2,000 URLs, not five.
    const pages = await pragma('page_count');
    await pragma(`max_page_count = ${pages + 250}`);

    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'text/plain' },
      payload: urls.join('\n'),
    });
    const problem = expectProblem(response, 507, 'storage_full');
    const jobId = problem.jobId as string;
    const accepted = problem.accepted as number;
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(urls.length);
    expect(String(problem.detail)).toContain(`POST /v1/jobs/${jobId}/urls`);
    expect((await harness.store.repository.getJob(jobId))?.total).toBe(accepted);

    // Space again: the client appends the same list; what the job has is skipped.
    await pragma('max_page_count = 1073741823');
    const append = await harness.app.inject({
      method: 'POST',
      url: `/v1/jobs/${jobId}/urls`,
      headers: { 'content-type': 'text/plain' },
      payload: urls.join('\n'),
    });
    expect(append.statusCode).toBe(202);
    expect(append.json<{ submission: { accepted: number; duplicates: number } }>().submission).toMatchObject({
      accepted: urls.length - accepted,
      duplicates: accepted,
    });
    expect((await harness.store.repository.getJob(jobId))?.total).toBe(urls.length);
  });
});

describe('a submission whose storage fails at its first batch', () => {
  it('leaves no job waiting: the empty job is cancelled and the problem names none', async () => {
    harness = await createHarness({ isPoolStarted: false });
    // Room for the job's row, not for a batch of 2,000 URLs.
    const pages = await pragma('page_count');
    await pragma(`max_page_count = ${pages + 20}`);
    const urls = Array.from({ length: 2000 }, (_, i) => `https://example.com/full/${i}/${'x'.repeat(200)}`);
    const response = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'text/plain' },
      payload: urls.join('\n'),
    });
    const problem = expectProblem(response, 507, 'storage_full');
    expect(problem.jobId).toBeUndefined();
    await pragma('max_page_count = 1073741823');
    const { items } = await harness.store.repository.listJobs({ limit: 10 });
    // No job stays `queued` with nothing in it.
    expect(items.filter((job) => job.status !== 'cancelled' && job.status !== 'completed')).toEqual([]);
    for (const job of items)
      expect(job).toMatchObject({ total: 0, status: 'cancelled', intake: 'interrupted' });
  });
});

describe('a streamed submission whose body is cut', () => {
  it('cancels the part it stored, marks it interrupted, and binds no Idempotency-Key: the retry makes the whole job', async () => {
    harness = await createHarness({ isPoolStarted: false });
    await harness.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = harness.app.server.address() as AddressInfo;
    const urls = Array.from({ length: 30_000 }, (_, i) => `https://example.com/cut/${i}`);
    const body = `${urls.join('\n')}\n`;

    // Send a third of the body, wait until the server stored some of it, then go.
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => undefined);
    socket.resume();
    await once(socket, 'connect');
    socket.write(
      `POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nIdempotency-Key: cut-1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
    );
    socket.write(urls.slice(0, 10_000).join('\n'));
    let cut: Job | undefined;
    await waitFor(
      async () => {
        cut = (await harness!.store.repository.listJobs({ limit: 1 })).items[0];
        return cut !== undefined && cut.total > 0;
      },
      10_000,
      'the first batches to be stored',
    );
    expect(cut!.intake).toBe('open');
    socket.destroy();

    await waitFor(
      async () => (await harness!.store.repository.getJob(cut!.id))?.intake === 'interrupted',
      10_000,
      'the job to be marked interrupted',
    );
    const stored = (await harness.store.repository.getJob(cut!.id))!;
    expect(stored.status).toBe('cancelled');
    expect(stored.total).toBeLessThan(urls.length);
    expect(stored.counts.queued).toBe(0);
    const view = await harness.app.inject({ url: `/v1/jobs/${cut!.id}` });
    expect(view.json()).toMatchObject({ intake: 'interrupted', status: 'cancelled' });

    // The same key again, with the whole body: a new job of every URL, not a replay of the part.
    const submit = () =>
      harness!.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        headers: { 'content-type': 'text/plain', 'idempotency-key': 'cut-1' },
        payload: body,
      });
    const retried = await submit();
    expect(retried.statusCode).toBe(202);
    const whole = retried.json<SubmitResponse>();
    expect(whole.job.id).not.toBe(cut!.id);
    expect(whole.job.total).toBe(urls.length);
    expect(whole.job.intake).toBeUndefined();
    // Now that it is whole, the key is bound: a replay returns it.
    const replayed = await submit();
    expect(replayed.statusCode).toBe(200);
    expect(replayed.json<SubmitResponse>()).toMatchObject({
      job: { id: whole.job.id, total: urls.length },
      submission: { replayed: true },
    });
  }, 60_000);
});
