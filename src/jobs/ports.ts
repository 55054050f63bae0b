import type {
  ClaimedItem,
  Item,
  ItemError,
  ItemState,
  Job,
  JobOptions,
  NewDocument,
  StoredDocument,
  StoredEvent,
} from './types.js';

/** One URL of a new job, already normalised; `documentId` set when a fresh document is reused. */
export interface NewItem {
  url: string;
  /** A stored document that satisfies the job's maxAge: the item is created `succeeded` at once. */
  reuseDocumentId?: string | undefined;
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
    }
  | { kind: 'failed'; error: ItemError }
  /** Try again after `runAfter`; `countsAttempt` is false for our own rate limits and shutdown. */
  | { kind: 'retry'; error: ItemError | null; runAfter: number; countsAttempt: boolean }
  | { kind: 'cancelled' };

/**
 * Durable state of jobs, items and documents: the source of truth for the API. Every method is
 * one transaction; state changes also write their events to the outbox in that transaction.
 */
export interface JobRepository {
  /** Creates a job with no items. Returns the existing job when `idempotencyKey` was seen before. */
  createJob(input: CreateJobInput): Promise<{ job: Job; isNew: boolean }>;
  /**
   * Ends the intake of a job made with `intake: 'open'`. `ended` binds `idempotencyKey` to it and
   * returns the job that holds the key: this one, or another that a concurrent submission with
   * the same key bound first. `interrupted` marks the job so. Returns null when no key is bound.
   */
  endIntake(jobId: string, end: IntakeEnd): Promise<Job | null>;
  /**
   * Adds items to a job in one transaction: URLs the job already has are skipped, reused ones are
   * created succeeded, the rest queued. Returns the refs of the queued items (for the queue).
   */
  addItems(
    jobId: string,
    items: readonly NewItem[],
  ): Promise<{ added: number; duplicates: number; reused: number; queued: ItemRef[] }>;
  getJob(jobId: string): Promise<Job | null>;
  /** URLs waiting (queued or running) in the tenant's unfinished jobs: what its cap counts. */
  countWaitingUrls(tenant: string): Promise<number>;
  listJobs(options: { limit: number; cursor?: string | undefined; tenant?: string | undefined }): Promise<Page<Job>>;
  listItems(
    jobId: string,
    options: { state?: ItemState | undefined; limit: number; cursor?: string | undefined },
  ): Promise<Page<Item>>;
  /** Documents of the job's succeeded items, in item order. */
  listResults(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<{ item: Item; document: StoredDocument }>>;
  /** Marks the job cancelled and every queued item cancelled; returns how many items it cancelled. */
  cancelJob(jobId: string): Promise<{ job: Job | null; cancelledItems: number }>;
  /**
   * Records the end of an attempt, if `item.token` still holds the item's lease: on success the
   * document is upserted by URL, the item and the job's counters updated, and events written, all in
   * one transaction. Returns false (and changes nothing) when the lease was lost to another worker.
   */
  finishAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<boolean>;
  /** Fresh documents by normalised URL: those fetched at or after `fetchedAfter`. */
  findFreshDocuments(urls: readonly string[], fetchedAfter: number, tenant?: string): Promise<Map<string, string>>;
  getDocument(id: string): Promise<StoredDocument | null>;
  getDocumentByUrl(url: string, tenant?: string): Promise<StoredDocument | null>;
  /** Is the job cancelled? Workers poll this to abort running items promptly. */
  cancelledJobIds(jobIds: readonly string[]): Promise<Set<string>>;
  /** Rows of the event log after `afterId`, oldest first, of one job when `jobId` is set. */
  listEvents(options: { jobId?: string | undefined; afterId: number; limit: number }): Promise<StoredEvent[]>;
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
