import { afterEach, describe, expect, it } from 'vitest';
import { DistillClient } from '../../src/client/index.js';
import type { ItemOutcome } from '../../src/jobs/index.js';
import { eventLogOf, getJson, startApp } from '../helpers/app-server.js';
import { fakeDocument, waitFor } from '../helpers/store.js';

const sentence = (n: number): string =>
  `Sentence ${n} of the section says a little more about the topic at hand.`;
const markdownOf = (url: string): string =>
  [
    `# Guide to ${url}`,
    Array.from({ length: 30 }, (_, i) => sentence(i)).join(' '),
    '## Install',
    '```sh\nnpm install distill\n```',
    '## Use',
    'Run it.',
  ].join('\n\n');

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describe('chunks as a format', () => {
  it('serves chunks with the results, as NDJSON per job, and with a document', async () => {
    const app = await startApp(
      {},
      {
        task: (item): Promise<ItemOutcome> =>
          Promise.resolve({
            kind: 'succeeded',
            document: { ...fakeDocument(item.url), markdown: markdownOf(item.url) },
          }),
      },
    );
    closers.push(app.close);
    const client = new DistillClient({ baseUrl: app.url });
    const { job } = await client.submit(['https://c.example/1', 'https://c.example/2'], {
      formats: ['chunks'],
      chunkTokens: 64,
      chunkOverlap: 16,
    });
    expect(job.options).toMatchObject({ formats: ['chunks'], chunkTokens: 64, chunkOverlap: 16 });
    await waitFor(async () => (await client.getJob(job.id)).status === 'completed', 15_000, 'job completed');

    const page = await client.listResults(job.id);
    const chunks = page.items[0]!.chunks!;
    expect(chunks.length).toBeGreaterThan(3);
    for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(64);
    expect(chunks.at(-2)!.headings).toEqual(['Guide to https://c.example/1', 'Install']);
    expect(chunks.at(-2)!.text).toBe('## Install\n\n```sh\nnpm install distill\n```');
    const documentId = page.items[0]!.id!;
    expect(chunks[0]!.id).toMatch(new RegExp(`^${documentId}:0:[0-9a-f]{12}$`));

    const streamed = [];
    for await (const chunk of client.chunks(job.id)) streamed.push(chunk);
    expect(streamed.filter((c) => c.seq === 0).map((c) => c.id)).toEqual(chunks.map((c) => c.id));
    expect(new Set(streamed.map((c) => c.url))).toEqual(
      new Set(['https://c.example/1', 'https://c.example/2']),
    );

    // Events carry no bodies: document.extracted says how many chunks (and tokens) there are to read.
    const extracted = (await eventLogOf(app.url, job.id)).filter(
      (e) => e.type === 'document.extracted',
    ) as unknown as Array<{ data: { seq: number; chunks: unknown } }>;
    expect(extracted.find((e) => e.data.seq === 0)!.data.chunks).toEqual({
      count: chunks.length,
      tokens: chunks.reduce((sum, c) => sum + c.tokens, 0),
    });

    // Other sizes on request: ids are stable for the same Markdown and sizes.
    const bigger = await client.documentChunks(documentId, { chunkTokens: 512 });
    expect(bigger.chunks.length).toBeLessThan(chunks.length);
    expect((await client.documentChunks(documentId, { chunkTokens: 512 })).chunks.map((c) => c.id)).toEqual(
      bigger.chunks.map((c) => c.id),
    );
    const refused = await getJson(`${app.url}/v1/jobs/${job.id}/chunks?chunkTokens=5`);
    expect(refused).toMatchObject({ status: 400, body: { code: 'invalid_chunk_settings' } });
  });
});
