import { sql } from 'kysely';
import type { SearchQuery, SearchTerm } from '../../jobs/index.js';
import type { SearchMatch, SearchSql } from './search-sql.js';

/** bm25 weights of the FTS5 columns (title, text): a match in the title counts five times. */
const TITLE_WEIGHT = 5;

/** A term as an FTS5 string: quoted (so no word is taken for an operator), quotes doubled. */
function fts5Term(term: SearchTerm): string {
  const quoted = `"${term.text.replaceAll('"', '""')}"`;
  return term.kind === 'prefix' ? `${quoted}*` : quoted;
}

/** The FTS5 MATCH expression of a query. */
export function toFts5Match(query: SearchQuery): string {
  const positive = query.groups.map((group) => `(${group.map(fts5Term).join(' OR ')})`).join(' AND ');
  return query.excluded.length === 0
    ? positive
    : `(${positive}) NOT (${query.excluded.map(fts5Term).join(' OR ')})`;
}

/** SQLite: the FTS5 table `documents_fts` (migration 0007), ranked by bm25 (negated: higher is better). */
export const sqliteSearch: SearchSql = {
  async findMatches(db, { query, scope, after, limit }) {
    const match = toFts5Match(query);
    // The CTE is materialised so that bm25() is computed in the full-text query, where FTS5 allows it.
    const { rows } = await sql<SearchMatch>`
      with hits as materialized (
        select d.id as id, -bm25(documents_fts, ${sql.lit(TITLE_WEIGHT)}, 1.0) as score
        from documents_fts join documents d on d.rowid = documents_fts.rowid
        where documents_fts match ${match} and ${scope}
      )
      select id, score from hits
      ${after ? sql`where score < ${after[0]} or (score = ${after[0]} and id > ${after[1]})` : sql``}
      order by score desc, id
      limit ${limit}`.execute(db);
    return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
  },
};
