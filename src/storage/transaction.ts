import { sql, type Kysely } from 'kysely';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';

/**
 * Runs `fn` in a read-write transaction. On SQLite it is `BEGIN IMMEDIATE`: Kysely's plain
 * `BEGIN` is deferred, and a deferred transaction that reads and then writes while another process
 * holds the write lock fails at once with SQLITE_BUSY instead of waiting out the busy timeout. Taking
 * the write lock up front makes concurrent processes queue politely. Other engines use Kysely's
 * transaction as is.
 */
export async function writeTransaction<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (dialect !== 'sqlite') return db.transaction().execute(fn);
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await sql`rollback`.execute(conn);
      throw error;
    }
  });
}
