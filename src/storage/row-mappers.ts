import type { ApiKeyInfo } from '../auth/index.js';
import type {
  ChangeSummary,
  DocumentVersion,
  Item,
  ItemLlmResult,
  ItemState,
  Job,
  JobOptions,
  Schedule,
  ScheduleStatus,
  ScheduleTemplate,
  StoredDocument,
  StoredEvent,
  WebhookDelivery,
} from '../jobs/index.js';
import type { Selectable } from 'kysely';
import type {
  ApiKeysTable,
  DocumentsTable,
  DocumentVersionsTable,
  EventsTable,
  JobItemsTable,
  JobsTable,
  SchedulesTable,
  WebhookDeliveriesTable,
} from './schema.js';

/*
 * Rows to domain types. Numbers may come back as strings from bigint columns (PostgreSQL, MySQL),
 * and JSON sits in text columns: both are converted here and nowhere else.
 */

/** Maps a jobs row to the domain type. Numbers may come back as strings from bigint columns. */
export function toJob(row: Selectable<JobsTable>): Job {
  return {
    id: row.id,
    status: row.status as Job['status'],
    options: JSON.parse(row.options) as JobOptions,
    counts: {
      queued: Number(row.queued),
      running: Number(row.running),
      succeeded: Number(row.succeeded),
      failed: Number(row.failed),
      cancelled: Number(row.cancelled),
    },
    total: Number(row.total),
    reused: Number(row.reused),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    webhook: row.webhook === null ? null : (JSON.parse(row.webhook) as Job['webhook']),
    tenant: row.tenant,
    ...(row.intake === 'open' || row.intake === 'interrupted' ? { intake: row.intake } : {}),
    ...(row.name !== null && row.name !== undefined ? { name: row.name } : {}),
    ...(row.first_url !== null && row.first_url !== undefined ? { firstUrl: row.first_url } : {}),
  };
}

export function toItem(row: Selectable<JobItemsTable>): Item {
  return {
    jobId: row.job_id,
    seq: Number(row.seq),
    url: row.url,
    state: row.state as ItemState,
    attempts: Number(row.attempts),
    runAfter: Number(row.run_after),
    error:
      row.error_code === null
        ? null
        : {
            code: row.error_code,
            message: row.error_message ?? '',
            ...(row.http_status !== null && row.state === 'failed'
              ? { httpStatus: Number(row.http_status) }
              : {}),
          },
    documentId: row.document_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
    ...(row.llm_result != null ? { llm: JSON.parse(row.llm_result) as ItemLlmResult } : {}),
  };
}

/**
 * Every column of `documents` that `toDocument` reads: reads name them rather than `select *`,
 * because PostgreSQL's table also holds the search index's `tsvector` (migration 0007), which no
 * read of a document needs and which would be sent along with every row.
 */
export const DOCUMENT_COLUMNS = [
  'id',
  'url_key',
  'url',
  'final_url',
  'canonical_url',
  'mime_type',
  'http_status',
  'title',
  'byline',
  'description',
  'site_name',
  'lang',
  'published_time',
  'text',
  'markdown',
  'html',
  'links',
  'word_count',
  'extractor',
  'quality',
  'metadata',
  'content_hash',
  'fetched_at',
  'created_at',
  'updated_at',
  'etag',
  'last_modified',
  'version',
] as const satisfies readonly (keyof DocumentsTable)[];

export function toDocument(row: Selectable<DocumentsTable>): StoredDocument {
  return {
    id: row.id,
    url: row.url,
    finalUrl: row.final_url,
    canonicalUrl: row.canonical_url,
    mimeType: row.mime_type,
    httpStatus: Number(row.http_status),
    title: row.title,
    byline: row.byline,
    description: row.description,
    siteName: row.site_name,
    lang: row.lang,
    publishedTime: row.published_time,
    text: row.text,
    markdown: row.markdown,
    html: row.html,
    links: JSON.parse(row.links) as string[],
    wordCount: Number(row.word_count),
    extractor: row.extractor,
    quality: JSON.parse(row.quality) as Record<string, unknown>,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    contentHash: row.content_hash,
    fetchedAt: Number(row.fetched_at),
  };
}

export function toApiKeyInfo(row: Selectable<ApiKeysTable>): ApiKeyInfo {
  return {
    id: row.id,
    tenant: row.tenant,
    name: row.name,
    prefix: row.prefix,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
  };
}

export function toSchedule(row: Selectable<SchedulesTable>): Schedule {
  return {
    id: row.id,
    name: row.name,
    status: row.status as ScheduleStatus,
    cron: row.cron,
    intervalSeconds: row.interval_seconds === null ? null : Number(row.interval_seconds),
    timezone: row.timezone,
    template: JSON.parse(row.template) as ScheduleTemplate,
    nextRunAt: Number(row.next_run_at),
    lastRunAt: row.last_run_at === null ? null : Number(row.last_run_at),
    lastJobId: row.last_job_id,
    lastError: row.last_error,
    runs: Number(row.runs),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    tenant: row.tenant,
  };
}

export function toWebhookDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  const status = row.status as WebhookDelivery['status'];
  return {
    id: row.id,
    eventId: Number(row.event_id),
    jobId: row.job_id,
    eventType: row.event_type,
    url: row.url,
    status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    lastHttpStatus: row.last_http_status === null ? null : Number(row.last_http_status),
    nextAttemptAt: status === 'pending' ? Number(row.next_attempt_at) : null,
    giveUpAt: Number(row.give_up_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at),
  };
}

export function toStoredEvent(row: Selectable<EventsTable>): StoredEvent {
  return {
    id: Number(row.id),
    jobId: row.job_id,
    type: row.type,
    payload: JSON.parse(row.payload) as unknown,
    createdAt: Number(row.created_at),
  };
}

export function toDocumentVersion(row: Selectable<DocumentVersionsTable>): DocumentVersion {
  return {
    documentId: row.document_id,
    version: Number(row.version),
    contentHash: row.content_hash,
    title: row.title,
    wordCount: Number(row.word_count),
    text: row.text,
    markdown: row.markdown,
    fetchedAt: Number(row.fetched_at),
    replacedAt: Number(row.replaced_at),
    changes: row.changes === null ? null : (JSON.parse(row.changes) as ChangeSummary),
  };
}
