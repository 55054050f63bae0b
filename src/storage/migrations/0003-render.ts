import {
  MysqlAdapter,
  PostgresAdapter,
  sql,
  type ColumnDataType,
  type Expression,
  type Kysely,
} from 'kysely';
import { dialectOf, type MigrationTypes } from './types.js';

/** A binary column per engine: `bytea` (PostgreSQL), `longblob` (MySQL: `blob` stops at 64 KiB), `blob` (SQLite). */
function binaryType(db: Kysely<unknown>): ColumnDataType | Expression<unknown> {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof PostgresAdapter) return 'bytea';
  if (adapter instanceof MysqlAdapter) return sql`longblob`;
  return 'blob';
}

/**
 * Screenshots of rendered pages (issue 11): one per URL, keyed like documents by the normalised
 * URL's hash and stamped with the `fetched_at` of the document they belong to, so that a later
 * fetch of the URL that takes no screenshot never serves an old picture with new text. The
 * document's render path needs no column: it is `quality.renderPath`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t: MigrationTypes = dialectOf(db);
  await db.schema
    .createTable('screenshots')
    .addColumn('url_key', t.key(32), (c) => c.primaryKey())
    .addColumn('document_fetched_at', 'bigint', (c) => c.notNull())
    .addColumn('mime_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('byte_length', 'integer', (c) => c.notNull())
    .addColumn('data', binaryType(db), (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('screenshots').ifExists().execute();
}
