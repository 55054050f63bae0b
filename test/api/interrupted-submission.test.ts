import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, expectProblem, type Harness } from './harness.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function pragma(name: string): Promise<number> {
  const { rows } = await sql<Record<string, number>>`${sql.raw(`PRAGMA ${name}`)}`.execute(harness!.store.handle.db);
  return Number(Object.values(rows[0]!)[0]);
}

describe('a submission whose storage fails part-way', () => {
  it('answers with the storage problem and the id of the job that holds the first batches, and the rest can be appended', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const urls = Array.from({ length: 10_000 }, (_, i) => `https://example.com/interrupted/${i}/${'x'.repeat(60)}`);
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
