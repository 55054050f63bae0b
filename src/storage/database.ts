import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { createPool as createMysqlPool } from 'mysql2';
import pg from 'pg';
import type { Database } from './schema.js';
import { startCheckpointer } from './sqlite-checkpointer.js';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** An open database: the Kysely instance, which dialect it speaks, and its owner's `close()`. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where it lives, with any password removed, for logs. */
  description: string;
  /** The SQLite file (absolute path), for checks of its disk; undefined for `:memory:` and servers. */
  file?: string | undefined;
  close(): Promise<void>;
}

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  /** How long SQLite waits for another process's write lock, in milliseconds. @default 5000 */
  busyTimeoutMs?: number;
  /** Connections in the PostgreSQL or MySQL pool (SQLite has one). @default 10 */
  poolSize?: number;
  /**
   * Called when an idle pooled connection fails (server restart, network cut). The pool has already
   * dropped it and the next query opens a fresh one, so this is for logs only. @default ignore
   */
  onPoolError?: (error: Error) => void;
  /**
   * PostgreSQL `application_name` of the pool's connections (`pg_stat_activity` shows it), e.g.
   * `distill-worker`; an `application_name` parameter in the URL wins. @default pg's default
   */
  applicationName?: string;
  /**
   * SQLite only: run WAL checkpoints on a thread of their own instead of in the commits of this
   * connection (see `startCheckpointer`). For long-running processes; a short command does not
   * need the thread. @default false
   */
  checkpointInThread?: boolean;
  /** Told when the checkpoint thread failed (SQLite checkpoints in the commits again). @default ignore */
  onCheckpointError?: (error: Error) => void;
}

/**
 * Opens the database named by a URL: `sqlite:./data/distill.db`, `sqlite::memory:`,
 * `postgres://user:password@host:5432/db` (or `postgresql://`) and `mysql://user:password@host:3306/db`.
 *
 * SQLite runs in WAL mode with a busy timeout and foreign keys on; `synchronous=NORMAL` is durable
 * across process crashes in WAL mode (only an OS crash can lose the last transactions), which is the
 * trade every embedded queue on SQLite makes. PostgreSQL and MySQL get a pool of `poolSize`
 * connections that return 64-bit integers as JS numbers (our bigints are millisecond times and
 * counters, far below 2^53), so rows look the same on every engine.
 */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  const { busyTimeoutMs = 5000, poolSize = 10, onPoolError = ignorePoolError } = options;
  if (!Number.isSafeInteger(poolSize) || poolSize <= 0) {
    throw new TypeError(`Expected \`poolSize\` to be a positive integer, got \`${poolSize}\``);
  }
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    const isMemory = path === ':memory:' || path === '';
    if (!isMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
    const sqlite = new SQLite(isMemory ? ':memory:' : path, { timeout: busyTimeoutMs });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    // 32 MiB of page cache (the default is 2 MiB): the items table's indexes are keyed by URL hash,
    // so a large job's inserts land all over them, and with a small cache every insert reads pages
    // from disk. Measured in `npm run bench -- scale`: 2 MiB accepted 6,400 URLs/s; 32 MiB accepts
    // a million at 9,900 URLs/s with a peak RSS of 192 MB; 64 MiB was no faster and peaked at 319 MB.
    sqlite.pragma('cache_size = -32768');
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    const checkpointer =
      options.checkpointInThread && !isMemory
        ? startCheckpointer(sqlite, resolve(path), { onError: options.onCheckpointError })
        : undefined;
    let closing: Promise<void> | undefined;
    return {
      db,
      dialect: 'sqlite',
      description: `sqlite:${isMemory ? ':memory:' : resolve(path)}`,
      file: isMemory ? undefined : resolve(path),
      // The thread's connection closes first, so that closing the last one checkpoints and removes the WAL.
      close: () => (closing ??= (checkpointer?.stop() ?? Promise.resolve()).then(() => db.destroy())),
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      types: postgresTypes,
      ...(options.applicationName !== undefined ? { application_name: options.applicationName } : {}),
    });
    // pg-pool listens for errors of idle clients only; a checked-out client whose server connection
    // dies (pg_terminate_backend, a failover) between two queries emits 'error' with no listener,
    // which would crash the process. Every client gets a listener for its whole life: the query in
    // flight fails on its own, and the pool discards the broken client when it is released. An
    // idle client's error reaches both listeners: report it once.
    const reported = new WeakSet<Error>();
    const report = (error: Error): void => {
      if (reported.has(error)) return;
      reported.add(error);
      onPoolError(error);
    };
    pool.on('connect', (client) => client.on('error', report));
    pool.on('error', report);
    return kyselyHandle(new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), 'postgres', url);
  }
  if (url.startsWith('mysql://')) {
    const pool = createMysqlPool({
      uri: url,
      connectionLimit: poolSize,
      // BIGINT and DECIMAL (what SUM returns) as numbers; only values beyond 2^53 stay strings.
      supportBigNumbers: true,
      bigNumberStrings: false,
      decimalNumbers: true,
      charset: 'utf8mb4',
    });
    pool.on('error', onPoolError);
    return kyselyHandle(new Kysely<Database>({ dialect: new MysqlDialect({ pool }) }), 'mysql', url);
  }
  const scheme = url.split(':', 1)[0];
  throw new TypeError(
    `Unsupported database URL scheme \`${scheme}\`: expected sqlite:<path>, postgres://… or mysql://…`,
  );
}

function ignorePoolError(): void {
  // The pool discards the broken connection itself; a query that needs one fails visibly.
}

function kyselyHandle(db: Kysely<Database>, dialect: DialectName, url: string): DatabaseHandle {
  let closing: Promise<void> | undefined;
  return { db, dialect, description: withoutPassword(url), close: () => (closing ??= db.destroy()) };
}

/** The URL with its password replaced, for logs. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');
  }
}

/** OID of PostgreSQL's int8 (bigint), also the type of `count(*)` and `sum(integer)`. */
const INT8_OID = 20;

/**
 * Type parsers for our pools only: int8 as a JS number instead of pg's default string. Set per pool
 * rather than with `pg.types.setTypeParser`, which would change every other pg user in the process.
 */
const postgresTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string): number => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

/** Prepared statements kept per connection; the hot paths use a few dozen distinct statements. */
const STATEMENT_CACHE_SIZE = 256;

/**
 * Kysely's SQLite driver prepares every statement anew, which cost a fifth of the CPU of the
 * claim → complete path in `npm run bench -- queue`. better-sqlite3 statements are reusable once a
 * run has finished (Kysely runs one statement at a time per connection), so a bounded LRU keyed by
 * the SQL text gives the reuse Kysely does not do.
 */
function withStatementCache(sqlite: SQLite.Database): SQLite.Database {
  const cache = new Map<string, SQLite.Statement>();
  const prepare = (source: string): SQLite.Statement => {
    const cached = cache.get(source);
    if (cached) {
      cache.delete(source);
      cache.set(source, cached);
      return cached;
    }
    const statement = sqlite.prepare(source);
    cache.set(source, statement);
    if (cache.size > STATEMENT_CACHE_SIZE) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return statement;
  };
  return new Proxy(sqlite, {
    get(target, property, receiver) {
      if (property === 'prepare') return prepare;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
