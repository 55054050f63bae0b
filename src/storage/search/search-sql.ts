import type { Kysely, RawBuilder } from 'kysely';
import type { SearchQuery } from '../../jobs/index.js';
import type { Database } from '../schema.js';

/** A match of a search: the document and its score (higher is better). */
export interface SearchMatch {
  id: string;
  score: number;
}

/** What one page of matches is asked with. */
export interface SearchPageInput {
  query: SearchQuery;
  /** Which documents may be returned: a condition on the `documents` row aliased `d`. */
  scope: RawBuilder<boolean>;
  /** The (score, id) of the last match of the previous page. */
  after?: [number, string] | undefined;
  limit: number;
}

/**
 * The full-text part of a search in one engine's own syntax: which documents match and how well,
 * best first, then by id. Snippets are made from the page's documents afterwards, the same way on
 * every engine (`snippet.ts`).
 */
export interface SearchSql {
  findMatches(db: Kysely<Database>, input: SearchPageInput): Promise<SearchMatch[]>;
}
