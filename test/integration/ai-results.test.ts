/**
 * Chunks and language-model results (issue 18) on every database: a job's chunk and model settings,
 * the Markdown chunks are cut from, and each item's `json` answer, summary, failures and tokens come
 * back as they were stored, and a job's tokens sum over its items. MySQL's `text` stops at 64 KiB,
 * so the answer stored here is larger than that (migration 0014 made it `longtext`).
 */
import { describe, expect, it } from 'vitest';
import { chunkMarkdown } from '../../src/extract/index.js';
import type { ItemLlmResult, JobOptions } from '../../src/jobs/index.js';
import { KyselyJobRepository, type DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions, fakeDocument } from '../helpers/store.js';

const SCHEMA = {
  type: 'object',
  properties: {
    products: {
      type: 'array',
      items: { type: 'object', properties: { name: { type: 'string' }, price: { type: 'number' } } },
    },
  },
  required: ['products'],
};

const MARKDOWN = [
  '# Catalogue — Ünïcødé 🍅',
  Array.from(
    { length: 40 },
    (_, i) => `Sentence ${i} of the introduction talks about tomatoes, 番茄 and prices.`,
  ).join(' '),
  '## Table',
  '| name | price |\n| --- | --- |\n| Roma 🍅 | 1.50 |\n| Cherry | 2.25 |',
  '## Code',
  '```js\nconst x = "a \\"quoted\\" string";\n```',
].join('\n\n');

const CHUNKING = { maxTokens: 64, overlapTokens: 8 };

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`chunks and model results on ${name}`, backend.skipReason),
    () => {
      it("round-trips the job settings, the Markdown chunks are cut from, and each item's answers and tokens", async () => {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const repository = new KyselyJobRepository({ db: db.handle.db, dialect: db.handle.dialect, clock });
        const options: JobOptions = {
          ...defaultOptions,
          formats: ['markdown', 'chunks', 'json', 'summary'],
          chunking: CHUNKING,
          llm: {
            schema: SCHEMA,
            prompt: 'Every product — with its price',
            summaryPrompt: 'Two sentences',
            model: 'local/qwen2.5:7b',
            maxInFlight: 3,
            maxTokens: 50_000,
            maxRepairs: 2,
          },
        };
        const jobId = crypto.randomUUID();
        await repository.createJob({ id: jobId, options, webhook: null });
        expect((await repository.getJob(jobId))!.options).toEqual(options);

        const urls = ['https://ai.test/big', 'https://ai.test/failed', 'https://ai.test/plain'];
        await repository.addItems(
          jobId,
          urls.map((url) => ({ url })),
        );
        // An answer over MySQL's 64 KiB `text`, with characters outside the BMP.
        const products = Array.from({ length: 2000 }, (_, i) => ({
          name: `Tomato 🍅 n°${i} «${'x'.repeat(20)}»`,
          price: i / 4,
        }));
        const results: Record<string, ItemLlmResult | undefined> = {
          'https://ai.test/big': {
            json: { products },
            summary: 'A catalogue of tomatoes — 番茄.',
            model: 'local/qwen2.5:7b',
            tokensIn: 12_000,
            tokensOut: 30_000,
            calls: 2,
          },
          'https://ai.test/failed': {
            summary: 'Short.',
            errors: [
              {
                part: 'json',
                code: 'llm_failed',
                message: 'The answer breaks the schema: /products must be array',
              },
            ],
            model: 'local/qwen2.5:7b',
            tokensIn: 900,
            tokensOut: 45,
            calls: 3,
          },
          'https://ai.test/plain': undefined,
        };
        expect(JSON.stringify(results['https://ai.test/big']).length).toBeGreaterThan(100_000);
        for (const item of await repository.claimBatch(10, 60_000)) {
          const llm = results[item.url];
          const document = { ...fakeDocument(item.url, clock.now()), markdown: MARKDOWN };
          expect(
            await repository.finishAttempt(item, { kind: 'succeeded', document, ...(llm ? { llm } : {}) }),
          ).toBe(true);
        }

        const page = await repository.listResults(jobId, { limit: 10 });
        expect(page.items.map((r) => r.item.url)).toEqual(urls);
        for (const { item, document } of page.items) {
          expect(item.llm).toEqual(results[item.url]);
          expect(document.markdown).toBe(MARKDOWN);
          // Chunks are cut from the stored Markdown: the same chunks, ids included, as from the original.
          const stored = chunkMarkdown(document.markdown!, { documentId: document.id, ...CHUNKING });
          expect(stored).toEqual(chunkMarkdown(MARKDOWN, { documentId: document.id, ...CHUNKING }));
          expect(stored.length).toBeGreaterThan(3);
          expect(stored.some((c) => c.text.includes('| Roma 🍅 | 1.50 |'))).toBe(true);
        }
        expect(await repository.llmUsage(jobId)).toEqual({ tokensIn: 12_900, tokensOut: 30_045, items: 2 });
      });
    },
  );
}
