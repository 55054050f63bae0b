import { Migrator, type Kysely, type Migration, type MigrationProvider, type MigrationResult } from 'kysely';
import { toError } from '../lib/index.js';
import * as m0001 from './migrations/0001-initial.js';

/**
 * Migrations are listed in code rather than read from a folder, so they work the same from the
 * TypeScript sources (tests) and the compiled `dist/`, and a bundler cannot drop one.
 */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
};

const provider: MigrationProvider = { getMigrations: () => Promise.resolve(MIGRATIONS) };

/** Brings the schema up to date; returns the names of the migrations it ran. Throws on failure. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<string[]> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'distill_migrations', migrationLockTableName: 'distill_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r: MigrationResult) => r.status === 'Error');
  if (error !== undefined) {
    throw new Error(`Migration ${failed?.migrationName ?? ''} failed: ${toError(error).message}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
