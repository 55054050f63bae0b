import { sql } from 'kysely';
import {
  positiveTerms,
  type Page,
  type SearchHit,
  type SearchQuery,
  type SearchStore,
} from '../../jobs/index.js';
import { decodeCursor, encodeCursor } from '../pagination.js';
import { highlightsOf, makeSnippet } from '../search/snippet.js';
import { chunks, type StoreContext } from './store-context.js';

interface DocumentRow {
  id: string;
  url: string;
  title: string | null;
  lang: string | null;
  word_count: number;
  fetched_at: number;
  text: string;
}

/** Characters of each found document's text read to make its snippet (a match further on shows the start). */
const SNIPPET_SOURCE_CHARS = 100_000;

/** A search cursor: the (score, id) of the last hit of the page before. */
const isScoreCursor = (v: unknown): v is [number, string] =>
  Array.isArray(v) &&
  v.length === 2 &&
  typeof v[0] === 'number' &&
  Number.isFinite(v[0]) &&
  typeof v[1] === 'string';

/**
 * Full-text search over documents: the engine's own index finds and ranks (dialect's `search`,
 * migration 0007), then the page's documents are read once for their snippets. A tenant sees the
 * documents its jobs refer to, whether fetched for it or reused from the shared store; a job's
 * search sees that job's.
 */
export class KyselySearchStore implements SearchStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  async searchDocuments(input: {
    query: SearchQuery;
    tenant: string;
    jobId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<Page<SearchHit>> {
    const { db, dialect } = this.#context;
    const after = decodeCursor(input.cursor, isScoreCursor);
    const scope =
      input.jobId !== undefined
        ? sql<boolean>`exists (select 1 from job_items i where i.job_id = ${input.jobId} and i.document_id = d.id)`
        : sql<boolean>`exists (select 1 from job_items i join jobs j on j.id = i.job_id where i.document_id = d.id and j.tenant = ${input.tenant})`;
    const matches = await dialect.search.findMatches(db, {
      query: input.query,
      scope,
      after,
      limit: input.limit + 1,
    });
    const page = matches.slice(0, input.limit);
    if (page.length === 0) return { items: [], nextCursor: null };
    const byId = new Map<string, DocumentRow>();
    for (const ids of chunks(page.map((m) => m.id))) {
      const rows = await db
        .selectFrom('documents')
        .select([
          'id',
          'url',
          'title',
          'lang',
          'word_count',
          'fetched_at',
          sql<string>`substr(text, 1, ${SNIPPET_SOURCE_CHARS})`.as('text'),
        ])
        .where('id', 'in', ids)
        .execute();
      for (const row of rows) byId.set(row.id, row);
    }
    const terms = positiveTerms(input.query);
    const items: SearchHit[] = [];
    for (const match of page) {
      const row = byId.get(match.id);
      // Deleted between the two reads: the page is one shorter, the cursor still right.
      if (!row) continue;
      const { snippet, highlights } = makeSnippet(row.text, terms);
      items.push({
        documentId: row.id,
        url: row.url,
        title: row.title,
        lang: row.lang,
        wordCount: Number(row.word_count),
        fetchedAt: Number(row.fetched_at),
        score: match.score,
        snippet,
        highlights,
        titleHighlights: row.title === null ? [] : highlightsOf(row.title, terms),
      });
    }
    const last = page.at(-1)!;
    return { items, nextCursor: matches.length > input.limit ? encodeCursor([last.score, last.id]) : null };
  }
}
