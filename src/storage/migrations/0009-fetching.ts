import type { Kysely } from 'kysely';
import { dialectOf } from './types.js';

/**
 * Fetching the hard web (issue 20).
 * - `settings`: one row per named deployment-wide value. `secret_key_check` holds the HMAC that
 *   identifies the DISTILL_SECRET_KEY the database's secrets are sealed with (never the key), so a
 *   process started with another key stops at start.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t = dialectOf(db);
  await db.schema
    .createTable('settings')
    .addColumn('name', t.key(64), (c) => c.primaryKey())
    .addColumn('value', 'varchar(512)', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('settings').execute();
}
