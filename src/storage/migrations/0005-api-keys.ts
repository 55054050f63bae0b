import type { Kysely } from 'kysely';
import { dialectOf, type MigrationTypes } from './types.js';

/**
 * API keys and tenants (issue 8), portable as 0001 is:
 *
 * - `api_keys`: one row per key. Only the SHA-256 of the secret is stored (`secret_hash`, unique:
 *   a request's key is found by hashing it), with a short `prefix` of the secret so that a person
 *   can tell keys apart in `distill keys list`. Revoked keys keep their row (`revoked_at`).
 * - `jobs.tenant` and `schedules.tenant`: the tenant of the key that created the row. Rows made
 *   before keys existed, or while auth is off, belong to the tenant `default`.
 * - `jobs_tenant_idx` serves a tenant's job list (newest first), `jobs_tenant_status_idx` the count
 *   of its waiting URLs (its unfinished jobs' counters) that the per-tenant cap checks.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t: MigrationTypes = dialectOf(db);

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('tenant', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(200)')
    .addColumn('prefix', 'varchar(16)', (c) => c.notNull())
    .addColumn('secret_hash', t.key(64), (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('revoked_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_created_idx').on('api_keys').columns(['created_at', 'id']).execute();

  await db.schema
    .alterTable('jobs')
    .addColumn('tenant', 'varchar(64)', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema
    .alterTable('schedules')
    .addColumn('tenant', 'varchar(64)', (c) => c.notNull().defaultTo('default'))
    .execute();
  await db.schema.createIndex('jobs_tenant_idx').on('jobs').columns(['tenant', 'created_at', 'id']).execute();
  await db.schema.createIndex('jobs_tenant_status_idx').on('jobs').columns(['tenant', 'status']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('jobs_tenant_status_idx').on('jobs').execute();
  await db.schema.dropIndex('jobs_tenant_idx').on('jobs').execute();
  await db.schema.alterTable('schedules').dropColumn('tenant').execute();
  await db.schema.alterTable('jobs').dropColumn('tenant').execute();
  await db.schema.dropTable('api_keys').execute();
}
