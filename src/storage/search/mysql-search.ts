import { sql } from 'kysely';
import type { SearchQuery, SearchTerm } from '../../jobs/index.js';
import type { SearchMatch, SearchSql } from './search-sql.js';

/** A term in boolean-mode syntax: quoted as a phrase (its operators then mean nothing), or `word*`. */
function booleanTerm(term: SearchTerm): string {
  // Quotes cannot occur inside a term (the parser splits on them); a prefix is letters and digits.
  return term.kind === 'prefix' ? `${term.text}*` : `"${term.text.replaceAll('"', ' ')}"`;
}

/** The `AGAINST (… IN BOOLEAN MODE)` string of a query. */
export function toBooleanMode(query: SearchQuery): string {
  const required = query.groups.map((group) =>
    group.length === 1 ? `+${booleanTerm(group[0]!)}` : `+(${group.map(booleanTerm).join(' ')})`,
  );
  return [...required, ...query.excluded.map((term) => `-${booleanTerm(term)}`)].join(' ');
}

/** MySQL/MariaDB: the FULLTEXT index on (title, text) (migration 0007), ranked by its relevance (title and text weigh alike). */
export const mysqlSearch: SearchSql = {
  async findMatches(db, { query, scope, after, limit }) {
    const against = toBooleanMode(query);
    const score = sql`match(d.title, d.text) against (${against} in boolean mode)`;
    const { rows } = await sql<SearchMatch>`
      select id, score from (
        select d.id as id, ${score} as score from documents d where ${score} and ${scope}
      ) hits
      ${after ? sql`where score < ${after[0]} or (score = ${after[0]} and id > ${after[1]})` : sql``}
      order by score desc, id
      limit ${limit}`.execute(db);
    return rows.map((row) => ({ id: row.id, score: Number(row.score) }));
  },
};
