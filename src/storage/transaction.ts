import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** Tries of a transaction that lost a deadlock or a serialization conflict, the first included. */
const MAX_TRIES = 5;
/** Base of the jittered pause between tries, in milliseconds; doubles per try. */
const RETRY_BASE_MS = 10;

/**
 * SQLite's write transaction: `BEGIN IMMEDIATE`. Kysely's plain `BEGIN` is deferred, and a deferred
 * transaction that reads and then writes while another process holds the write lock fails at once
 * with SQLITE_BUSY instead of waiting out the busy timeout. Taking the write lock up front makes
 * concurrent processes queue politely.
 */
export async function sqliteImmediate<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`begin immediate`.execute(conn);
    try {
      const result = await fn(conn);
      await sql`commit`.execute(conn);
      return result;
    } catch (error) {
      await rollbackKeepingCause(conn, error);
      throw error;
    }
  });
}

/**
 * PostgreSQL's and MySQL's write transaction, at READ COMMITTED (PostgreSQL's default; on MySQL it
 * avoids the gap locks of REPEATABLE READ and makes every plain read see the latest commit, as on
 * PostgreSQL). A transaction that the engine aborted to break a deadlock, or for a serialization
 * conflict or a lock wait timeout, is run again from the start after a short random pause. `fn`
 * must therefore have no effect outside the transaction before it returns. The stores' lock order
 * (a job's row before its items' rows, several jobs' rows in id order) keeps deadlocks rare; this
 * retry is the safety net the engines' documentation asks every client to have.
 */
export async function readCommittedWithRetry<T>(
  db: Kysely<Database>,
  fn: (trx: Kysely<Database>) => Promise<T>,
): Promise<T> {
  for (let tried = 1; ; tried++) {
    try {
      return await db.transaction().setIsolationLevel('read committed').execute(fn);
    } catch (error) {
      if (tried >= MAX_TRIES || !isTransientConflict(error)) throw error;
      const ceilingMs = RETRY_BASE_MS * 2 ** (tried - 1);
      await new Promise((resolve) => setTimeout(resolve, ceilingMs / 2 + Math.random() * ceilingMs));
    }
  }
}

/**
 * Rolls back after `error`. SQLite may already have rolled the transaction back itself (it does on
 * SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY and SQLITE_NOMEM), and then ROLLBACK fails with "no
 * transaction is active": that failure must not replace `error`, which says what went wrong (a
 * full disk must reach the API as `storage_full`, not as a failed rollback).
 */
async function rollbackKeepingCause(conn: Kysely<Database>, error: unknown): Promise<void> {
  try {
    await sql`rollback`.execute(conn);
  } catch (rollbackError) {
    // Nothing was left to roll back (better-sqlite3 has one connection, so no other cause is
    // possible); keep the failure on the original error for whoever logs it.
    if (error instanceof Error) error.cause ??= rollbackError;
  }
}

/** PostgreSQL SQLSTATEs: serialization_failure, deadlock_detected. */
const PG_TRANSIENT = new Set(['40001', '40P01']);
/** MySQL/MariaDB errnos: ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT. */
const MYSQL_TRANSIENT = new Set([1213, 1205]);

/** True for the errors an engine raises to say "run this transaction again". */
export function isTransientConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  return (
    (typeof code === 'string' && PG_TRANSIENT.has(code)) ||
    (typeof errno === 'number' && MYSQL_TRANSIENT.has(errno))
  );
}

/** True when `error` is a unique-key violation, on any of the three engines. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  return (
    code === '23505' ||
    errno === 1062 ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
