import type { DomainEvent } from './events.js';
import type { SearchQuery } from './search-query.js';
import type { NewSchedule, Schedule, ScheduleStatus } from './schedules.js';
import type {
  ClaimedItem,
  DocumentVersion,
  ItemCounts,
  Item,
  ItemError,
  ItemLlmResult,
  ItemState,
  Job,
  JobOptions,
  NewDocument,
  StoredDocument,
  StoredEvent,
  WebhookDelivery,
} from './types.js';

/** One URL of a new job, already normalised; `documentId` set when a fresh document is reused. */
export interface NewItem {
  url: string;
  /** A stored document that satisfies the job's maxAge: the item is created `succeeded` at once. */
  reuseDocumentId?: string | undefined;
  /**
   * The item is created `running` under this lease, attempt 1, for a caller that runs it itself (an
   * upload, extracted in the request): it is never queued, and its lease expires as a worker's would.
   */
  lease?: { token: string; leaseMs: number } | undefined;
}

export interface CreateJobInput {
  id: string;
  options: JobOptions;
  webhook: Job['webhook'];
  idempotencyKey?: string | undefined;
  /** @default DEFAULT_TENANT */
  tenant?: string | undefined;
  /**
   * `open`: the job's URLs are still to come. It is made with `intake: 'open'` and without its
   * Idempotency-Key, which `endIntake` binds once every URL is stored; `idempotencyKey` is then only
   * looked up (a job that holds it is returned). Omitted: the key is bound at once.
   */
  intake?: 'open' | undefined;
  /** The name given at submission, already checked (`checkJobName`). */
  name?: string | undefined;
}

/** What `JobStore.listJobs` selects. */
export interface ListJobsOptions {
  limit: number;
  cursor?: string | undefined;
  tenant?: string | undefined;
  status?: Job['status'] | undefined;
  /** Part of a name or first URL, or a whole URL of the job (at most 200 characters). */
  query?: string | undefined;
}

/** How the intake of a job made with `intake: 'open'` ended (see `JobRepository.endIntake`). */
export type IntakeEnd = { state: 'ended'; idempotencyKey?: string | undefined } | { state: 'interrupted' };

/** A page of results with an opaque cursor for the next one (null at the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** What a finished attempt reports. */
export type ItemOutcome =
  | {
      kind: 'succeeded';
      document: NewDocument;
      /**
       * The server answered 304 Not Modified to a conditional request (issue 9): the stored document
       * stands, only its `fetchedAt` is refreshed; `document` is that stored document.
       */
      isNotModified?: boolean;
      /** Crawl jobs: normalised links in the crawl's scope, appended at depth + 1 in the same transaction. */
      discovered?: string[];
      /** What the language model gave the item (`json`, `summary`), stored with the item. */
      llm?: ItemLlmResult;
      /** Jobs that ask for chunks: how many the Markdown makes at the job's sizes, for the event. */
      chunks?: { count: number; tokens: number };
    }
  | { kind: 'failed'; error: ItemError }
  /** Try again after `runAfter`; `countsAttempt` is false for our own rate limits and shutdown. */
  | { kind: 'retry'; error: ItemError | null; runAfter: number; countsAttempt: boolean }
  | { kind: 'cancelled' };

/**
 * Durable state of jobs, items and documents: the source of truth for the API, the jobs service
 * and the worker pool. Every method is one transaction; state changes also write their events to
 * the outbox in that transaction. The sum of the stores below that they use.
 */
export interface JobRepository
  extends
    JobStore,
    Pick<ItemStore, 'addItems' | 'listItems' | 'listResults' | 'llmUsage'>,
    AttemptStore,
    Pick<DocumentStore, 'findFreshDocuments' | 'getDocument' | 'getDocumentByUrl' | 'putDocument'>,
    Pick<EventStore, 'listEvents'> {}

/** Jobs: their rows and counters. */
export interface JobStore {
  /** Creates a job with no items. Returns the existing job when `idempotencyKey` was seen before. */
  createJob(input: CreateJobInput): Promise<{ job: Job; isNew: boolean }>;
  /**
   * Ends the intake of a job made with `intake: 'open'`. `ended` binds `idempotencyKey` to it and
   * returns the job that holds the key: this one, or another that a concurrent submission with
   * the same key bound first. `interrupted` marks the job so. Returns null when no key is bound.
   */
  endIntake(jobId: string, end: IntakeEnd): Promise<Job | null>;
  getJob(jobId: string): Promise<Job | null>;
  /** URLs waiting (queued or running) in the tenant's unfinished jobs: what its cap counts. */
  countWaitingUrls(tenant: string): Promise<number>;
  /**
   * Jobs newest first, of one tenant and of one status when given. `query` keeps the jobs whose name
   * or first URL holds it (case-insensitively), or that hold it as one of their URLs (exactly, once
   * normalised).
   */
  listJobs(options: ListJobsOptions): Promise<Page<Job>>;
  /** Marks the job cancelled and every queued item cancelled; returns how many items it cancelled. */
  cancelJob(jobId: string): Promise<{ job: Job | null; cancelledItems: number }>;
  /**
   * Queues the job's failed items again (attempts from 0, errors cleared) and writes `job.retried`,
   * in one transaction; resolves with the items to hand to the queue. Throws `JobCancelledError`
   * for a cancelled job.
   */
  retryFailedItems(jobId: string): Promise<{ job: Job | null; retried: ItemRef[] }>;
  /**
   * Deletes a finished job with its items (documents stay: other jobs may refer to them, and
   * retention removes orphans). False when there is no such job; `JobNotFinishedError` while it runs.
   */
  deleteJob(jobId: string): Promise<boolean>;
  /** Is the job cancelled? Workers poll this to abort running items promptly. */
  cancelledJobIds(jobIds: readonly string[]): Promise<Set<string>>;
  /** Item counts by state over all jobs, from the per-job counters (no scan of items). */
  countItemsByState(): Promise<ItemCounts>;
  /** Deletes a small batch of finished jobs' items, then the jobs left without items (retention). */
  deleteExpiredJobs(finishedBefore: number, limit: number): Promise<{ jobs: number; items: number }>;
}

/** The items of jobs. */
export interface ItemStore {
  /**
   * Adds items to a job in one transaction: URLs the job already has are skipped, reused ones are
   * created succeeded, the rest queued. Returns the refs of the queued items (for the queue).
   */
  addItems(
    jobId: string,
    items: readonly NewItem[],
  ): Promise<{ added: number; duplicates: number; reused: number; queued: ItemRef[] }>;
  listItems(
    jobId: string,
    options: { state?: ItemState | undefined; limit: number; cursor?: string | undefined },
  ): Promise<Page<Item>>;
  /** Documents of the job's succeeded items, in item order. */
  listResults(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<{ item: Item; document: StoredDocument }>>;
  /** Tokens the language model used for the job's items, summed, and how many items asked it (issue 18). */
  llmUsage(jobId: string): Promise<{ tokensIn: number; tokensOut: number; items: number }>;
  /** Does one of the tenant's jobs refer to the document? Document reads under tenant isolation. */
  isDocumentVisible(documentId: string, tenant: string): Promise<boolean>;
}

/** The end of attempts: executes the item state machine (`transitionItem`). */
export interface AttemptStore {
  /**
   * Records the end of an attempt, if `item.token` still holds the item's lease: on success the
   * document is upserted by URL, the item and the job's counters updated, and events written, all in
   * one transaction. Returns false (and changes nothing) when the lease was lost to another worker.
   */
  finishAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<boolean>;
  /**
   * `finishAttempt`, also returning the items a crawl page appended in the same transaction
   * (`outcome.discovered`), which the caller hands to the queue.
   */
  recordAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<{ isRecorded: boolean; queued: ItemRef[] }>;
}

/** Documents (one per document key) and their earlier versions. */
export interface DocumentStore {
  /** Fresh documents by normalised URL: those fetched at or after `fetchedAfter`. */
  findFreshDocuments(
    urls: readonly string[],
    fetchedAfter: number,
    tenant?: string,
  ): Promise<Map<string, string>>;
  getDocument(id: string): Promise<StoredDocument | null>;
  getDocumentByUrl(url: string, tenant?: string): Promise<StoredDocument | null>;
  /**
   * Stores a document that was not fetched (an uploaded file) under `url` as `tenant` sees it, in
   * one transaction, with the same change detection as a fetched one; returns its id.
   */
  putDocument(url: string, doc: NewDocument, tenant?: string): Promise<string>;
  /** The validators of the URL's stored document, for a conditional fetch; null when it has none. */
  getDocumentValidators(
    url: string,
    key?: string,
  ): Promise<{ documentId: string; etag: string | null; lastModified: string | null } | null>;
  /** The current version number of a document (null when there is none) and its earlier versions, newest first. */
  listDocumentVersions(
    documentId: string,
    options: { limit: number },
  ): Promise<{
    current: { version: number; contentHash: string; fetchedAt: number } | null;
    versions: DocumentVersion[];
  }>;
  /** Deletes up to `limit` documents no item refers to, last stored before `updatedBefore`. */
  deleteOrphanDocuments(updatedBefore: number, limit: number): Promise<number>;
}

/** Screenshots of rendered documents: one per document key. */
export interface ScreenshotStore {
  saveScreenshot(
    url: string,
    screenshot: { fetchedAt: number; png: Uint8Array },
    key?: string,
  ): Promise<void>;
  /** The screenshot of the document's current version, or null when it has none. */
  getScreenshot(documentId: string): Promise<{ mimeType: string; png: Uint8Array } | null>;
}

/**
 * What the database made of one delivery from a broker (`claimDeliveries`): the item is now leased
 * to the caller, or should be delivered again at `runAfter`, or needs no more deliveries.
 */
export type DeliveryDecision =
  { kind: 'claimed'; item: ClaimedItem } | { kind: 'later'; runAfter: number } | { kind: 'done' };

/** A queued item and the time it may run (`listQueuedItems`). */
export interface QueuedItemRef extends ItemRef {
  runAfter: number;
}

/** Where a `listQueuedItems` walk goes on: after this item of this job. */
export interface QueuedItemsCursor {
  jobId: string;
  runAfter: number;
  seq: number;
}

/** The items table as a queue: claims, leases, and the lists the queue adapters need. */
export interface QueueStore {
  /** The embedded queue's claim: up to `max` runnable items, round-robin across jobs. */
  claimBatch(max: number, leaseMs: number): Promise<ClaimedItem[]>;
  /** The distributed queue's claim: what each delivery of `refs` means, in the order of `refs`. */
  claimDeliveries(refs: readonly ItemRef[], leaseMs: number): Promise<DeliveryDecision[]>;
  /** Extends the leases still held; resolves with the items whose lease was lost. */
  renewLeases(items: readonly ClaimedItem[], leaseMs: number): Promise<ClaimedItem[]>;
  /** Puts items whose lease expired back in the queue (or fails them); returns how many it moved. */
  reclaimExpired(limit?: number): Promise<number>;
  /** One page of the queued items of every job, with when each may run; `next` null at the end. */
  listQueuedItems(
    limit: number,
    after?: QueuedItemsCursor,
  ): Promise<{ items: QueuedItemRef[]; next: QueuedItemsCursor | null }>;
  /** Item counts by state over all jobs. */
  countItemsByState(): Promise<ItemCounts>;
}

/** The outbox: the event log that state changes write in their transactions. */
export interface EventStore {
  /** Writes events in the caller's transaction (stores use it; see `transitionItem`). */
  appendEvents(jobId: string | null, events: readonly DomainEvent[]): Promise<void>;
  /** Rows of the event log after `afterId`, oldest first, of one job when `jobId` is set. */
  listEvents(options: { jobId?: string | undefined; afterId: number; limit: number }): Promise<StoredEvent[]>;
  /** Unpublished events, oldest first. */
  listUnpublishedEvents(limit: number): Promise<StoredEvent[]>;
  /** Unpublished events (counted up to `limit`) and the oldest one's `createdAt`. */
  outboxBacklog(limit?: number): Promise<{ pending: number; oldestCreatedAt: number | null }>;
  markEventsPublished(ids: readonly number[]): Promise<void>;
  /** Deletes up to `limit` events published before `publishedBefore`; returns how many. */
  deleteExpiredEvents(publishedBefore: number, limit: number): Promise<number>;
  /** The event log after `afterId`, oldest first, optionally of some types (or `noun.*`), a job or a tenant. */
  listEventLog(options: {
    afterId: number;
    types?: readonly string[] | undefined;
    jobId?: string | undefined;
    tenant?: string | undefined;
    limit: number;
  }): Promise<StoredEvent[]>;
}

/** A delivery the dispatcher should send now: the head of its job's pending deliveries. */
export interface DueWebhookDelivery {
  id: string;
  eventId: number;
  eventType: string;
  jobId: string;
  url: string;
  body: string;
  /** The job's webhook secret; null sends the call unsigned. */
  secret: string | null;
  attempts: number;
  giveUpAt: number;
}

/** What one attempt of a delivery came to. */
export type WebhookAttemptResult =
  | { kind: 'delivered'; httpStatus: number }
  | { kind: 'retry'; error: string; httpStatus: number | null; nextAttemptAt: number }
  /** Gave up: past `giveUpAt`, or refused for good (a blocked address). Writes `webhook.failed`. */
  | { kind: 'failed'; error: string; httpStatus: number | null };

/** Webhook deliveries: one per event of a job that has a webhook. */
export interface WebhookDeliveryStore {
  /**
   * Creates a pending delivery for every event whose job has a webhook (`webhook.*` events
   * excluded), unless one exists already; returns how many it created.
   */
  enqueueWebhookDeliveries(
    events: readonly StoredEvent[],
    options: { giveUpMs: number; body: (event: StoredEvent) => string },
  ): Promise<number>;
  /**
   * Up to `limit` pending deliveries due now that are the oldest pending delivery of their job
   * (so a job's calls go out in event order), skipping the jobs in `busyJobIds`.
   */
  listDueWebhookDeliveries(limit: number, busyJobIds: ReadonlySet<string>): Promise<DueWebhookDelivery[]>;
  /** Records an attempt; a `failed` result also writes a `webhook.failed` event, in one transaction. */
  recordWebhookAttempt(
    delivery: Pick<DueWebhookDelivery, 'id' | 'eventId' | 'jobId' | 'url'>,
    result: WebhookAttemptResult,
  ): Promise<void>;
  /** A job's webhook deliveries in event order, paginated. */
  listWebhookDeliveries(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<WebhookDelivery>>;
  /** Sends a delivery again (whatever its status); null when the job has no such delivery. */
  replayWebhookDelivery(jobId: string, deliveryId: string, giveUpMs: number): Promise<WebhookDelivery | null>;
  /** Sends every failed delivery of a job again; returns how many. */
  replayFailedWebhookDeliveries(jobId: string, giveUpMs: number): Promise<number>;
  /** Deletes up to `limit` delivered or failed deliveries last updated before `before`. */
  deleteFinishedWebhookDeliveries(before: number, limit: number): Promise<number>;
  /** Deliveries waiting for a retry after a failed call, counted up to `limit`. */
  countRetryingWebhookDeliveries(limit: number): Promise<number>;
}

/** Recurring jobs. */
export interface ScheduleStore {
  createSchedule(input: NewSchedule): Promise<Schedule>;
  getSchedule(id: string): Promise<Schedule | null>;
  /** Schedules, newest first. */
  listSchedules(options: {
    limit: number;
    cursor?: string | undefined;
    tenant?: string | undefined;
  }): Promise<Page<Schedule>>;
  /** Pauses or resumes a schedule; resuming sets when it fires next. Null when there is no such schedule. */
  setScheduleStatus(id: string, status: ScheduleStatus, nextRunAt?: number): Promise<Schedule | null>;
  /** Deletes a schedule (its jobs stay); false when there was none. */
  deleteSchedule(id: string): Promise<boolean>;
  /** Active schedules due at `now`, the longest overdue first. */
  listDueSchedules(now: number, limit: number): Promise<Schedule[]>;
  /** Records a run due at `scheduledAt` if it is still due then; false otherwise. */
  recordScheduleRun(
    id: string,
    scheduledAt: number,
    run: { nextRunAt: number; jobId: string | null; error: string | null },
  ): Promise<boolean>;
}

/** Named leases: one holder per name (the relay's leader, the scheduler, retention, repair). */
export interface LeaseStore {
  /**
   * Takes or renews the named lease for `holder` until now + `ttlMs`, if it is free, expired or
   * already `holder`'s. True when `holder` holds it afterwards.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Lets the lease go at once if `holder` holds it, so a standby takes over without waiting. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** The readiness write probe: a small write that fails when the database refuses writes. */
  checkWritable(holder: string): Promise<void>;
}

/** Names one item. */
export interface ItemRef {
  jobId: string;
  seq: number;
}

/**
 * Delivers items to workers with leases. The embedded adapter keeps the queue in the items table
 * itself; the BullMQ adapter keeps it in Redis while the database stays the source of truth.
 */
export interface Queue {
  /** Makes items runnable (the embedded queue's rows are runnable once written). */
  enqueue(items: readonly ItemRef[]): Promise<void>;
  /**
   * Claims up to `max` runnable items, round-robin across jobs so that a large job cannot starve a
   * small one, each leased for `leaseMs` under a fresh token and with its attempt counted.
   */
  claim(max: number, leaseMs: number): Promise<ClaimedItem[]>;
  /** Extends one lease (`renewLeases` of one item); false when the lease was lost (expired and taken, or the item is final). */
  renewLease(item: ClaimedItem, leaseMs: number): Promise<boolean>;
  /**
   * Extends the leases of many items in a few statements (what a worker's heartbeat does); resolves
   * with the items whose lease was lost. One query per item would make a busy worker's heartbeat
   * wait for a pooled connection once per item, long enough to let its own leases expire.
   */
  renewLeases(items: readonly ClaimedItem[], leaseMs: number): Promise<ClaimedItem[]>;
  /** Returns items whose lease expired to the queue (their attempt stays counted). */
  reclaimExpired(): Promise<number>;
  /**
   * Called after `finishAttempt`, with the outcome it recorded, or null when it recorded nothing
   * (the lease was lost). The BullMQ adapter removes the delivery of a final item, delays it to
   * `runAfter` on a retry, or hands it back at once on null; the embedded queue does nothing.
   * Never throws.
   */
  settle(item: ClaimedItem, outcome: ItemOutcome | null): Promise<void>;
  /** Counts of items by state across all jobs, for metrics and readiness. */
  depth(): Promise<Record<ItemState, number>>;
  close(): Promise<void>;
}

/** One document found by a search, with its snippet; offsets are UTF-16 code units of `snippet`/`title`. */
export interface SearchHit {
  documentId: string;
  url: string;
  title: string | null;
  lang: string | null;
  wordCount: number;
  fetchedAt: number;
  /** Higher is better; comparable only within one search on one database. */
  score: number;
  /** A passage of the text around the matches (whole words, `…` where it was cut). */
  snippet: string;
  /** Where the snippet shows a match: `[start, end)` ranges. */
  highlights: [number, number][];
  /** Where the title shows a match. */
  titleHighlights: [number, number][];
}

/** Full-text search over stored documents (SQLite FTS5, PostgreSQL tsvector, MySQL FULLTEXT). */
export interface SearchStore {
  /**
   * The documents that match `query` and that one of the tenant's jobs (or the one job `jobId`)
   * refers to, best first, a page at a time.
   */
  searchDocuments(input: {
    query: SearchQuery;
    tenant: string;
    jobId?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<Page<SearchHit>>;
}
