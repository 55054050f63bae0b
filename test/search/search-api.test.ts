/**
 * The search routes (issue 18) through the real API over a real SQLite store and worker pool: a
 * tenant's search, a job's search, paging, and every refusal as a problem with a stable code.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimedItem } from '../../src/jobs/index.js';
import type { TaskFunction } from '../../src/worker/index.js';
import {
  createHarness,
  expectHealthy,
  expectProblem,
  waitForFinal,
  type Harness,
} from '../helpers/api-harness.js';
import { fakeDocument } from '../helpers/store.js';

/** Pages whose text says which animal their path names. */
const animalTask: TaskFunction = (item: ClaimedItem) => {
  const animal = new URL(item.url).pathname.split('/')[1] ?? 'none';
  return Promise.resolve({
    kind: 'succeeded',
    document: {
      ...fakeDocument(item.url),
      title: `About the ${animal}`,
      text: `The ${animal} lives here. Page ${item.url}.`,
    },
  });
};

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function submit(h: Harness, urls: string[]): Promise<string> {
  const response = await h.app.inject({ method: 'POST', url: '/v1/jobs', payload: { urls } });
  expect(response.statusCode).toBe(202);
  const id = response.json<{ job: { id: string } }>().job.id;
  await waitForFinal(h, id);
  return id;
}

describe('GET /v1/documents/search', () => {
  it('finds the documents of the tenant’s jobs, best first, pages with a cursor, and searches one job', async () => {
    const h = (harness = await createHarness({
      task: animalTask,
      deps: (store) => ({ search: store.repository }),
    }));
    const first = await submit(h, [
      'https://zoo.test/walrus/1',
      'https://zoo.test/walrus/2',
      'https://zoo.test/lion/1',
    ]);
    const second = await submit(h, ['https://zoo.test/walrus/3']);

    const response = await h.app.inject({ method: 'GET', url: '/v1/documents/search?q=walrus&limit=2' });
    expect(response.statusCode).toBe(200);
    const page = response.json<{
      items: Array<{
        url: string;
        snippet: string;
        highlights: [number, number][];
        links: { document: string };
      }>;
      nextCursor: string | null;
    }>();
    expect(page.items).toHaveLength(2);
    const hit = page.items[0]!;
    expect(hit.highlights.map(([s, e]) => hit.snippet.slice(s, e))).toEqual(['walrus', 'walrus']);
    const document = await h.app.inject({ method: 'GET', url: hit.links.document });
    expect(document.json()).toMatchObject({ url: hit.url });

    const rest = await h.app.inject({
      method: 'GET',
      url: `/v1/documents/search?q=walrus&limit=2&cursor=${page.nextCursor}`,
    });
    const restPage = rest.json<typeof page>();
    expect(restPage.nextCursor).toBeNull();
    expect([...page.items, ...restPage.items].map((i) => i.url).sort()).toEqual([
      'https://zoo.test/walrus/1',
      'https://zoo.test/walrus/2',
      'https://zoo.test/walrus/3',
    ]);

    const ofJob = await h.app.inject({
      method: 'GET',
      url: `/v1/jobs/${second}/documents/search?q=walrus OR lion`,
    });
    expect(ofJob.json<typeof page>().items.map((i) => i.url)).toEqual(['https://zoo.test/walrus/3']);
    const ofFirst = await h.app.inject({ method: 'GET', url: `/v1/jobs/${first}/documents/search?q=lion` });
    expect(ofFirst.json<typeof page>().items.map((i) => i.url)).toEqual(['https://zoo.test/lion/1']);
  });

  it('refuses queries that cannot be searched, cursors it did not hand out and unknown jobs, with stable codes', async () => {
    const h = (harness = await createHarness({
      task: animalTask,
      deps: (store) => ({ search: store.repository }),
    }));
    const cases: Array<[string, number, string, string?]> = [
      ['/v1/documents/search?q=%22unclosed', 400, 'invalid_search_query', 'unbalanced_quote'],
      ['/v1/documents/search?q=-only', 400, 'invalid_search_query', 'only_excluded'],
      ['/v1/documents/search?q=fox%20OR', 400, 'invalid_search_query', 'misplaced_or'],
      ['/v1/documents/search?q=a-b*', 400, 'invalid_search_query', 'bad_prefix'],
      ['/v1/documents/search?q=%2B%2B%2B', 400, 'invalid_search_query', 'empty'],
      ['/v1/documents/search', 400, 'validation_failed'],
      [`/v1/documents/search?q=${'x'.repeat(501)}`, 400, 'validation_failed'],
      ['/v1/documents/search?q=fox&limit=51', 400, 'validation_failed'],
      ['/v1/documents/search?q=fox&cursor=nope', 400, 'invalid_cursor'],
      ['/v1/jobs/00000000-0000-0000-0000-000000000000/documents/search?q=fox', 404, 'job_not_found'],
    ];
    for (const [url, status, code, reason] of cases) {
      const body = expectProblem(await h.app.inject({ method: 'GET', url }), status, code);
      if (reason !== undefined) expect(body.reason).toBe(reason);
    }
    await expectHealthy(h.app);
  });
});
