// `UrlIntake`: how `JobsService` (jobs-service.ts) takes in a submission's URLs: the tenant's cap on
// queued URLs, normalising and reporting invalid entries, and writing valid ones in batches (reusing
// fresh documents, enqueueing the rest) so that a stream of a million keeps memory flat.
import type { Clock } from '../lib/index.js';
import { QueuedUrlsLimitError, SubmissionInterruptedError } from './errors.js';
import { normalizeUrl, type UrlRejection } from './normalize-url.js';
import type { JobRepository, NewItem, Queue } from './ports.js';
import type { Job, JobOptions } from './types.js';

/** URLs written per transaction while a stream is added: bounds memory and lock time. */
const BATCH_SIZE = 2000;
/**
 * URLs written per transaction from an array (a JSON body, already in memory whole). Each commit
 * writes every index page its batch touched, and the URL-hash indexes are touched all over, so
 * fewer, larger transactions write fewer pages per URL: 5,000 took the main thread's CPU for a
 * 100,000-URL JSON submission from about 39 to 26–33 ms per 1,000 URLs (`npm run bench -- ingest`,
 * alternating with the old build). One such transaction holds the database, and on SQLite the event
 * loop, for about 100 ms.
 */
const ARRAY_BATCH_SIZE = 5000;
/** Invalid entries reported one by one; past this only their count grows. */
const MAX_REPORTED_INVALID = 1000;

/** One refused entry of a submission. */
export interface InvalidEntry {
  /** Position of the entry in the submission, 0-based. */
  index: number;
  /** The entry as given (cut to 200 characters). */
  input: string;
  /** Why the entry was refused: the URL itself, or the tenant's cap on queued URLs was reached. */
  reason: UrlRejection | 'queued_urls_limit';
  message: string;
}

/** What a submission or an append did. */
export interface SubmitResult {
  job: Job;
  /** False when an Idempotency-Key matched an earlier job, which is returned unchanged. */
  isNew: boolean;
  /** Entries received, valid or not. */
  received: number;
  /** New items added to the job (queued + reused). */
  accepted: number;
  /** Valid entries that repeated a URL of this job (after normalisation). */
  duplicates: number;
  /** Items satisfied by a stored document newer than maxAge, without fetching. */
  reused: number;
  invalidCount: number;
  invalid: InvalidEntry[];
}

/** What `UrlIntake` needs: the service's ports and limits. */
export interface UrlIntakeOptions {
  repository: JobRepository;
  queue: Queue;
  clock: Clock;
  onEnqueued: (() => void) | undefined;
  /** 0: no cap. */
  maxQueuedPerTenant: number;
}

/** Takes in the URLs of a submission or an append; see the module comment. */
export class UrlIntake {
  readonly #repository: JobRepository;
  readonly #queue: Queue;
  readonly #clock: Clock;
  readonly #onEnqueued: (() => void) | undefined;
  readonly #maxQueuedPerTenant: number;

  constructor(options: UrlIntakeOptions) {
    this.#repository = options.repository;
    this.#queue = options.queue;
    this.#clock = options.clock;
    this.#onEnqueued = options.onEnqueued;
    this.#maxQueuedPerTenant = options.maxQueuedPerTenant;
  }

  /**
   * How many more URLs `tenant` may add (Infinity without a cap). A submission whose size is known
   * up front (an array) is refused whole when it does not fit; a streamed one is refused at once when
   * the tenant is at its cap, and otherwise stops at the cap (see `ingest`).
   */
  async quota(tenant: string, urls: Iterable<string> | AsyncIterable<string>): Promise<number> {
    if (this.#maxQueuedPerTenant === 0) return Infinity;
    const queued = await this.#repository.countWaitingUrls(tenant);
    const adding = Array.isArray(urls) ? urls.length : 1;
    if (queued + adding > this.#maxQueuedPerTenant) {
      throw new QueuedUrlsLimitError({ tenant, limit: this.#maxQueuedPerTenant, queued, adding });
    }
    return this.#maxQueuedPerTenant - queued;
  }

  /**
   * Reads entries, normalises them and writes them in batches. The job is created (by `open`) only
   * once a first valid URL is seen; `open` returning null means an idempotent replay: stop there.
   */
  async ingest(
    urls: Iterable<string> | AsyncIterable<string>,
    options: JobOptions,
    tenant: string,
    quota: number,
    open: () => Promise<string | null>,
  ): Promise<Omit<SubmitResult, 'job' | 'isNew'>> {
    const totals = { received: 0, accepted: 0, duplicates: 0, reused: 0, invalidCount: 0 };
    const invalid: InvalidEntry[] = [];
    let jobId: string | null | undefined;
    let batch: string[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0 || jobId === null) return;
      jobId ??= await open();
      if (jobId === null) return;
      let written: { added: number; duplicates: number; reused: number };
      try {
        written = await this.#writeBatch(jobId, batch, options, tenant);
      } catch (error) {
        // The job exists, with the batches before this one: the client must learn its id to finish.
        throw new SubmissionInterruptedError(jobId, totals.accepted, error);
      }
      totals.accepted += written.added;
      totals.duplicates += written.duplicates;
      totals.reused += written.reused;
      batch = [];
    };
    const batchSize = Array.isArray(urls) ? ARRAY_BATCH_SIZE : BATCH_SIZE;
    /** Takes one entry into the batch; true when the batch is full. */
    const take = (entry: unknown): boolean => {
      const index = totals.received++;
      const normalized = normalizeUrl(String(entry));
      if (!normalized.ok) {
        totals.invalidCount++;
        if (invalid.length < MAX_REPORTED_INVALID) {
          invalid.push({
            index,
            input: String(entry).slice(0, 200),
            reason: normalized.reason,
            message: normalized.message,
          });
        }
        return false;
      }
      // A stream longer than the tenant's room: what fits is kept, the rest reported as refused.
      if (totals.accepted + batch.length >= quota) {
        totals.invalidCount++;
        if (invalid.length < MAX_REPORTED_INVALID) {
          invalid.push({
            index,
            input: String(entry).slice(0, 200),
            reason: 'queued_urls_limit',
            message: 'The tenant reached its cap on queued URLs',
          });
        }
        return false;
      }
      batch.push(normalized.url);
      return batch.length >= batchSize;
    };
    // An array is walked synchronously: `for await` over it would cost a promise and a microtask
    // per entry.
    if (isAsyncIterable(urls)) {
      for await (const entry of urls) {
        if (!take(entry)) continue;
        await flush();
        if (jobId === null) break;
      }
    } else {
      for (const entry of urls) {
        if (!take(entry)) continue;
        await flush();
        if (jobId === null) break;
      }
    }
    await flush();
    return { ...totals, invalid };
  }

  async #writeBatch(
    jobId: string,
    urls: string[],
    options: JobOptions,
    tenant: string,
  ): Promise<{ added: number; duplicates: number; reused: number }> {
    // Clamped at 0 (any age): a maxAge past the epoch would give a bound beyond a SQL bigint,
    // which PostgreSQL refuses.
    const fresh =
      options.maxAgeSeconds > 0
        ? await this.#repository.findFreshDocuments(
            urls,
            Math.max(0, this.#clock.now() - options.maxAgeSeconds * 1000),
            tenant,
          )
        : new Map<string, string>();
    const items: NewItem[] = urls.map((url) => ({ url, reuseDocumentId: fresh.get(url) }));
    const { added, duplicates, reused, queued } = await this.#repository.addItems(jobId, items);
    if (queued.length > 0) {
      await this.#queue.enqueue(queued);
      this.#onEnqueued?.();
    }
    return { added, duplicates, reused };
  }
}

function isAsyncIterable<T>(value: Iterable<T> | AsyncIterable<T>): value is AsyncIterable<T> {
  return Symbol.asyncIterator in value;
}
