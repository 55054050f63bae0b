/**
 * Document search (issue 18) on every database: each engine's own full-text index (FTS5, tsvector
 * + GIN, FULLTEXT), ranked, with snippets, scoped to a tenant or a job, paged, and kept in step
 * with the documents as they are stored, replaced and deleted.
 */
import { describe, expect, it } from 'vitest';
import { parseSearchQuery, type SearchQuery } from '../../src/jobs/index.js';
import { KyselyJobRepository, type DialectName } from '../../src/storage/index.js';
import { databaseBackend, suiteTitle } from '../helpers/backends.js';
import { FakeClock, defaultOptions, fakeDocument } from '../helpers/store.js';

interface Page {
  url: string;
  title: string;
  text: string;
}

function q(input: string): SearchQuery {
  const parsed = parseSearchQuery(input);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.query;
}

for (const name of ['sqlite', 'postgres', 'mysql'] as DialectName[]) {
  const backend = await databaseBackend(name);
  describe.skipIf(backend.skipReason !== undefined)(
    suiteTitle(`document search on ${name}`, backend.skipReason),
    () => {
      async function open() {
        const clock = new FakeClock();
        const db = await backend.open({ clock });
        const repository = new KyselyJobRepository({ db: db.handle.db, dialect: db.handle.dialect, clock });
        return { repository, clock };
      }

      /** A job of `tenant` whose items all succeed with these pages; returns its id. */
      async function storePages(
        repository: KyselyJobRepository,
        clock: FakeClock,
        tenant: string,
        pages: Page[],
      ): Promise<string> {
        const id = crypto.randomUUID();
        await repository.createJob({
          id,
          options: { ...defaultOptions, maxAgeSeconds: 3600 },
          webhook: null,
          tenant,
        });
        const fresh = await repository.findFreshDocuments(
          pages.map((p) => p.url),
          clock.now() - 3_600_000,
          tenant,
        );
        await repository.addItems(
          id,
          pages.map((p) => ({ url: p.url, reuseDocumentId: fresh.get(p.url) })),
        );
        const claimed = await repository.claimBatch(1000, 60_000);
        for (const item of claimed) {
          const page = pages.find((p) => p.url === item.url)!;
          const document = {
            ...fakeDocument(page.url, clock.now()),
            title: page.title,
            text: page.text,
            wordCount: page.text.split(' ').length,
          };
          expect(await repository.finishAttempt(item, { kind: 'succeeded', document })).toBe(true);
        }
        return id;
      }

      const search = (
        repository: KyselyJobRepository,
        query: string,
        options: { tenant?: string; jobId?: string; limit?: number; cursor?: string } = {},
      ) =>
        repository.searchDocuments({
          query: q(query),
          tenant: options.tenant ?? 'acme',
          jobId: options.jobId,
          limit: options.limit ?? 10,
          cursor: options.cursor,
        });

      it('finds documents by their words, a title match first, with a snippet that marks each match', async () => {
        const { repository, clock } = await open();
        await storePages(repository, clock, 'acme', [
          {
            url: 'https://a.test/1',
            title: 'Gardening notes',
            text: 'Tomatoes need warmth. Later the harvest of tomatoes begins in August.',
          },
          { url: 'https://a.test/2', title: 'Tomatoes', text: 'A page about tomatoes and their varieties.' },
          { url: 'https://a.test/3', title: 'Cars', text: 'Nothing about vegetables here at all.' },
        ]);
        const page = await search(repository, 'tomatoes');
        expect(page.nextCursor).toBeNull();
        // MySQL's boolean-mode relevance weighs the title as the text (migration 0007): no order to assert there.
        if (name !== 'mysql')
          expect(page.items.map((h) => h.url)).toEqual(['https://a.test/2', 'https://a.test/1']);
        const top = page.items.find((h) => h.url === 'https://a.test/2');
        const second = page.items.find((h) => h.url === 'https://a.test/1');
        if (name !== 'mysql') expect(top!.score).toBeGreaterThan(second!.score);
        expect(top!.titleHighlights).toEqual([[0, 8]]);
        const marked = second!.highlights.map(([s, e]) => second!.snippet.slice(s, e));
        expect(marked).toEqual(['Tomatoes', 'tomatoes']);
        expect(second!.snippet).toContain('harvest of tomatoes begins');
      });

      it('understands phrases, OR, exclusions and prefixes', async () => {
        const { repository, clock } = await open();
        await storePages(repository, clock, 'acme', [
          { url: 'https://b.test/red', title: 'Red', text: 'the quick brown fox jumps over the lazy dog' },
          { url: 'https://b.test/blue', title: 'Blue', text: 'the brown quick fox sleeps all day long' },
          {
            url: 'https://b.test/green',
            title: 'Green',
            text: 'extraction of documents from pages and extractors',
          },
        ]);
        const urls = async (query: string) =>
          (await search(repository, query)).items.map((h) => h.url).sort();
        expect(await urls('"quick brown fox"')).toEqual(['https://b.test/red']);
        expect(await urls('quick brown fox')).toEqual(['https://b.test/blue', 'https://b.test/red']);
        expect(await urls('jumps OR sleeps')).toEqual(['https://b.test/blue', 'https://b.test/red']);
        expect(await urls('fox -lazy')).toEqual(['https://b.test/blue']);
        expect(await urls('extract*')).toEqual(['https://b.test/green']);
        expect(await urls('extract')).toEqual([]);
        expect(await urls('documents fox')).toEqual([]);
      });

      it('shows a tenant only the documents its jobs refer to, reused ones included, and a job only its own', async () => {
        const { repository, clock } = await open();
        const acmeJob = await storePages(repository, clock, 'acme', [
          { url: 'https://c.test/shared', title: 'Shared page', text: 'walrus facts' },
        ]);
        await storePages(repository, clock, 'globex', [
          { url: 'https://c.test/private', title: 'Private', text: 'walrus secrets' },
        ]);
        expect((await search(repository, 'walrus', { tenant: 'acme' })).items.map((h) => h.url)).toEqual([
          'https://c.test/shared',
        ]);
        expect((await search(repository, 'walrus', { tenant: 'initech' })).items).toEqual([]);
        // Globex reuses the document acme's job fetched: now it finds it too.
        const globexJob = await storePages(repository, clock, 'globex', [
          { url: 'https://c.test/shared', title: 'unused', text: 'unused' },
        ]);
        expect(
          (await search(repository, 'walrus', { tenant: 'globex' })).items.map((h) => h.url).sort(),
        ).toEqual(['https://c.test/private', 'https://c.test/shared']);
        expect((await search(repository, 'walrus', { jobId: globexJob })).items.map((h) => h.url)).toEqual([
          'https://c.test/shared',
        ]);
        expect((await search(repository, 'walrus', { jobId: acmeJob })).items.map((h) => h.url)).toEqual([
          'https://c.test/shared',
        ]);
      });

      it('pages through equal scores with a cursor, every hit exactly once', async () => {
        const { repository, clock } = await open();
        const pages = Array.from({ length: 25 }, (_, i) => ({
          url: `https://d.test/${i}`,
          title: 'Same',
          text: 'identical penguin text',
        }));
        await storePages(repository, clock, 'acme', pages);
        const seen: string[] = [];
        let cursor: string | undefined;
        for (let round = 0; round < 10; round++) {
          const page = await search(repository, 'penguin', { limit: 10, ...(cursor ? { cursor } : {}) });
          seen.push(...page.items.map((h) => h.url));
          if (page.nextCursor === null) break;
          cursor = page.nextCursor;
        }
        expect(seen).toHaveLength(25);
        expect(new Set(seen).size).toBe(25);
        await expect(search(repository, 'penguin', { cursor: 'bm90LWEtY3Vyc29y' })).rejects.toMatchObject({
          code: 'invalid_cursor',
        });
      });

      it('keeps the index in step when a document is stored again with new text, and when retention deletes it', async () => {
        const { repository, clock } = await open();
        await storePages(repository, clock, 'acme', [
          { url: 'https://e.test/', title: 'Before', text: 'original otter content' },
        ]);
        expect((await search(repository, 'otter')).items).toHaveLength(1);
        clock.advance(7_200_000);
        // A new job fetches the URL again (its document is older than maxAge): the text changed.
        await storePages(repository, clock, 'acme', [
          { url: 'https://e.test/', title: 'After', text: 'replaced beaver content' },
        ]);
        expect((await search(repository, 'otter')).items).toEqual([]);
        const [hit] = (await search(repository, 'beaver')).items;
        expect(hit).toMatchObject({ url: 'https://e.test/', title: 'After' });
        // Retention: the jobs go, then the document no item refers to.
        clock.advance(7_200_000);
        await repository.deleteExpiredJobs(clock.now(), 100);
        await repository.deleteExpiredJobs(clock.now(), 100);
        expect((await search(repository, 'beaver')).items).toEqual([]);
        expect(await repository.deleteOrphanDocuments(clock.now(), 100)).toBe(1);
        // Another tenant's job for a new document must not see a ghost of the deleted one.
        await storePages(repository, clock, 'acme', [
          { url: 'https://e.test/other', title: 'Other', text: 'beaver again' },
        ]);
        expect((await search(repository, 'beaver')).items.map((h) => h.url)).toEqual([
          'https://e.test/other',
        ]);
      });
    },
  );
}
