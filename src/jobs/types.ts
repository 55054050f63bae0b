/**
 * Item state machine (ARCHITECTURE.md):
 *
 *   queued ──claim──► running ──succeed──► succeeded
 *     ▲                 │ ├────fail──────► failed      (permanent error, or attempts used up)
 *     │                 │ └────cancel────► cancelled   (job cancelled while running)
 *     └──retry/release──┘                              (attempts + 1 and a runAfter on retry;
 *   queued ──cancel──► cancelled                        release on shutdown or rate limit keeps
 *                                                       the attempt)
 *
 * Final states never change again. Job status is derived from the item counts: `queued` while no
 * item has started, `running` while any item is queued or running, `completed` when none is, and
 * `cancelled` once cancelled (sticky).
 */
export const ITEM_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const FINAL_ITEM_STATES: readonly ItemState[] = ['succeeded', 'failed', 'cancelled'];

export const JOB_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Per-state item counts of a job. */
export type ItemCounts = Record<ItemState, number>;

/** Output formats a client may ask for. */
export type DocumentFormat = 'text' | 'markdown' | 'html' | 'links';

/** Options a client sets per job; stored with the job and read by the worker for each item. */
export interface JobOptions {
  /** Reuse a stored document fetched less than this many seconds ago; 0 always fetches. */
  maxAgeSeconds: number;
  formats: DocumentFormat[];
  /** Total time limit of one fetch, in milliseconds. */
  timeoutMs: number;
  /** Attempts per item before it fails for good. */
  maxAttempts: number;
}

export interface Job {
  id: string;
  status: JobStatus;
  options: JobOptions;
  counts: ItemCounts;
  total: number;
  /** Items that reused a stored document instead of fetching. */
  reused: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  webhook: { url: string; secret?: string | undefined } | null;
}

export interface ItemError {
  code: string;
  message: string;
  httpStatus?: number | undefined;
}

export interface Item {
  jobId: string;
  seq: number;
  url: string;
  state: ItemState;
  attempts: number;
  runAfter: number;
  error: ItemError | null;
  documentId: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
}

/** A stored document: one per normalised URL, replaced when the URL is extracted again. */
export interface StoredDocument {
  id: string;
  url: string;
  finalUrl: string;
  canonicalUrl: string | null;
  mimeType: string;
  httpStatus: number;
  title: string | null;
  byline: string | null;
  description: string | null;
  siteName: string | null;
  lang: string | null;
  publishedTime: string | null;
  text: string;
  markdown: string | null;
  html: string | null;
  links: string[];
  wordCount: number;
  extractor: string;
  quality: Record<string, unknown>;
  metadata: Record<string, unknown>;
  contentHash: string;
  fetchedAt: number;
}

/** A document as the worker hands it to storage: everything but the keys storage assigns. */
export type NewDocument = Omit<StoredDocument, 'id' | 'url' | 'contentHash'>;

/** An item a worker holds under a lease. `token` proves the lease when the worker reports back. */
export interface ClaimedItem {
  jobId: string;
  seq: number;
  url: string;
  /** This run's attempt number, 1-based. */
  attempt: number;
  token: string;
  options: JobOptions;
}

/** Returns zeroed counts. */
export function emptyCounts(): ItemCounts {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

/** Derives a job's status from its counts. */
export function deriveJobStatus(counts: ItemCounts, isCancelled: boolean): JobStatus {
  if (isCancelled) return 'cancelled';
  if (counts.queued === 0 && counts.running === 0) return 'completed';
  if (counts.running === 0 && counts.succeeded + counts.failed + counts.cancelled === 0) return 'queued';
  return 'running';
}

/** One row of the event log (the outbox table). */
export interface StoredEvent {
  /** Increasing id over all jobs: the SSE `id:` and what `Last-Event-ID` names. */
  id: number;
  jobId: string | null;
  /** `noun.pastVerb`: `job.created`, `document.extracted`, `item.failed`, `job.completed`, `job.cancelled`. */
  type: string;
  payload: unknown;
  createdAt: number;
}
