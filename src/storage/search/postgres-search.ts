import { sql, type RawBuilder } from 'kysely';
import type { SearchQuery, SearchTerm } from '../../jobs/index.js';
import type { SearchMatch, SearchSql } from './search-sql.js';

/** A term as a tsquery, its text always a bound parameter. */
function tsTerm(term: SearchTerm): RawBuilder<unknown> {
  // A prefix is letters and digits only (the parser checks), so it needs no quoting inside the literal.
  return term.kind === 'prefix'
    ? sql`to_tsquery('simple', ${`'${term.text}':*`})`
    : sql`phraseto_tsquery('simple', ${term.text})`;
}

function anyOf(terms: readonly SearchTerm[]): RawBuilder<unknown> {
  return sql`(${sql.join(terms.map(tsTerm), sql` || `)})`;
}

/** The tsquery of a query, built with the tsquery operators so that no user text is parsed as syntax. */
export function toTsquery(query: SearchQuery): RawBuilder<unknown> {
  const positive = sql.join(query.groups.map(anyOf), sql` && `);
  return query.excluded.length === 0
    ? sql`(${positive})`
    : sql`((${positive}) && !! ${anyOf(query.excluded)})`;
}

/**
 * PostgreSQL: the generated `search_vector` with its GIN index (migration 0007), ranked by
 * `ts_rank` (title weighted A, text B; normalisation 1 divides by the log of the length) as float8,
 * so that a cursor's score compares equal to the row's.
 */
export const postgresSearch: SearchSql = {
  async findMatches(db, { query, scope, after, limit }) {
    const { rows } = await sql<SearchMatch>`
      with q as (select ${toTsquery(query)} as q),
      hits as (
        select d.id as id, ts_rank(d.search_vector, q.q, 1)::float8 as score
        from documents d, q
        where d.search_vector @@ q.q and ${scope}
      )
      select id, score from hits
      ${after ? sql`where score < ${after[0]} or (score = ${after[0]} and id > ${after[1]})` : sql``}
      order by score desc, id
      limit ${limit}`.execute(db);
    return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
  },
};
