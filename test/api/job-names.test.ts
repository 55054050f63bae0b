/** Job names over HTTP (issue 22): given at submission (JSON, streamed, crawl), checked, returned, searched with `q`. */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobView, PageView, SubmitResponse } from '../../src/client/types.js';
import { createHarness, expectHealthy, expectProblem, type Harness } from '../helpers/api-harness.js';

describe('job names', () => {
  let harness: Harness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('returns the given name, trimmed, or the first URL’s host and count, and finds jobs by name or URL with ?q=', async () => {
    harness = await createHarness({ isPoolStarted: false });
    const submit = async (payload: object) => {
      const response = await harness!.app.inject({ method: 'POST', url: '/v1/jobs', payload });
      expect(response.statusCode).toBe(202);
      return response.json<SubmitResponse>().job;
    };
    const named = await submit({ urls: ['https://docs.example.org/a'], name: '  Docs refresh  ' });
    expect(named.name).toBe('Docs refresh');
    const unnamed = await submit({ urls: Array.from({ length: 42 }, (_, i) => `https://example.com/${i}`) });
    expect(unnamed.name).toBe('example.com +41');
    const streamed = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs?name=Streamed%20batch',
      headers: { 'content-type': 'text/plain' },
      payload: 'https://stream.test/1\nhttps://stream.test/2\n',
    });
    expect(streamed.json<SubmitResponse>().job.name).toBe('Streamed batch');
    const read = await harness.app.inject({ method: 'GET', url: `/v1/jobs/${unnamed.id}` });
    expect(read.json<JobView>().name).toBe('example.com +41');

    const list = async (query: string) =>
      (await harness!.app.inject({ method: 'GET', url: `/v1/jobs?${query}` }))
        .json<PageView<JobView>>()
        .items.map((j) => j.name);
    expect(await list('q=docs')).toEqual(['Docs refresh']);
    expect(await list('q=EXAMPLE.COM')).toEqual(['example.com +41']);
    expect(await list(`q=${encodeURIComponent('https://example.com/17')}`)).toEqual(['example.com +41']);
    expect(await list('q=stream&status=queued')).toEqual(['Streamed batch']);
    expect(await list('q=nowhere')).toEqual([]);
  });

  it('refuses a blank name, one with a line break and one over 200 characters with 400 validation_failed naming /name', async () => {
    harness = await createHarness({ isPoolStarted: false });
    for (const name of ['   ', 'two\nlines', 'x'.repeat(201), '']) {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { urls: ['https://example.com/'], name },
      });
      const problem = expectProblem(response, 400, 'validation_failed');
      expect(JSON.stringify(problem)).toContain('/name');
    }
    const bell = await harness.app.inject({
      method: 'POST',
      url: '/v1/jobs?name=ring%07',
      headers: { 'content-type': 'text/plain' },
      payload: 'https://example.com/\n',
    });
    expectProblem(bell, 400, 'validation_failed');
    const long = await harness.app.inject({ method: 'GET', url: `/v1/jobs?q=${'q'.repeat(201)}` });
    expectProblem(long, 400, 'validation_failed');
    await expectHealthy(harness.app);
  });
});
