import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** An open database: the Kysely instance, which dialect it speaks, and its owner's `close()`. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Where it lives, with any password removed, for logs. */
  description: string;
  close(): Promise<void>;
}

/** Options of `openDatabase`. */
export interface OpenDatabaseOptions {
  /** How long SQLite waits for another process's write lock, in milliseconds. @default 5000 */
  busyTimeoutMs?: number;
}

/**
 * Opens the database named by a URL: `sqlite:./data/distill.db`, `sqlite::memory:`, or (in a later
 * issue) `postgres://…` and `mysql://…`. SQLite runs in WAL mode with a busy timeout and foreign keys
 * on; `synchronous=NORMAL` is durable across process crashes in WAL mode (only an OS crash can
 * lose the last transactions), which is the trade every embedded queue on SQLite makes.
 */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  const { busyTimeoutMs = 5000 } = options;
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\//, '');
    const isMemory = path === ':memory:' || path === '';
    if (!isMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
    const sqlite = new SQLite(isMemory ? ':memory:' : path, { timeout: busyTimeoutMs });
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma(`busy_timeout = ${busyTimeoutMs}`);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    let closing: Promise<void> | undefined;
    return {
      db,
      dialect: 'sqlite',
      description: `sqlite:${isMemory ? ':memory:' : resolve(path)}`,
      close: () => (closing ??= db.destroy()),
    };
  }
  const scheme = url.split(':', 1)[0];
  throw new TypeError(
    `Unsupported database URL scheme \`${scheme}\`: expected sqlite:<path> (postgres:// and mysql:// come with distributed mode)`,
  );
}

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
