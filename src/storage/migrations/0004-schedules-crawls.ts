import type { Kysely } from 'kysely';
import { dialectOf, type MigrationTypes } from './types.js';

/**
 * Schedules, crawls, change detection and retention (issue 9), portable as 0001 is:
 *
 * - `documents` gains the response validators (`etag`, `last_modified`) sent back on the next fetch
 *   (a 304 keeps the stored document) and `version`, bumped when the main text's hash changes.
 * - `document_versions` keeps the last N earlier contents of each document.
 * - `job_items.depth`: hops from a crawl's start page (null outside crawls).
 * - `schedules`: recurring jobs; the scheduler scans `(status, next_run_at)`.
 * - Indexes for retention: finished jobs by `finished_at`, documents by `updated_at`, and items by
 *   `document_id` (is a document still referred to?).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t: MigrationTypes = dialectOf(db);

  await db.schema.alterTable('documents').addColumn('etag', 'varchar(1024)').execute();
  await db.schema.alterTable('documents').addColumn('last_modified', 'varchar(128)').execute();
  await db.schema
    .alterTable('documents')
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.alterTable('job_items').addColumn('depth', 'integer').execute();

  await db.schema
    .createTable('document_versions')
    .addColumn('document_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('title', t.longText)
    .addColumn('word_count', 'integer', (c) => c.notNull())
    .addColumn('text', t.longText, (c) => c.notNull())
    .addColumn('markdown', t.longText)
    .addColumn('changes', t.longText)
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .addColumn('replaced_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('document_versions_pk', ['document_id', 'version'])
    .execute();

  await db.schema
    .createTable('schedules')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('name', 'varchar(200)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('cron', 'varchar(200)')
    .addColumn('interval_seconds', 'integer')
    .addColumn('timezone', 'varchar(64)', (c) => c.notNull())
    .addColumn('template', t.longText, (c) => c.notNull())
    .addColumn('next_run_at', 'bigint', (c) => c.notNull())
    .addColumn('last_run_at', 'bigint')
    .addColumn('last_job_id', 'varchar(36)')
    .addColumn('last_error', t.longText)
    .addColumn('runs', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('schedules_due_idx')
    .on('schedules')
    .columns(['status', 'next_run_at'])
    .execute();
  await db.schema
    .createIndex('schedules_created_idx')
    .on('schedules')
    .columns(['created_at', 'id'])
    .execute();

  await db.schema.createIndex('jobs_finished_idx').on('jobs').columns(['finished_at']).execute();
  await db.schema.createIndex('documents_updated_idx').on('documents').columns(['updated_at']).execute();
  await db.schema.createIndex('job_items_document_idx').on('job_items').columns(['document_id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const [index, table] of [
    ['job_items_document_idx', 'job_items'],
    ['documents_updated_idx', 'documents'],
    ['jobs_finished_idx', 'jobs'],
  ] as const) {
    await db.schema.dropIndex(index).on(table).execute();
  }
  for (const table of ['schedules', 'document_versions']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
