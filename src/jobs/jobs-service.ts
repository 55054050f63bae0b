import { createHash, randomUUID } from 'node:crypto';
import {
  DistillError,
  RetryableError,
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
} from '../lib/index.js';
import { MAX_JOB_NAME_LENGTH } from './job-name.js';
import { JobNotFoundError, SubmissionInterruptedError, UploadNotRetryableError } from './errors.js';
import { UrlIntake, type InvalidEntry, type SubmitResult } from './url-intake.js';
import type { ItemOutcome, JobRepository, Queue } from './ports.js';
import { DEFAULT_TENANT, type ClaimedItem, type DocumentFormat, type Job, type JobOptions } from './types.js';

export type { InvalidEntry, SubmitResult } from './url-intake.js';

/** Options a client may set; unset ones take the service defaults. */
export type JobOptionsInput = Partial<JobOptions>;

/** No valid URL in the submission: nothing is created. */
export class NoValidUrlsError extends DistillError {
  readonly invalid: InvalidEntry[];
  constructor(invalid: InvalidEntry[], received: number) {
    super(
      'no_valid_urls',
      received === 0
        ? 'The submission holds no URL'
        : `None of the ${received} submitted entries is a valid http(s) URL`,
    );
    this.invalid = invalid;
  }
}

/**
 * The upload's item failed (`unsupported_content_type`, `encrypted_document`, `extraction_timeout`,
 * `extractor_busy`, ...): `code` is the item's, `result` the job that holds it.
 */
export class UploadFailedError extends DistillError {
  readonly result: SubmitResult;
  /** The same file may succeed later (`extractor_busy`, `extraction_timeout`): the caller may send it again. */
  readonly isRetryable: boolean;

  constructor(result: SubmitResult, cause: DistillError) {
    super(cause.code, cause.message, { cause });
    this.result = result;
    this.isRetryable = cause instanceof RetryableError;
  }
}

export interface JobsServiceOptions {
  repository: JobRepository;
  queue: Queue;
  defaults: JobOptions;
  clock?: Clock;
  /** Called after items were enqueued, so an in-process pool claims at once. */
  onEnqueued?: () => void;
  /**
   * Most URLs one tenant may have waiting (queued or running) over all its jobs; a submission or
   * append that would pass it is refused with `QueuedUrlsLimitError`. 0: no cap. @default 0
   */
  maxQueuedPerTenant?: number;
  /** Where a failure to enqueue a crawl page's links is reported. @default silentLogger */
  logger?: Logger;
}

/** A request's view: whose jobs it sees and makes. */
export interface TenantScope {
  /** @default DEFAULT_TENANT */
  tenant?: string | undefined;
}

/**
 * The use cases of jobs: submit a batch (normalise, dedupe, reuse fresh documents, write the job
 * and its items, enqueue the rest), append, cancel, read, and finish an attempt. Pure logic over
 * the ports.
 */
export class JobsService {
  readonly #repository: JobRepository;
  readonly #queue: Queue;
  readonly #defaults: JobOptions;
  readonly #clock: Clock;
  readonly #onEnqueued: (() => void) | undefined;
  readonly #intake: UrlIntake;
  readonly #logger: Logger;

  constructor(options: JobsServiceOptions) {
    this.#repository = options.repository;
    this.#queue = options.queue;
    this.#defaults = options.defaults;
    this.#clock = options.clock ?? systemClock;
    this.#onEnqueued = options.onEnqueued;
    this.#intake = new UrlIntake({
      repository: this.#repository,
      queue: this.#queue,
      clock: this.#clock,
      onEnqueued: this.#onEnqueued,
      maxQueuedPerTenant: options.maxQueuedPerTenant ?? 0,
    });
    this.#logger = options.logger ?? silentLogger;
  }

  /** The options a job gets from `input` and the service defaults. */
  resolveOptions(input: JobOptionsInput = {}): JobOptions {
    const formats: DocumentFormat[] = input.formats ?? this.#defaults.formats;
    // A job that asks a model for json or summary fetches every page itself, so each meets the model.
    const isLlm = formats.some((f) => f === 'json' || f === 'summary');
    return {
      // A logged-in fetch (headers or cookies) never stands in for, nor reuses, another's document.
      maxAgeSeconds:
        input.secrets !== undefined || isLlm ? 0 : (input.maxAgeSeconds ?? this.#defaults.maxAgeSeconds),
      formats: [...new Set(formats)],
      timeoutMs: input.timeoutMs ?? this.#defaults.timeoutMs,
      maxAttempts: input.maxAttempts ?? this.#defaults.maxAttempts,
      render: input.render ?? this.#defaults.render ?? 'never',
      screenshot: input.screenshot ?? this.#defaults.screenshot ?? 'none',
      ...(input.crawl !== undefined ? { crawl: input.crawl } : {}),
      ...(input.secrets !== undefined ? { secrets: input.secrets } : {}),
      ...((input.proxyPool ?? this.#defaults.proxyPool) !== undefined
        ? { proxyPool: (input.proxyPool ?? this.#defaults.proxyPool)! }
        : {}),
      ...(input.proxySession !== undefined ? { proxySession: input.proxySession } : {}),
      ...(input.onBlocked !== undefined ? { onBlocked: input.onBlocked } : {}),
      ...(input.chunking !== undefined ? { chunking: input.chunking } : {}),
      ...(input.llm !== undefined
        ? { llm: input.llm }
        : isLlm
          ? { llm: { maxInFlight: 4, maxTokens: 1_000_000, maxRepairs: 1 } }
          : {}),
      ...(input.ocrLanguages !== undefined ? { ocrLanguages: [...new Set(input.ocrLanguages)] } : {}),
    };
  }

  /**
   * Creates a job from `urls`, an array or a stream of lines (memory stays flat for a stream of a
   * million). Invalid entries are reported and skipped; if none is valid, nothing is created and
   * `NoValidUrlsError` is thrown.
   *
   * The job is made at the first valid URL and filled batch by batch, so a submission is stored
   * whole or says it is not: the job's `intake` is `open` until the last batch is stored, and only
   * then is the Idempotency-Key bound to it, so a retry after a cut body or a crash makes a new job
   * instead of replaying a part as if it were the whole. A body that fails part-way (the client
   * goes, the stream breaks) cancels the job and marks it `interrupted`; storage that fails
   * part-way marks it `interrupted` and reports its id (`SubmissionInterruptedError`) so that the
   * rest can be appended, unless nothing was stored: then the empty job is cancelled and the
   * storage error is thrown as it is.
   */
  async submit(input: {
    urls: Iterable<string> | AsyncIterable<string>;
    options?: JobOptionsInput;
    webhook?: Job['webhook'];
    idempotencyKey?: string | undefined;
    tenant?: string | undefined;
    /** The job's name, checked by `checkJobName`; unset: named after its first URL. */
    name?: string | undefined;
  }): Promise<SubmitResult> {
    const options = this.resolveOptions(input.options);
    const tenant = input.tenant ?? DEFAULT_TENANT;
    const idempotencyKey = scopedIdempotencyKey(input.idempotencyKey, tenant);
    let job: Job | undefined;
    let isNew = true;
    const quota = await this.#intake.quota(tenant, input.urls);
    let result: Omit<SubmitResult, 'job' | 'isNew'>;
    try {
      result = await this.#intake.ingest(input.urls, options, tenant, quota, async () => {
        const created = await this.#repository.createJob({
          id: randomUUID(),
          options,
          webhook: input.webhook ?? null,
          idempotencyKey,
          tenant,
          intake: 'open',
          name: input.name?.slice(0, MAX_JOB_NAME_LENGTH),
        });
        job = created.job;
        isNew = created.isNew;
        return created.isNew ? created.job.id : null;
      });
    } catch (error) {
      throw job !== undefined && isNew ? await this.#interrupted(job.id, error) : error;
    }
    if (job === undefined) throw new NoValidUrlsError(result.invalid, result.received);
    if (isNew) {
      const holder = await this.#repository.endIntake(job.id, { state: 'ended', idempotencyKey });
      if (holder !== null && holder.id !== job.id) {
        // A concurrent submission with the same key ended first: this job repeats it.
        await this.#repository.cancelJob(job.id);
        return { ...result, job: holder, isNew: false };
      }
    }
    const current = (await this.#repository.getJob(job.id)) ?? job;
    return { ...result, job: current, isNew };
  }

  /**
   * Ends the intake of a new job whose submission failed part-way, and returns the error to throw.
   * Those writes may fail too (the disk that refused the batch is still full): the submission's own
   * error is then the one reported, with the job's id when it holds URLs, as before.
   */
  async #interrupted(jobId: string, error: unknown): Promise<unknown> {
    const isStorage = error instanceof SubmissionInterruptedError;
    // Storage failed after some batches: keep them for an append. Otherwise nobody will finish the
    // job (the client is gone, or nothing of it was stored): cancel it so that nothing more runs.
    const isKept = isStorage && error.accepted > 0;
    try {
      if (!isKept) await this.#repository.cancelJob(jobId);
      await this.#repository.endIntake(jobId, { state: 'interrupted' });
    } catch {
      return error;
    }
    return isStorage && !isKept ? error.cause : error;
  }

  /**
   * A job of one item that this process runs itself rather than a worker (an uploaded file,
   * `distill extract ./file.pdf`): the job is made with its one item already `running` under a
   * lease of `leaseMs`, never queued, and the caller ends it with {@link finishLocalItem} like a
   * worker ends an attempt, so the item, its events (success or failure) and its results are those
   * of any item. `maxAttempts` is 1: the bytes are not kept, so nothing could run it again; should
   * this process die meanwhile, the lease expires and the item fails `lease_expired`.
   */
  async startLocalItem(input: {
    url: string;
    options?: JobOptionsInput;
    tenant?: string | undefined;
    leaseMs: number;
  }): Promise<ClaimedItem> {
    const options = this.resolveOptions({ ...input.options, maxAttempts: 1 });
    const tenant = input.tenant ?? DEFAULT_TENANT;
    const { job } = await this.#repository.createJob({
      id: randomUUID(),
      options,
      webhook: null,
      tenant,
      intake: 'open',
    });
    const token = randomUUID();
    await this.#repository.addItems(job.id, [{ url: input.url, lease: { token, leaseMs: input.leaseMs } }]);
    await this.#repository.endIntake(job.id, { state: 'ended' });
    // A new job's first item has seq 0 (`next_seq` starts there).
    return { jobId: job.id, seq: 0, url: input.url, attempt: 1, token, options };
  }

  /** Records the outcome of an item from {@link startLocalItem} and returns its job as a submission of one. */
  async finishLocalItem(item: ClaimedItem, outcome: ItemOutcome): Promise<SubmitResult> {
    await this.finishAttempt(item, outcome);
    const job = await this.#repository.getJob(item.jobId);
    if (!job) throw new JobNotFoundError(item.jobId);
    return {
      job,
      isNew: true,
      received: 1,
      accepted: 1,
      duplicates: 0,
      reused: 0,
      invalid: [],
      invalidCount: 0,
    };
  }

  /** Adds URLs to an existing job, with the same rules as `submit`. */
  async append(
    jobId: string,
    urls: Iterable<string> | AsyncIterable<string>,
    scope: TenantScope = {},
  ): Promise<SubmitResult> {
    const job = await this.getJob(jobId, scope);
    const quota = await this.#intake.quota(job.tenant, urls);
    const result = await this.#intake.ingest(urls, job.options, job.tenant, quota, () =>
      Promise.resolve(jobId),
    );
    if (result.accepted + result.duplicates === 0)
      throw new NoValidUrlsError(result.invalid, result.received);
    return { ...result, job: (await this.#repository.getJob(jobId)) ?? job, isNew: false };
  }

  async cancel(jobId: string, scope: TenantScope = {}): Promise<Job> {
    await this.getJob(jobId, scope);
    const { job } = await this.#repository.cancelJob(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    return job;
  }

  /** Deletes a finished job and its items (its documents stay); 409 `job_not_finished` while it runs. */
  async delete(jobId: string, scope: TenantScope = {}): Promise<void> {
    await this.getJob(jobId, scope);
    if (!(await this.#repository.deleteJob(jobId))) throw new JobNotFoundError(jobId);
  }

  /**
   * Runs the job's failed items again: queued, attempts from 0 (so `maxAttempts` applies anew), then
   * handed to the queue. A job that had completed runs again until they end. Nothing to retry:
   * the job as it is. 409 `job_cancelled` for a cancelled job.
   */
  async retryFailed(jobId: string, scope: TenantScope = {}): Promise<{ job: Job; retried: number }> {
    const current = await this.getJob(jobId, scope);
    // Queued again, an upload's item would be fetched at its upload.distill.invalid URL.
    if (current.firstUrl !== undefined && isUploadUrl(current.firstUrl))
      throw new UploadNotRetryableError(jobId);
    const { job, retried } = await this.#repository.retryFailedItems(jobId);
    if (!job) throw new JobNotFoundError(jobId);
    if (retried.length > 0) {
      try {
        await this.#queue.enqueue(retried);
        this.#onEnqueued?.();
      } catch (error) {
        // Committed as queued: the queue's repair delivers them once it answers.
        this.#logger.error(
          { err: toError(error), jobId, items: retried.length },
          'Enqueueing retried items failed',
        );
      }
    }
    return { job, retried: retried.length };
  }

  /**
   * The worker pool's end of an attempt: records the outcome (the item state machine,
   * `transitionItem`, run by the attempt store in one transaction with the document, the events,
   * the counters and a crawl page's links), then hands the links' new items to the queue. Should
   * the queue refuse them (Redis down), they stay queued in the database and the error is logged;
   * the outcome stays recorded. False when the lease was lost and nothing was recorded.
   */
  async finishAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<boolean> {
    const { isRecorded, queued } = await this.#repository.recordAttempt(item, outcome);
    if (queued.length > 0) {
      try {
        await this.#queue.enqueue(queued);
        this.#onEnqueued?.();
      } catch (error) {
        this.#logger.error(
          { err: toError(error), jobId: item.jobId, items: queued.length },
          'Enqueueing the links of a crawl page failed',
        );
      }
    }
    return isRecorded;
  }

  /** The job, if `scope`'s tenant owns it: another tenant's job is as unknown as a missing one. */
  async getJob(jobId: string, scope: TenantScope = {}): Promise<Job> {
    const job = await this.#repository.getJob(jobId);
    if (!job || job.tenant !== (scope.tenant ?? DEFAULT_TENANT)) throw new JobNotFoundError(jobId);
    return job;
  }
}

/**
 * Idempotency keys are unique per tenant: another tenant's key is hashed with the tenant's name, so
 * that two tenants using the same key get two jobs. The `default` tenant keeps the key as given.
 */
function scopedIdempotencyKey(key: string | undefined, tenant: string): string | undefined {
  if (key === undefined || tenant === DEFAULT_TENANT) return key;
  return `t:${createHash('sha256').update(`${tenant}\n${key}`).digest('base64url')}`;
}

const UPLOAD_HOST = 'upload.distill.invalid';

/** Whether `url` names an uploaded file (see `uploadUrl`), not a page to fetch. */
export function isUploadUrl(url: string): boolean {
  return url.startsWith(`https://${UPLOAD_HOST}/`);
}

/**
 * The URL an uploaded file's document is kept under: a host in `.invalid` (RFC 2606, never
 * resolves), the first 128 bits of the bytes' SHA-256 and the file's name. The same file uploaded
 * twice is the same document.
 */
export function uploadUrl(body: Uint8Array, fileName: string | undefined): string {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 32);
  const name = (fileName ?? '')
    .split(/[\\/]/)
    .pop()!
    .replace(/[^\w.-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 120);
  return `https://${UPLOAD_HOST}/${hash}/${encodeURIComponent(name || 'file')}`;
}
