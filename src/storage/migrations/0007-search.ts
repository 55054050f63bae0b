import { MysqlAdapter, PostgresAdapter, sql, type Kysely } from 'kysely';

/**
 * Full-text search over documents (issue 18), in each database's own engine, kept in step with
 * the `documents` table by the database itself, so that every write (a new document, a refetch
 * that replaces one, a delete by retention) updates the index in the same transaction, whatever
 * code path made it:
 *
 * - SQLite: an FTS5 table over `documents` (external content: the text is not stored twice) and
 *   three triggers. The FTS rows are keyed by the documents' rowid, which only VACUUM could
 *   renumber (distill never runs it; after a manual VACUUM run
 *   `INSERT INTO documents_fts(documents_fts) VALUES('rebuild')`). unicode61 without stemming,
 *   accents folded.
 * - PostgreSQL: a stored generated `tsvector` column (title weighted A, text B, `simple`
 *   configuration: no stemming, no stop words, like the other two) with a GIN index. The text is
 *   indexed up to its first 200,000 characters: a tsvector holds at most 1 MiB.
 * - MySQL/MariaDB: a FULLTEXT index on (title, text), created with stop words off (the session
 *   setting in force when the index is made is the one the index keeps). Words shorter than the
 *   server's `innodb_ft_min_token_size` (3 by default) are not indexed there, and its relevance
 *   weighs title and text alike (a second index on the title, to weigh it, made MariaDB 10.11 fail
 *   with "DOUBLE value is out of range" once documents had been deleted).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    await sql`alter table documents add column search_vector tsvector generated always as (
      setweight(to_tsvector('simple'::regconfig, coalesce(left(title, 1000), '')), 'A') ||
      setweight(to_tsvector('simple'::regconfig, left(text, 200000)), 'B')
    ) stored`.execute(db);
    await sql`create index documents_search_idx on documents using gin (search_vector)`.execute(db);
    return;
  }
  if (adapter instanceof MysqlAdapter) {
    // One connection for both statements: the stop-word setting is per session.
    await db.connection().execute(async (conn) => {
      await sql`set session innodb_ft_enable_stopword = 0`.execute(conn);
      await sql`alter table documents add fulltext index documents_search_idx (title, text)`.execute(conn);
    });
    return;
  }
  await sql`create virtual table documents_fts using fts5(
    title, text, content='documents', content_rowid='rowid', tokenize='unicode61 remove_diacritics 2'
  )`.execute(db);
  await sql`create trigger documents_fts_insert after insert on documents begin
    insert into documents_fts(rowid, title, text) values (new.rowid, new.title, new.text);
  end`.execute(db);
  await sql`create trigger documents_fts_delete after delete on documents begin
    insert into documents_fts(documents_fts, rowid, title, text) values ('delete', old.rowid, old.title, old.text);
  end`.execute(db);
  // Only when the indexed columns changed: a refetch of an unchanged page leaves the index alone.
  await sql`create trigger documents_fts_update after update of title, text on documents
    when old.title is not new.title or old.text is not new.text begin
    insert into documents_fts(documents_fts, rowid, title, text) values ('delete', old.rowid, old.title, old.text);
    insert into documents_fts(rowid, title, text) values (new.rowid, new.title, new.text);
  end`.execute(db);
  await sql`insert into documents_fts(documents_fts) values ('rebuild')`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) {
    await sql`drop index documents_search_idx`.execute(db);
    await sql`alter table documents drop column search_vector`.execute(db);
    return;
  }
  if (adapter instanceof MysqlAdapter) {
    await sql`alter table documents drop index documents_search_idx`.execute(db);
    return;
  }
  for (const trigger of ['documents_fts_insert', 'documents_fts_delete', 'documents_fts_update']) {
    await sql.raw(`drop trigger if exists ${trigger}`).execute(db);
  }
  await sql`drop table if exists documents_fts`.execute(db);
}
