import type {
  ChunkView,
  DocumentField,
  JobOptionsView,
  DocumentView,
  InvalidEntryView,
  ItemView,
  JobView,
  PolitenessView,
  ProgressEventData,
  ResultView,
  SubmissionSummary,
} from '../client/types.js';
import { CHUNK_LIMITS, chunkMarkdown } from '../extract/index.js';
import {
  displayJobName,
  redactSecrets,
  type ChunkSettings,
  type Item,
  type Job,
  type JobOptions,
  type StoredDocument,
  type SubmitResult,
} from '../jobs/index.js';

/** Milliseconds since the epoch as ISO 8601. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Share of a job's items in a final state, 0..1 (1 for a finished job with no items). */
export function progressOf(job: Job): number {
  const done = job.counts.succeeded + job.counts.failed + job.counts.cancelled;
  if (job.total === 0) return job.status === 'completed' || job.status === 'cancelled' ? 1 : 0;
  return Math.min(1, done / job.total);
}

/** Is the job final: nothing will change its counts any more? A cancelled job waits for its running items. */
export function isJobFinal(job: Job): boolean {
  if (job.status === 'completed') return true;
  return job.status === 'cancelled' && job.counts.running === 0;
}

export function jobPath(jobId: string): string {
  return `/v1/jobs/${encodeURIComponent(jobId)}`;
}

export function toJobView(job: Job, politeness?: PolitenessView): JobView {
  const self = jobPath(job.id);
  return {
    id: job.id,
    name: displayJobName(job),
    status: job.status,
    counts: { ...job.counts },
    total: job.total,
    reused: job.reused,
    progress: progressOf(job),
    options: {
      maxAge: job.options.maxAgeSeconds,
      formats: [...job.options.formats],
      timeoutMs: job.options.timeoutMs,
      maxAttempts: job.options.maxAttempts,
      render: job.options.render ?? 'never',
      screenshot: job.options.screenshot ?? 'none',
      ...(job.options.proxyPool !== undefined ? { proxyPool: job.options.proxyPool } : {}),
      ...(job.options.onBlocked !== undefined ? { onBlocked: { ...job.options.onBlocked } } : {}),
      ...(job.options.ocrLanguages !== undefined ? { ocrLanguages: [...job.options.ocrLanguages] } : {}),
      ...(job.options.secrets !== undefined ? redactSecrets(job.options.secrets) : {}),
      ...aiOptionsView(job.options),
    },
    webhook: job.webhook ? { url: job.webhook.url } : null,
    createdAt: iso(job.createdAt),
    updatedAt: iso(job.updatedAt),
    finishedAt: job.finishedAt === null ? null : iso(job.finishedAt),
    ...(job.intake !== undefined ? { intake: job.intake } : {}),
    ...(politeness ? { politeness } : {}),
    links: {
      self,
      items: `${self}/items`,
      results: `${self}/results`,
      events: `${self}/events`,
      cancel: `${self}/cancel`,
      retry: `${self}/retry`,
      urls: `${self}/urls`,
    },
  };
}

/** What the job's running items wait on politeness for, while it runs and this process knows. */
export function politenessOf(
  hostWaits: { politeness(jobId: string, running: number): PolitenessView | undefined } | undefined,
  job: Job,
): PolitenessView | undefined {
  if (job.status !== 'running' || job.counts.running === 0) return undefined;
  return hostWaits?.politeness(job.id, job.counts.running);
}

export function toProgressData(job: Job, politeness?: PolitenessView): ProgressEventData {
  return {
    jobId: job.id,
    status: job.status,
    counts: { ...job.counts },
    total: job.total,
    progress: progressOf(job),
    ...(politeness ? { politeness } : {}),
  };
}

export function toItemView(item: Item): ItemView {
  return {
    seq: item.seq,
    url: item.url,
    state: item.state,
    attempts: item.attempts,
    error: item.error
      ? {
          code: item.error.code,
          message: item.error.message,
          ...(item.error.httpStatus !== undefined ? { httpStatus: item.error.httpStatus } : {}),
        }
      : null,
    documentId: item.documentId,
    createdAt: iso(item.createdAt),
    updatedAt: iso(item.updatedAt),
    finishedAt: item.finishedAt === null ? null : iso(item.finishedAt),
  };
}

export function toDocumentView(doc: StoredDocument): DocumentView {
  return { ...doc, fetchedAt: iso(doc.fetchedAt) };
}

/** Chunk and model settings of a job as the API shows them (issue 18). */
function aiOptionsView(options: JobOptions): Partial<JobOptionsView> {
  const view: Partial<JobOptionsView> = {};
  if (options.formats.includes('chunks')) {
    view.chunkTokens = options.chunking?.maxTokens ?? CHUNK_LIMITS.defaultTokens;
    view.chunkOverlap = options.chunking?.overlapTokens ?? CHUNK_LIMITS.defaultOverlap;
  }
  const llm = options.llm;
  if (llm !== undefined) {
    if (llm.schema !== undefined)
      view.json = { schema: llm.schema, ...(llm.prompt !== undefined ? { prompt: llm.prompt } : {}) };
    if (llm.summaryPrompt !== undefined) view.summaryPrompt = llm.summaryPrompt;
    view.llm = {
      ...(llm.model !== undefined ? { model: llm.model } : {}),
      maxInFlight: llm.maxInFlight,
      maxTokens: llm.maxTokens,
      maxRepairs: llm.maxRepairs,
      ...(llm.maxRetries !== undefined ? { maxRetries: llm.maxRetries } : {}),
    };
  }
  return view;
}

/** The chunks of a document as a job cuts them (its `chunkTokens` and `chunkOverlap`). */
export function chunksOf(
  document: Pick<StoredDocument, 'id' | 'markdown'>,
  chunking: ChunkSettings | undefined,
): ChunkView[] {
  return chunkMarkdown(document.markdown ?? '', {
    documentId: document.id,
    maxTokens: chunking?.maxTokens ?? CHUNK_LIMITS.defaultTokens,
    overlapTokens: chunking?.overlapTokens ?? CHUNK_LIMITS.defaultOverlap,
  });
}

/**
 * A result: the document restricted to `fields`, with what the job's own formats made of it:
 * `chunks` (cut now, from the stored Markdown, so every job gets its own sizes), and the model's
 * `json`, `summary` and `llm` use, stored with the item.
 */
export function toResultView(
  result: { item: Item; document: StoredDocument },
  options: JobOptions,
  fields: readonly DocumentField[] | null,
): ResultView {
  const view = projectDocument(result.document, fields);
  if (options.formats.includes('chunks')) view.chunks = chunksOf(result.document, options.chunking);
  const llm = result.item.llm;
  if (options.formats.includes('json')) view.json = llm?.json ?? null;
  if (options.formats.includes('summary')) view.summary = llm?.summary ?? null;
  if (llm !== undefined) {
    const { json: _json, summary: _summary, ...use } = llm;
    view.llm = use;
  }
  return view;
}

/** Every field of a document, in the order results list them. */
export const DOCUMENT_FIELDS: readonly DocumentField[] = [
  'id',
  'url',
  'finalUrl',
  'canonicalUrl',
  'mimeType',
  'httpStatus',
  'title',
  'byline',
  'description',
  'siteName',
  'lang',
  'publishedTime',
  'text',
  'markdown',
  'html',
  'links',
  'wordCount',
  'extractor',
  'quality',
  'metadata',
  'contentHash',
  'fetchedAt',
];

/** The document restricted to `fields` (all of them when null). */
export function projectDocument(doc: StoredDocument, fields: readonly DocumentField[] | null): ResultView {
  const view = toDocumentView(doc);
  if (fields === null) return view;
  const result: Record<string, unknown> = {};
  for (const field of fields) result[field] = view[field];
  return result;
}

/** The submission summary of a `SubmitResult`, with line-level reasons merged in (see `LineRejections`). */
export function toSubmissionSummary(
  result: SubmitResult,
  extra: { invalid?: InvalidEntryView[]; truncated?: boolean; isAppend?: boolean } = {},
): SubmissionSummary {
  return {
    received: result.received,
    accepted: result.accepted,
    duplicates: result.duplicates,
    reused: result.reused,
    invalid: extra.invalid ?? result.invalid,
    invalidCount: result.invalidCount,
    replayed: extra.isAppend === true ? false : !result.isNew,
    truncated: extra.truncated ?? false,
  };
}
