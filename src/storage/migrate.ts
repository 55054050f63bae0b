import {
  Migrator,
  PostgresAdapter,
  sql,
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
} from 'kysely';
import { toError } from '../lib/index.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-events.js';
import * as m0003 from './migrations/0003-render.js';
import * as m0004 from './migrations/0004-schedules-crawls.js';
import * as m0005 from './migrations/0005-api-keys.js';
import * as m0006 from './migrations/0006-job-intake.js';
import * as m0007 from './migrations/0007-search.js';
import * as m0008 from './migrations/0008-llm.js';
import * as m0009 from './migrations/0009-fetching.js';
import * as m0012 from './migrations/0012-job-names.js';
import * as m0013 from './migrations/0013-domain-rules.js';
import * as m0014 from './migrations/0014-llm-longtext.js';

/**
 * Migrations are listed in code rather than read from a folder, so they work the same from the
 * TypeScript sources (tests) and the compiled `dist/`, and a bundler cannot drop one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-events': m0002,
  '0003-render': m0003,
  '0004-schedules-crawls': m0004,
  '0005-api-keys': m0005,
  '0006-job-intake': m0006,
  '0007-search': m0007,
  '0008-llm': m0008,
  '0009-fetching': m0009,
  '0012-job-names': m0012,
  '0013-domain-rules': m0013,
  '0014-llm-longtext': m0014,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Brings the schema up to date; returns the names of the migrations it ran. Throws on failure. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'distill_migrations',
    migrationLockTableName: 'distill_migrations_lock',
    // Numbers are handed to branches ahead of time and they land in any order (0009 came before
    // 0008): a database that ran a later one still runs an earlier one it lacks. Each migration
    // stands alone (its own tables or columns), so their order does not matter.
    allowUnorderedMigrations: true,
    // On PostgreSQL, Kysely looks for its tables in every schema unless told which: a second
    // deployment in another schema of the same database would then skip creating its own.
    ...((await currentSchema(db)) ?? {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r: MigrationResult) => r.status === 'Error');
  if (error !== undefined) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${toError(error).message}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** `{ migrationTableSchema }` for PostgreSQL (the schema `search_path` selects), else undefined. */
async function currentSchema(db: Kysely<unknown>): Promise<{ migrationTableSchema: string } | undefined> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return undefined;
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  return schema ? { migrationTableSchema: schema } : undefined;
}
