import type { Kysely } from 'kysely';
import { dialectOf, type MigrationTypes } from './types.js';

/**
 * Tables of the event relay (issue 6), portable as 0001 is:
 *
 * - `leases`: named leases between processes. The outbox relay holds `outbox-relay`, so one relay
 *   per database publishes; the row is taken and renewed with a conditional UPDATE (holder is me or
 *   the lease expired), created by an INSERT whose unique-key violation means "someone else won".
 * - `webhook_deliveries`: one row per event of a job that has a webhook; the body is stored, so a
 *   delivery outlives the event log's retention and is replayable. `event_id` is unique, which makes
 *   enqueueing a batch twice (the relay is at-least-once) a no-op.
 *
 * Retention deletes published events by `published_at`, which 0001's `events_unpublished_idx`
 * (published_at, id) already serves.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t: MigrationTypes = dialectOf(db);

  await db.schema
    .createTable('leases')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('event_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('job_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('event_type', 'varchar(64)', (c) => c.notNull())
    .addColumn('url', t.longText, (c) => c.notNull())
    .addColumn('body', t.longText, (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('last_error', t.longText)
    .addColumn('last_http_status', 'integer')
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('give_up_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  // The dispatcher's scan (due pending rows), its per-job head check, and the per-job listing.
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_head_idx')
    .on('webhook_deliveries')
    .columns(['job_id', 'status', 'event_id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_job_idx')
    .on('webhook_deliveries')
    .columns(['job_id', 'event_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['webhook_deliveries', 'leases']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
