import type { InsertQueryBuilder, Kysely, SelectQueryBuilder, UpdateObject } from 'kysely';
import type { DialectName } from './database.js';
import type { Database } from './schema.js';
import { mysqlSearch } from './search/mysql-search.js';
import { postgresSearch } from './search/postgres-search.js';
import type { SearchSql } from './search/search-sql.js';
import { sqliteSearch } from './search/sqlite-search.js';
import { readCommittedWithRetry, sqliteImmediate } from './transaction.js';

/** The event log holds back events this young on PostgreSQL/MySQL (see `KyselyEventStore.listEventLog`). */
const EVENT_LOG_SETTLE_MS = 1000;

/**
 * What differs between the three engines, and the only place that branches on which one runs:
 * stores call these instead of testing the dialect.
 */
export interface Dialect {
  readonly name: DialectName;
  /**
   * Row locks exist (PostgreSQL, MySQL); SQLite locks the whole database per write transaction,
   * so there `forUpdate` and `forUpdateSkipLocked` leave the query as it is.
   */
  readonly hasRowLocks: boolean;
  /**
   * One write transaction at a time (SQLite's `BEGIN IMMEDIATE`): what a write transaction read
   * stays true until it commits, so a row it found missing and inserted is the row it inserted.
   */
  readonly hasSerialWriters: boolean;
  /**
   * How long the event log holds back new events, in milliseconds: on PostgreSQL and MySQL an id is
   * taken at insert and becomes visible at commit, so a row can appear after a higher id did.
   * SQLite commits one writer at a time: 0.
   */
  readonly eventLogSettleMs: number;
  /** `SELECT … FOR UPDATE` where row locks exist. */
  forUpdate<DB, TB extends keyof DB, O>(
    this: void,
    query: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O>;
  /** `SELECT … FOR UPDATE SKIP LOCKED` where row locks exist. */
  forUpdateSkipLocked<DB, TB extends keyof DB, O>(
    this: void,
    query: SelectQueryBuilder<DB, TB, O>,
  ): SelectQueryBuilder<DB, TB, O>;
  /** An insert that updates `values` instead when a row with the same `conflict` key exists. */
  upsert<DB, TB extends keyof DB, O>(
    insert: InsertQueryBuilder<DB, TB, O>,
    conflict: readonly (keyof DB[TB] & string)[],
    values: UpdateObject<DB, TB, TB>,
  ): InsertQueryBuilder<DB, TB, O>;
  /** An insert that does nothing when a row with the same `conflict` key exists. */
  insertIgnore<DB, TB extends keyof DB, O>(
    insert: InsertQueryBuilder<DB, TB, O>,
    conflict: readonly (keyof DB[TB] & string)[],
  ): InsertQueryBuilder<DB, TB, O>;
  /**
   * Runs `fn` in one read-write transaction: `BEGIN IMMEDIATE` on SQLite, READ COMMITTED with a
   * retry of deadlocks and serialization conflicts elsewhere (see transaction.ts).
   */
  transaction<T>(db: Kysely<Database>, fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /** Full-text search in the engine's own index: FTS5, tsvector + GIN, or FULLTEXT (migration 0007). */
  readonly search: SearchSql;
}

/** The `Dialect` of an engine. */
export function createDialect(name: DialectName): Dialect {
  const hasRowLocks = name !== 'sqlite';
  const isMysql = name === 'mysql';
  return {
    name,
    hasRowLocks,
    hasSerialWriters: name === 'sqlite',
    eventLogSettleMs: hasRowLocks ? EVENT_LOG_SETTLE_MS : 0,
    forUpdate: (query) => (hasRowLocks ? query.forUpdate() : query),
    forUpdateSkipLocked: (query) => (hasRowLocks ? query.forUpdate().skipLocked() : query),
    // Kysely types the update of a conflict clause over its own view of the table (with
    // `excluded`); the values are the table's columns either way.
    upsert: (insert, conflict, values) =>
      isMysql
        ? insert.onDuplicateKeyUpdate(values)
        : insert.onConflict((oc) => oc.columns(conflict).doUpdateSet(values as never)),
    insertIgnore: (insert, conflict) =>
      isMysql ? insert.ignore() : insert.onConflict((oc) => oc.columns(conflict).doNothing()),
    transaction: (db, fn) => (name === 'sqlite' ? sqliteImmediate(db, fn) : readCommittedWithRetry(db, fn)),
    search: name === 'sqlite' ? sqliteSearch : name === 'postgres' ? postgresSearch : mysqlSearch,
  };
}
