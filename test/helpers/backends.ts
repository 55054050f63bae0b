/**
 * The backends an integration test runs against, each isolated per test:
 *
 * - sqlite: always; a fresh file in a temporary folder.
 * - postgres: `DISTILL_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`); a
 *   schema per test, named after the test, selected through `search_path`.
 * - mysql: `DISTILL_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306/test`); a database per
 *   test, `distill_t_<name>_<random>`.
 * - redis: `DISTILL_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); a random key prefix per test.
 *
 * A backend whose variable is unset and whose default is unreachable is skipped, with the reason in
 * the suite's name; one whose variable is set but unreachable fails its tests (CI must not go green
 * by skipping). Set a variable to `off` to skip that backend on purpose. The schema or database of a
 * test that passed is dropped (PostgreSQL schemas: all at the end of the run, see global-setup.ts);
 * one that failed is kept for inspection and its name printed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { expect, onTestFinished } from 'vitest';
import type { Clock } from '../../src/lib/index.js';
import {
  KyselyJobRepository,
  migrateToLatest,
  openDatabase,
  type DatabaseHandle,
  type DialectName,
} from '../../src/storage/index.js';

export interface Backend {
  name: DialectName;
  /** Set when the backend is not available here: the suite is skipped with this reason. */
  skipReason: string | undefined;
  /** Creates an isolated, migrated database for the running test; dropped when the test passes. */
  open(options?: OpenOptions): Promise<TestDatabase>;
}

export interface OpenOptions {
  clock?: Clock;
  poolSize?: number;
}

/** One connection pool on a test's database, with a repository over it. */
export interface TestConnection {
  handle: DatabaseHandle;
  repository: KyselyJobRepository;
}

export interface TestDatabase extends TestConnection {
  name: DialectName;
  /** URL of this test's database, for another pool or process. */
  url: string;
  /** Opens another pool on the same database, as a second process would; closed with the test. */
  connect(options?: OpenOptions): TestConnection;
}

interface Probe {
  url: string | undefined;
  skipReason: string | undefined;
  /** Set when the URL was given explicitly but cannot be reached: tests fail with it. */
  error: Error | undefined;
}

const PROBE_TIMEOUT_MS = 2000;

async function probe(
  variable: string,
  fallback: string,
  check: (url: string) => Promise<void>,
): Promise<Probe> {
  const configured = process.env[variable];
  if (configured === 'off') return { url: undefined, skipReason: `${variable}=off`, error: undefined };
  const url = configured ?? fallback;
  try {
    await check(url);
    return { url, skipReason: undefined, error: undefined };
  } catch (error) {
    const reason = `${url} unreachable (${error instanceof Error ? error.message : String(error)})`;
    if (configured !== undefined)
      return { url, skipReason: undefined, error: new Error(`${variable}: ${reason}`) };
    return { url: undefined, skipReason: `${variable} unset and ${reason}`, error: undefined };
  }
}

type ProbeArgs = Parameters<typeof probe>;

const POSTGRES: ProbeArgs = [
  'DISTILL_TEST_POSTGRES_URL',
  'postgres://postgres@127.0.0.1:5432/test',
  async (url) => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
    await client.connect();
    await client.end();
  },
];

const MYSQL: ProbeArgs = [
  'DISTILL_TEST_MYSQL_URL',
  'mysql://root@127.0.0.1:3306/test',
  async (url) => {
    const connection = await mysql.createConnection({ uri: url, connectTimeout: PROBE_TIMEOUT_MS });
    await connection.end();
  },
];

const REDIS: ProbeArgs = [
  'DISTILL_TEST_REDIS_URL',
  'redis://127.0.0.1:6379',
  async (url) => {
    const redis = new Redis(url, {
      lazyConnect: true,
      connectTimeout: PROBE_TIMEOUT_MS,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    try {
      await redis.connect();
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  },
];

/** A short identifier from the running test's name plus randomness: unique and recognisable. */
function isolationName(prefix: string): string {
  const testName = expect.getState().currentTestName?.split(' > ').at(-1) ?? 'test';
  const slug = testName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 32);
  return `${prefix}${slug}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * The PostgreSQL schema prefix of this test run: `t_<pid of the vitest process>_`. The global setup
 * drops only its own run's schemas and those of runs whose process is gone, so two test runs on one
 * machine (two checkouts) do not drop each other's schemas.
 */
function runSchemaPrefix(): string {
  return `t_${process.env.DISTILL_TEST_RUN ?? process.ppid}_`;
}

/** Registers cleanup with the running test: `close` always runs; `drop` only when the test passed. */
function whenTestFinishes(cleanup: {
  close: () => Promise<void>;
  drop: () => Promise<void>;
  kept: string;
}): void {
  onTestFinished(async (context) => {
    await cleanup.close();
    if (context.task.result?.state === 'fail') {
      console.warn(`Kept ${cleanup.kept} of failed test "${context.task.name}" for inspection`);
      return;
    }
    await cleanup.drop();
  });
}

function connectTo(url: string, options: OpenOptions, pools: DatabaseHandle[]): TestConnection {
  const handle = openDatabase(url, { poolSize: options.poolSize ?? 5 });
  pools.push(handle);
  const repository = new KyselyJobRepository({
    db: handle.db,
    dialect: handle.dialect,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { handle, repository };
}

async function openIsolated(
  name: DialectName,
  url: string,
  options: OpenOptions,
  drop: () => Promise<void>,
  kept: string,
): Promise<TestDatabase> {
  const pools: DatabaseHandle[] = [];
  whenTestFinishes({
    close: async () => {
      await Promise.all(pools.map((p) => p.close()));
    },
    drop,
    kept,
  });
  const first = connectTo(url, options, pools);
  await migrateToLatest(first.handle.db as never);
  // better-sqlite3 is synchronous: a second connection in this process would block the event loop
  // in its busy wait while the first holds the write lock, so "another process" shares the one
  // connection here (SQLite serialises writers anyway; test/worker/pool.test.ts covers real processes).
  const connect = (more: OpenOptions = {}): TestConnection =>
    name === 'sqlite' ? first : connectTo(url, { ...options, ...more }, pools);
  return { ...first, name, url, connect };
}

const sqliteBackend: Backend = {
  name: 'sqlite',
  skipReason: undefined,
  open(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'distill-it-'));
    const remove = (): Promise<void> => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    };
    return openIsolated(
      'sqlite',
      `sqlite:${join(dir, 'distill.db')}`,
      options,
      remove,
      `SQLite file in ${dir}`,
    );
  },
};

function postgresBackend(found: Probe): Backend {
  return {
    name: 'postgres',
    skipReason: found.skipReason,
    async open(options = {}) {
      if (found.error) throw found.error;
      const base = found.url!;
      const schema = isolationName(runSchemaPrefix());
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query(`create schema "${schema}"`);
      } finally {
        await admin.end();
      }
      const url = new URL(base);
      url.searchParams.set('options', `-c search_path=${schema}`);
      // Schemas are not dropped while tests run: Kysely's migrator lists the tables of every schema,
      // and a schema dropped by another test file in the middle of that listing fails it. The global
      // teardown (test/helpers/global-setup.ts) drops them all once every file has finished.
      const drop = (): Promise<void> => Promise.resolve();
      return openIsolated('postgres', url.toString(), options, drop, `PostgreSQL schema ${schema}`);
    },
  };
}

function mysqlBackend(found: Probe): Backend {
  return {
    name: 'mysql',
    skipReason: found.skipReason,
    async open(options = {}) {
      if (found.error) throw found.error;
      const base = found.url!;
      const database = isolationName('distill_t_').slice(0, 64);
      const run = async (statement: string): Promise<void> => {
        const connection = await mysql.createConnection({ uri: base });
        try {
          await connection.query(statement);
        } finally {
          await connection.end();
        }
      };
      await run(`create database \`${database}\` character set utf8mb4 collate utf8mb4_unicode_ci`);
      const url = new URL(base);
      url.pathname = `/${database}`;
      return openIsolated(
        'mysql',
        url.toString(),
        options,
        () => run(`drop database \`${database}\``),
        `MySQL database ${database}`,
      );
    },
  };
}

/** One database backend, available or not (check `skipReason`). */
export async function databaseBackend(name: DialectName): Promise<Backend> {
  switch (name) {
    case 'sqlite':
      return sqliteBackend;
    case 'postgres':
      return postgresBackend(await probe(...POSTGRES));
    case 'mysql':
      return mysqlBackend(await probe(...MYSQL));
  }
}

export interface RedisBackend {
  skipReason: string | undefined;
  /** The Redis URL, or throws the probe's error when a configured Redis is unreachable. */
  url(): string;
  /** A fresh key prefix for the running test; its keys are deleted when the test passes. */
  prefix(): string;
}

/** The Redis backend (see the module comment). */
export async function redisBackend(): Promise<RedisBackend> {
  const found = await probe(...REDIS);
  const url = (): string => {
    if (found.error) throw found.error;
    return found.url!;
  };
  return {
    skipReason: found.skipReason,
    url,
    prefix() {
      const prefix = isolationName('distill-t-');
      whenTestFinishes({
        close: () => Promise.resolve(),
        drop: async () => {
          const redis = new Redis(url());
          try {
            let cursor = '0';
            do {
              const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
              cursor = next;
              if (keys.length > 0) await redis.del(...keys);
            } while (cursor !== '0');
          } finally {
            await redis.quit();
          }
        },
        kept: `Redis keys ${prefix}*`,
      });
      return prefix;
    },
  };
}

/** A suite title that says why it is skipped. */
export function suiteTitle(name: string, skipReason: string | undefined): string {
  return skipReason === undefined ? name : `${name} (skipped: ${skipReason})`;
}
