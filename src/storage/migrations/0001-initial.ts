import type { Kysely } from 'kysely';
import { dialectOf, type MigrationTypes } from './types.js';

/**
 * The first schema. Portable by construction: only varchar/integer/bigint and a long-text type
 * chosen per dialect (`longtext` on MySQL, whose `text` stops at 64 KiB), no JSON or array types,
 * no defaults that differ between engines, every index on fixed-width columns (MySQL cannot index
 * `text`), URL keys compared case-sensitively everywhere (`types.key`), and times as bigint
 * milliseconds. The one engine-specific construct, an auto-increment
 * key for the event log, goes through `types.autoId`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const t: MigrationTypes = dialectOf(db);

  await db.schema
    .createTable('jobs')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('options', t.longText, (c) => c.notNull())
    .addColumn('webhook', t.longText)
    .addColumn('idempotency_key', 'varchar(255)', (c) => c.unique())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('reused', 'integer', (c) => c.notNull())
    .addColumn('queued', 'integer', (c) => c.notNull())
    .addColumn('running', 'integer', (c) => c.notNull())
    .addColumn('succeeded', 'integer', (c) => c.notNull())
    .addColumn('failed', 'integer', (c) => c.notNull())
    .addColumn('cancelled', 'integer', (c) => c.notNull())
    .addColumn('next_seq', 'integer', (c) => c.notNull())
    .addColumn('last_claimed_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .execute();
  await db.schema.createIndex('jobs_created_idx').on('jobs').columns(['created_at', 'id']).execute();
  await db.schema.createIndex('jobs_claim_idx').on('jobs').columns(['queued', 'last_claimed_at']).execute();

  await db.schema
    .createTable('job_items')
    .addColumn('job_id', 'varchar(36)', (c) => c.notNull().references('jobs.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('url', t.longText, (c) => c.notNull())
    .addColumn('url_key', t.key(32), (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('run_after', 'bigint', (c) => c.notNull())
    .addColumn('lease_token', 'varchar(36)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('error_code', 'varchar(64)')
    .addColumn('error_message', t.longText)
    .addColumn('http_status', 'integer')
    .addColumn('document_id', 'varchar(36)')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addPrimaryKeyConstraint('job_items_pk', ['job_id', 'seq'])
    .addUniqueConstraint('job_items_url_uq', ['job_id', 'url_key'])
    .execute();
  await db.schema
    .createIndex('job_items_claim_idx')
    .on('job_items')
    .columns(['job_id', 'state', 'run_after', 'seq'])
    .execute();
  await db.schema
    .createIndex('job_items_lease_idx')
    .on('job_items')
    .columns(['state', 'lease_expires_at'])
    .execute();
  await db.schema.createIndex('job_items_url_idx').on('job_items').columns(['url_key', 'state']).execute();

  await db.schema
    .createTable('documents')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('url_key', t.key(32), (c) => c.notNull().unique())
    .addColumn('url', t.longText, (c) => c.notNull())
    .addColumn('final_url', t.longText, (c) => c.notNull())
    .addColumn('canonical_url', t.longText)
    .addColumn('mime_type', 'varchar(255)', (c) => c.notNull())
    .addColumn('http_status', 'integer', (c) => c.notNull())
    .addColumn('title', t.longText)
    .addColumn('byline', t.longText)
    .addColumn('description', t.longText)
    .addColumn('site_name', t.longText)
    .addColumn('lang', 'varchar(64)')
    .addColumn('published_time', 'varchar(64)')
    .addColumn('text', t.longText, (c) => c.notNull())
    .addColumn('markdown', t.longText)
    .addColumn('html', t.longText)
    .addColumn('links', t.longText, (c) => c.notNull())
    .addColumn('word_count', 'integer', (c) => c.notNull())
    .addColumn('extractor', 'varchar(32)', (c) => c.notNull())
    .addColumn('quality', t.longText, (c) => c.notNull())
    .addColumn('metadata', t.longText, (c) => c.notNull())
    .addColumn('content_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('fetched_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', t.autoIdType, (c) => t.autoId(c))
    .addColumn('job_id', 'varchar(36)')
    .addColumn('type', 'varchar(64)', (c) => c.notNull())
    .addColumn('payload', t.longText, (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('published_at', 'bigint')
    .execute();
  await db.schema.createIndex('events_job_idx').on('events').columns(['job_id', 'id']).execute();
  await db.schema
    .createIndex('events_unpublished_idx')
    .on('events')
    .columns(['published_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['events', 'documents', 'job_items', 'jobs']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
