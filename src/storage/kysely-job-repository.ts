import { createHash, randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder, type Kysely, type RawBuilder, type Selectable } from 'kysely';
import type {
  ChangeSummary,
  ClaimedItem,
  CreateJobInput,
  IntakeEnd,
  DocumentVersion,
  NewSchedule,
  Schedule,
  ScheduleStatus,
  ScheduleTemplate,
  Item,
  ItemCounts,
  ItemOutcome,
  ItemRef,
  ItemState,
  Job,
  JobOptions,
  JobRepository,
  NewDocument,
  NewItem,
  Page,
  StoredDocument,
  StoredEvent,
  WebhookDelivery,
} from '../jobs/index.js';
import { DEFAULT_TENANT, deriveJobStatus, JobNotFoundError, JobCancelledError, summarizeChange } from '../jobs/index.js';
import type { ApiKeyInfo } from '../auth/index.js';
import type { Clock } from '../lib/index.js';
import { systemClock } from '../lib/index.js';
import type { DialectName } from './database.js';
import type { ApiKeysTable, Database, DocumentsTable, JobItemsTable, JobsTable, SchedulesTable } from './schema.js';
import { isUniqueViolation, writeTransaction } from './transaction.js';

/** Rows per INSERT and values per IN list: inside every engine's bound-parameter limit. */
const CHUNK = 500;

/** How long an item waits while another worker fetches the same URL (single flight). */
const SINGLE_FLIGHT_WAIT_MS = 1000;

/** A delivery of an item held under a live lease is looked at again this long after the lease ends. */
const LEASE_RECHECK_MARGIN_MS = 250;

/** The event log holds back events this young on PostgreSQL/MySQL (see `listEventLog`). */
const EVENT_LOG_SETTLE_MS = 1000;

/**
 * What the database made of one delivery from a broker (`claimDeliveries`): the item is now leased
 * to the caller, or should be delivered again at `runAfter`, or needs no more deliveries.
 */
export type DeliveryDecision =
  | { kind: 'claimed'; item: ClaimedItem }
  | { kind: 'later'; runAfter: number }
  | { kind: 'done' };

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

/** Name of the leases row the readiness write probe writes (`checkWritable`). */
const READINESS_LEASE = 'readiness';

/** What `#upsertDocument` found changed in a document's main text. */
interface DocumentChange {
  version: number;
  previousContentHash: string;
  contentHash: string;
  summary: ChangeSummary;
}

type LockedJob = Pick<Selectable<JobsTable>, 'id' | 'status' | 'options' | 'queued'>;

function refKey(jobId: string, seq: number): string {
  return `${jobId}\u0000${seq}`;
}

/** Groups item refs by job, seqs deduplicated. */
function groupSeqs(refs: readonly ItemRef[]): Map<string, number[]> {
  const byJob = new Map<string, Set<number>>();
  for (const ref of refs) {
    const seqs = byJob.get(ref.jobId) ?? new Set<number>();
    seqs.add(ref.seq);
    byJob.set(ref.jobId, seqs);
  }
  return new Map([...byJob].map(([jobId, seqs]) => [jobId, [...seqs]]));
}

/** The screenshots table (migration 0003-render); kept here so that schema.ts stays the core tables. */
interface ScreenshotsTable {
  url_key: string;
  /** `fetched_at` of the document version the picture belongs to. */
  document_fetched_at: number;
  mime_type: string;
  byte_length: number;
  data: Buffer;
  created_at: number;
}

type ScreenshotDatabase = Database & { screenshots: ScreenshotsTable };

/** Hash of a normalised URL: 128 bits, base64url, so keys index well on every engine. */
export function urlKey(url: string): string {
  return createHash('sha256').update(url).digest('base64url').slice(0, 22);
}

function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!check(value)) throw new InvalidCursorError(cursor);
  return value;
}

/**
 * A page from rows fetched with `limit + 1`: the extra row only says that there is a next page,
 * whose cursor is the last returned row's position.
 */
function toPage<R, T>(rows: R[], limit: number, map: (row: R) => T, positionOf: (row: R) => unknown): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}

/** Keyset condition for tables listed newest first by (created_at, id): rows after the cursor's. */
function olderThan([createdAt, id]: [number, string]): RawBuilder<boolean> {
  return sql<boolean>`(created_at < ${createdAt} or (created_at = ${createdAt} and id < ${id}))`;
}

/** A pagination cursor that this server did not hand out. */
export class InvalidCursorError extends TypeError {
  readonly code = 'invalid_cursor';
  constructor(cursor: string) {
    super(`The cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server handed out`);
  }
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
const isJobCursor = (v: unknown): v is [number, string] =>
  Array.isArray(v) && v.length === 2 && isNumber(v[0]) && typeof v[1] === 'string';

type CountDelta = Partial<Record<ItemState, number>>;

/**
 * The `JobRepository` over Kysely: every query distill makes about jobs, items, documents and the
 * event log. One implementation serves SQLite, PostgreSQL and MySQL; the few statements that differ
 * between engines branch on `dialect`.
 *
 * Concurrency. SQLite serialises writers (`BEGIN IMMEDIATE`), so nothing below matters there. On
 * PostgreSQL and MySQL many processes run these transactions at once, at READ COMMITTED, and every
 * transaction that changes items takes row locks in one order: first the rows of the jobs involved,
 * in id order (`#lockJobs`), then the rows of their items. The job's row lock makes its counters
 * exact (`#applyCounts` reads and writes them under it) and orders appends, cancels, claims and
 * finishes of one job; claims read candidate items `FOR UPDATE SKIP LOCKED`. The one place that
 * would take a second job's row out of order (completing waiting duplicates in other jobs after a
 * success) only tries it with SKIP LOCKED and leaves that job alone when it is busy. Deadlocks
 * therefore should not happen; `writeTransaction` retries them anyway.
 */
export class KyselyJobRepository implements JobRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: DialectName;
  readonly #clock: Clock;
  readonly #documentVersions: number;
  readonly #isTenantIsolated: boolean;

  /**
   * `documentVersions`: earlier contents kept per document when its text changes (issue 9).
   * @default 5
   * `tenantIsolation`: each tenant but `default` has its own documents (see `documentKey`).
   * @default false
   */
  constructor(options: {
    db: Kysely<Database>;
    dialect: DialectName;
    clock?: Clock;
    documentVersions?: number;
    tenantIsolation?: boolean;
  }) {
    this.#db = options.db;
    this.#dialect = options.dialect;
    this.#clock = options.clock ?? systemClock;
    this.#isTenantIsolated = options.tenantIsolation ?? false;
    this.#documentVersions = options.documentVersions ?? 5;
    if (!Number.isSafeInteger(this.#documentVersions) || this.#documentVersions < 0) {
      throw new TypeError(`Expected \`documentVersions\` to be a non-negative integer, got \`${this.#documentVersions}\``);
    }
  }

  /**
   * The key of `url`'s document as `tenant` sees it. Documents, single flight and reuse are all
   * keyed by it: shared by every tenant by default (a document fetched for one tenant's job serves
   * another's as a cache), separate per tenant under `tenantIsolation`. The `default` tenant keeps
   * the plain key, so turning isolation on does not orphan the documents stored before.
   */
  documentKey(url: string, tenant: string = DEFAULT_TENANT): string {
    return this.#isTenantIsolated && tenant !== DEFAULT_TENANT ? urlKey(`${tenant}\n${url}`) : urlKey(url);
  }

  /** Row locks exist (PostgreSQL, MySQL); SQLite locks the whole database per write transaction. */
  get #isLocking(): boolean {
    return this.#dialect !== 'sqlite';
  }

  /** Runs `fn` in one read-write transaction (see `writeTransaction`). */
  transaction<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    return writeTransaction(this.#db, this.#dialect, fn);
  }

  async createJob(input: CreateJobInput): Promise<{ job: Job; isNew: boolean }> {
    if (input.idempotencyKey !== undefined) {
      const existing = await this.#db
        .selectFrom('jobs')
        .selectAll()
        .where('idempotency_key', '=', input.idempotencyKey)
        .executeTakeFirst();
      if (existing) return { job: toJob(existing), isNew: false };
    }
    const now = this.#clock.now();
    const row: JobsTable = {
      id: input.id,
      status: 'queued',
      options: JSON.stringify(input.options),
      webhook: input.webhook === null ? null : JSON.stringify(input.webhook),
      idempotency_key: input.intake === 'open' ? null : (input.idempotencyKey ?? null),
      intake: input.intake ?? 'ended',
      total: 0,
      reused: 0,
      queued: 0,
      running: 0,
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      next_seq: 0,
      last_claimed_at: 0,
      created_at: now,
      updated_at: now,
      finished_at: null,
      tenant: input.tenant ?? DEFAULT_TENANT,
    };
    try {
      await this.transaction(async (trx) => {
        await trx.insertInto('jobs').values(row).execute();
        await this.#writeEvent(trx, input.id, 'job.created', { jobId: input.id, options: input.options });
      });
    } catch (error) {
      // Two concurrent requests with one Idempotency-Key: the loser returns the winner's job.
      if (input.idempotencyKey !== undefined) {
        const existing = await this.#db
          .selectFrom('jobs')
          .selectAll()
          .where('idempotency_key', '=', input.idempotencyKey)
          .executeTakeFirst();
        if (existing) return { job: toJob(existing), isNew: false };
      }
      throw error;
    }
    return { job: toJob(row), isNew: true };
  }

  async endIntake(jobId: string, end: IntakeEnd): Promise<Job | null> {
    const jobs = () => this.#db.updateTable('jobs').where('id', '=', jobId);
    if (end.state === 'interrupted') {
      await jobs().set({ intake: 'interrupted' }).execute();
      return null;
    }
    const key = end.idempotencyKey;
    try {
      await jobs()
        .set({ intake: 'ended', ...(key !== undefined ? { idempotency_key: key } : {}) })
        .execute();
    } catch (error) {
      // The key's unique index: a concurrent submission with the same key ended first and holds it.
      const holder = key === undefined ? undefined : await this.#db.selectFrom('jobs').selectAll().where('idempotency_key', '=', key).executeTakeFirst();
      if (!holder) throw error;
      await jobs().set({ intake: 'ended' }).execute();
      return toJob(holder);
    }
    return key === undefined ? null : this.getJob(jobId);
  }

  async addItems(
    jobId: string,
    items: readonly NewItem[],
  ): Promise<{ added: number; duplicates: number; reused: number; queued: ItemRef[] }> {
    return this.transaction(async (trx) => {
      // The job's row lock serialises appends (they hand out `next_seq`) and orders them with a cancel.
      const job = await trx
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', jobId)
        .$if(this.#isLocking, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!job) throw new JobNotFoundError(jobId);
      if (job.status === 'cancelled') throw new JobCancelledError(jobId);
      const now = this.#clock.now();
      // Dedupe within the batch, then against the URLs the job already has.
      const byKey = new Map<string, NewItem>();
      for (const item of items) {
        const key = this.documentKey(item.url, job.tenant);
        if (!byKey.has(key)) byKey.set(key, item);
      }
      const keys = [...byKey.keys()];
      for (let i = 0; i < keys.length; i += CHUNK) {
        const existing = await trx
          .selectFrom('job_items')
          .select('url_key')
          .where('job_id', '=', jobId)
          .where('url_key', 'in', keys.slice(i, i + CHUNK))
          .execute();
        for (const row of existing) byKey.delete(row.url_key);
      }
      let seq = job.next_seq;
      let reused = 0;
      const queued: ItemRef[] = [];
      const rows: JobItemsTable[] = [];
      for (const [key, item] of byKey) {
        const isReused = item.reuseDocumentId !== undefined;
        if (isReused) reused++;
        else queued.push({ jobId, seq });
        rows.push({
          job_id: jobId,
          seq: seq++,
          url: item.url,
          url_key: key,
          state: isReused ? 'succeeded' : 'queued',
          attempts: 0,
          run_after: now,
          lease_token: null,
          lease_expires_at: null,
          error_code: null,
          error_message: null,
          http_status: null,
          document_id: item.reuseDocumentId ?? null,
          created_at: now,
          updated_at: now,
          finished_at: isReused ? now : null,
        });
      }
      for (let i = 0; i < rows.length; i += CHUNK) {
        await trx.insertInto('job_items').values(rows.slice(i, i + CHUNK)).execute();
      }
      await trx
        .updateTable('jobs')
        .set({ next_seq: seq, total: job.total + rows.length, reused: job.reused + reused })
        .where('id', '=', jobId)
        .execute();
      await this.#writeReusedEvents(trx, jobId, rows.filter((row) => row.document_id !== null));
      await this.#applyCounts(trx, jobId, { queued: queued.length, succeeded: reused }, now);
      return { added: rows.length, duplicates: items.length - rows.length, reused, queued };
    });
  }

  async getJob(jobId: string): Promise<Job | null> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async countWaitingUrls(tenant: string): Promise<number> {
    const row = await this.#db
      .selectFrom('jobs')
      .select((eb) => eb.fn.sum<number | string | null>(eb('queued', '+', eb.ref('running'))).as('waiting'))
      .where('tenant', '=', tenant)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(row?.waiting ?? 0);
  }

  async listJobs(options: { limit: number; cursor?: string | undefined; tenant?: string | undefined }): Promise<Page<Job>> {
    const after = decodeCursor(options.cursor, isJobCursor);
    let query = this.#db.selectFrom('jobs').selectAll();
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    if (after) query = query.where(olderThan(after));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    return toPage(rows, options.limit, toJob, (row) => [Number(row.created_at), row.id]);
  }

  async listItems(
    jobId: string,
    options: { state?: ItemState | undefined; limit: number; cursor?: string | undefined },
  ): Promise<Page<Item>> {
    const after = decodeCursor(options.cursor, isNumber);
    let query = this.#db.selectFrom('job_items').selectAll().where('job_id', '=', jobId);
    if (options.state !== undefined) query = query.where('state', '=', options.state);
    if (after !== undefined) query = query.where('seq', '>', after);
    const rows = await query
      .orderBy('seq')
      .limit(options.limit + 1)
      .execute();
    return toPage(rows, options.limit, toItem, (row) => Number(row.seq));
  }

  async listResults(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<{ item: Item; document: StoredDocument }>> {
    const after = decodeCursor(options.cursor, isNumber);
    let query = this.#db
      .selectFrom('job_items')
      .innerJoin('documents', 'documents.id', 'job_items.document_id')
      .selectAll('documents')
      .select([
        'job_items.job_id as item_job_id',
        'job_items.seq as item_seq',
        'job_items.url as item_url',
        'job_items.state as item_state',
        'job_items.attempts as item_attempts',
        'job_items.run_after as item_run_after',
        'job_items.created_at as item_created_at',
        'job_items.updated_at as item_updated_at',
        'job_items.finished_at as item_finished_at',
      ])
      .where('job_items.job_id', '=', jobId)
      .where('job_items.state', '=', 'succeeded');
    if (after !== undefined) query = query.where('job_items.seq', '>', after);
    const rows = await query
      .orderBy('job_items.seq')
      .limit(options.limit + 1)
      .execute();
    return toPage(
      rows,
      options.limit,
      (row) => ({
        item: {
          jobId: row.item_job_id,
          seq: row.item_seq,
          url: row.item_url,
          state: row.item_state as ItemState,
          attempts: row.item_attempts,
          runAfter: Number(row.item_run_after),
          error: null,
          documentId: row.id,
          createdAt: Number(row.item_created_at),
          updatedAt: Number(row.item_updated_at),
          finishedAt: row.item_finished_at === null ? null : Number(row.item_finished_at),
        },
        document: toDocument(row),
      }),
      (row) => Number(row.item_seq),
    );
  }

  async cancelJob(jobId: string): Promise<{ job: Job | null; cancelledItems: number }> {
    return this.transaction(async (trx) => {
      const job = await trx
        .selectFrom('jobs')
        .select(['id', 'status'])
        .where('id', '=', jobId)
        .$if(this.#isLocking, (q) => q.forUpdate())
        .executeTakeFirst();
      if (!job) return { job: null, cancelledItems: 0 };
      const now = this.#clock.now();
      if (job.status === 'cancelled' || job.status === 'completed') {
        return { job: await this.#readJob(trx, jobId), cancelledItems: 0 };
      }
      const result = await trx
        .updateTable('job_items')
        .set({ state: 'cancelled', updated_at: now, finished_at: now, lease_token: null, lease_expires_at: null })
        .where('job_id', '=', jobId)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      const cancelledItems = Number(result.numUpdatedRows);
      await trx.updateTable('jobs').set({ status: 'cancelled' }).where('id', '=', jobId).execute();
      await this.#applyCounts(trx, jobId, { queued: -cancelledItems, cancelled: cancelledItems }, now);
      await this.#writeEvent(trx, jobId, 'job.cancelled', { jobId, cancelledItems });
      return { job: await this.#readJob(trx, jobId), cancelledItems };
    });
  }

  async finishAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<boolean> {
    return (await this.recordAttempt(item, outcome)).isRecorded;
  }

  /**
   * `finishAttempt`, also returning the items a crawl page appended in the same transaction
   * (`outcome.discovered`), which the caller hands to the queue. Appending before the counts are
   * applied, in the transaction that ends the page's item, is what keeps a crawl job from
   * completing while links remain to follow.
   */
  async recordAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<{ isRecorded: boolean; queued: ItemRef[] }> {
    let queued: ItemRef[] = [];
    const isRecorded = await this.transaction(async (trx) => {
      queued = [];
      await this.#lockJobs(trx, [item.jobId]);
      const row = await trx
        .selectFrom('job_items')
        .select(['state', 'lease_token', 'url_key', 'attempts', 'depth'])
        .where('job_id', '=', item.jobId)
        .where('seq', '=', item.seq)
        .$if(this.#isLocking, (q) => q.forUpdate())
        .executeTakeFirst();
      // The lease token is the attempt's proof: a worker whose lease expired and was taken over
      // (or whose item was reclaimed) must not overwrite what the new holder does.
      if (!row || row.state !== 'running' || row.lease_token !== item.token) return false;
      const now = this.#clock.now();
      const where = { job_id: item.jobId, seq: item.seq };
      const releaseLease = { lease_token: null, lease_expires_at: null, updated_at: now };
      switch (outcome.kind) {
        case 'succeeded': {
          const refreshed = outcome.isNotModified === true ? await this.#refreshDocument(trx, row.url_key, outcome.document, now) : null;
          const { documentId, change } =
            refreshed === null
              ? await this.#upsertDocument(trx, item.url, row.url_key, outcome.document, now, item.options.formats.includes('text'))
              : { documentId: refreshed, change: null };
          await updateItem(trx, where, {
            ...releaseLease,
            state: 'succeeded',
            document_id: documentId,
            error_code: null,
            error_message: null,
            http_status: outcome.document.httpStatus,
            finished_at: now,
          });
          // The item's event goes first: `job.completed`, written by #applyCounts, is a job's last.
          await this.#writeEvent(trx, item.jobId, 'document.extracted', {
            jobId: item.jobId,
            seq: item.seq,
            id: documentId,
            documentId,
            url: item.url,
            title: outcome.document.title,
            wordCount: outcome.document.wordCount,
          });
          if (change) {
            await this.#writeEvent(trx, item.jobId, 'document.changed', {
              jobId: item.jobId,
              seq: item.seq,
              documentId,
              url: item.url,
              version: change.version,
              previousContentHash: change.previousContentHash,
              contentHash: change.contentHash,
              changes: change.summary,
            });
          }
          // A crawl page's links join the job before its counts change: the job cannot complete here
          // while they wait (one #applyCounts with the whole delta).
          if (outcome.discovered !== undefined && outcome.discovered.length > 0 && item.options.crawl) {
            queued = await this.#appendDiscovered(trx, item, Number(row.depth ?? 0), outcome.discovered, now);
          }
          await this.#applyCounts(trx, item.jobId, { running: -1, succeeded: 1, queued: queued.length }, now);
          await this.#completeWaitingDuplicates(trx, row.url_key, documentId, now);
          return true;
        }
        case 'failed':
          await updateItem(trx, where, {
            ...releaseLease,
            state: 'failed',
            error_code: outcome.error.code,
            error_message: outcome.error.message,
            http_status: outcome.error.httpStatus ?? null,
            finished_at: now,
          });
          await this.#writeEvent(trx, item.jobId, 'item.failed', {
            jobId: item.jobId,
            seq: item.seq,
            url: item.url,
            code: outcome.error.code,
            message: outcome.error.message,
          });
          await this.#applyCounts(trx, item.jobId, { running: -1, failed: 1 }, now);
          return true;
        case 'retry':
          await updateItem(trx, where, {
            ...releaseLease,
            state: 'queued',
            run_after: outcome.runAfter,
            attempts: outcome.countsAttempt ? row.attempts : Math.max(0, row.attempts - 1),
            ...(outcome.error
              ? {
                  error_code: outcome.error.code,
                  error_message: outcome.error.message,
                  http_status: outcome.error.httpStatus ?? null,
                }
              : {}),
          });
          await this.#applyCounts(trx, item.jobId, { running: -1, queued: 1 }, now);
          return true;
        case 'cancelled':
          await updateItem(trx, where, { ...releaseLease, state: 'cancelled', finished_at: now });
          await this.#applyCounts(trx, item.jobId, { running: -1, cancelled: 1 }, now);
          return true;
      }
    });
    return { isRecorded, queued: isRecorded ? queued : [] };
  }

  async findFreshDocuments(urls: readonly string[], fetchedAfter: number, tenant?: string): Promise<Map<string, string>> {
    const byKey = new Map(urls.map((url) => [this.documentKey(url, tenant), url]));
    const found = new Map<string, string>();
    const keys = [...byKey.keys()];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const rows = await this.#db
        .selectFrom('documents')
        .select(['id', 'url_key'])
        .where('url_key', 'in', keys.slice(i, i + CHUNK))
        .where('fetched_at', '>=', fetchedAfter)
        .execute();
      for (const row of rows) {
        const url = byKey.get(row.url_key);
        if (url !== undefined) found.set(url, row.id);
      }
    }
    return found;
  }

  async getDocument(id: string): Promise<StoredDocument | null> {
    const row = await this.#db.selectFrom('documents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  async getDocumentByUrl(url: string, tenant?: string): Promise<StoredDocument | null> {
    const row = await this.#db
      .selectFrom('documents')
      .selectAll()
      .where('url_key', '=', this.documentKey(url, tenant))
      .executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  /**
   * Stores the PNG screenshot of the document of `url` fetched at `fetchedAt`, replacing the URL's
   * previous one (one per URL, like documents). Written before the document, by the worker.
   */
  async saveScreenshot(url: string, screenshot: { fetchedAt: number; png: Uint8Array }, key: string = urlKey(url)): Promise<void> {
    const db = this.#db as unknown as Kysely<ScreenshotDatabase>;
    const values = {
      document_fetched_at: screenshot.fetchedAt,
      mime_type: 'image/png',
      byte_length: screenshot.png.byteLength,
      data: Buffer.from(screenshot.png.buffer, screenshot.png.byteOffset, screenshot.png.byteLength),
      created_at: this.#clock.now(),
    };
    await db
      .insertInto('screenshots')
      .values({ ...values, url_key: key })
      .$if(this.#dialect === 'mysql', (q) => q.onDuplicateKeyUpdate(values))
      .$if(this.#dialect !== 'mysql', (q) => q.onConflict((oc) => oc.column('url_key').doUpdateSet(values)))
      .execute();
  }

  /**
   * The screenshot of a stored document: null when the document does not exist or when its
   * current version (its `fetchedAt`) was stored without one.
   */
  async getScreenshot(documentId: string): Promise<{ mimeType: string; png: Uint8Array } | null> {
    const db = this.#db as unknown as Kysely<ScreenshotDatabase>;
    const row = await db
      .selectFrom('documents')
      .innerJoin('screenshots', (join) =>
        join.onRef('screenshots.url_key', '=', 'documents.url_key').onRef('screenshots.document_fetched_at', '=', 'documents.fetched_at'),
      )
      .select(['screenshots.mime_type', 'screenshots.data'])
      .where('documents.id', '=', documentId)
      .executeTakeFirst();
    if (!row) return null;
    const data = row.data;
    return { mimeType: row.mime_type, png: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }

  async cancelledJobIds(jobIds: readonly string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const rows = await this.#db
      .selectFrom('jobs')
      .select('id')
      .where('id', 'in', [...new Set(jobIds)].slice(0, CHUNK))
      .where('status', '=', 'cancelled')
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /**
   * The embedded queue's claim: up to `max` runnable items, round-robin across jobs. Jobs are
   * visited oldest-served first (`last_claimed_at`), each giving at most its share of `max`, so a
   * job of ten submitted behind a job of a million gets its items on the very next claim. An item
   * whose URL another worker is fetching right now waits a little instead (single flight).
   *
   * On PostgreSQL and MySQL the chosen jobs' rows are locked first, in id order (the lock order of
   * every transaction here), and candidates are read `FOR UPDATE SKIP LOCKED`: two processes never
   * take one item, and claims on different jobs do not wait for each other. Claims on the same job
   * do wait at its row, which they must update anyway for the counters.
   */
  async claimBatch(max: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (max <= 0) return [];
    return this.transaction(async (trx) => {
      const now = this.#clock.now();
      const chosen = await trx
        .selectFrom('jobs')
        .select('id')
        .where('queued', '>', 0)
        .where('status', '!=', 'cancelled')
        .orderBy('last_claimed_at')
        .orderBy('created_at')
        .limit(max)
        .execute();
      if (chosen.length === 0) return [];
      // Re-read under the lock: another claim may have emptied or a cancel stopped a job meanwhile.
      const locked = new Map((await this.#lockJobs(trx, chosen.map((j) => j.id))).map((j) => [j.id, j]));
      const jobs = chosen
        .map((j) => locked.get(j.id))
        .filter((j): j is LockedJob => j !== undefined && j.queued > 0 && j.status !== 'cancelled');
      const claimed: ClaimedItem[] = [];
      const share = Math.ceil(max / Math.max(1, jobs.length));
      for (const job of jobs) {
        const room = Math.min(share, max - claimed.length);
        if (room <= 0) break;
        const options = JSON.parse(job.options) as JobOptions;
        // Index order (job_id, state, run_after, seq): no sort even for a job of a million items.
        const candidates = await trx
          .selectFrom('job_items')
          .select(['seq', 'url', 'url_key', 'attempts'])
          .where('job_id', '=', job.id)
          .where('state', '=', 'queued')
          .where('run_after', '<=', now)
          .orderBy('run_after')
          .orderBy('seq')
          .limit(room)
          .$if(this.#isLocking, (q) => q.forUpdate().skipLocked())
          .execute();
        let taken = 0;
        for (const candidate of candidates) {
          const item = await this.#leaseCandidate(trx, job.id, candidate, options, leaseMs, now);
          if (item === null) continue;
          claimed.push(item);
          taken++;
        }
        if (taken > 0) {
          await trx.updateTable('jobs').set({ last_claimed_at: now }).where('id', '=', job.id).execute();
          await this.#applyCounts(trx, job.id, { queued: -taken, running: taken }, now);
        }
      }
      return claimed;
    });
  }

  /**
   * The distributed queue's claim: the broker delivered `refs`, and the database decides what each
   * delivery means, in one transaction. A queued item whose time has come is leased (as in
   * `claimBatch`); a queued item not yet due, or one another worker holds under a live lease, is
   * `later` (the broker should deliver it again then); an item that is final, or gone, is `done`
   * (the broker should drop the delivery). An item still `running` under an expired lease (its
   * worker died before `reclaimExpired` noticed) is taken over at once, or failed with
   * `lease_expired` when its attempts are used up, exactly as `reclaimExpired` would. Because every
   * delivery is checked against the row under its lock, a duplicate delivery can never run an item
   * twice. Results are in the order of `refs`.
   */
  async claimDeliveries(refs: readonly ItemRef[], leaseMs: number): Promise<DeliveryDecision[]> {
    if (refs.length === 0) return [];
    return this.transaction(async (trx) => {
      const now = this.#clock.now();
      const jobs = new Map((await this.#lockJobs(trx, refs.map((r) => r.jobId))).map((j) => [j.id, j]));
      const decisions = new Map<string, DeliveryDecision>();
      const deltas = new Map<string, CountDelta>();
      const addDelta = (jobId: string, delta: CountDelta): void => {
        const sum = deltas.get(jobId) ?? {};
        for (const [state, n] of Object.entries(delta) as Array<[ItemState, number]>) sum[state] = (sum[state] ?? 0) + n;
        deltas.set(jobId, sum);
      };
      for (const [jobId, seqs] of groupSeqs(refs)) {
        const job = jobs.get(jobId);
        if (!job) continue;
        const options = JSON.parse(job.options) as JobOptions;
        const rows = await trx
          .selectFrom('job_items')
          .select(['seq', 'url', 'url_key', 'state', 'attempts', 'run_after', 'lease_expires_at'])
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .$if(this.#isLocking, (q) => q.forUpdate())
          .execute();
        for (const row of rows) {
          const key = refKey(jobId, Number(row.seq));
          const where = { job_id: jobId, seq: row.seq };
          if (row.state === 'queued' && job.status === 'cancelled') {
            // Cannot happen while cancels and appends both hold the job's row; tidy it if it does.
            await updateItem(trx, where, { state: 'cancelled', updated_at: now, finished_at: now });
            addDelta(jobId, { queued: -1, cancelled: 1 });
            decisions.set(key, { kind: 'done' });
          } else if (row.state === 'queued') {
            if (Number(row.run_after) > now) {
              decisions.set(key, { kind: 'later', runAfter: Number(row.run_after) });
              continue;
            }
            const item = await this.#leaseCandidate(trx, jobId, row, options, leaseMs, now);
            if (item === null) {
              decisions.set(key, { kind: 'later', runAfter: now + SINGLE_FLIGHT_WAIT_MS });
            } else {
              decisions.set(key, { kind: 'claimed', item });
              addDelta(jobId, { queued: -1, running: 1 });
            }
          } else if (row.state === 'running' && row.lease_expires_at !== null && Number(row.lease_expires_at) >= now) {
            decisions.set(key, { kind: 'later', runAfter: Number(row.lease_expires_at) + LEASE_RECHECK_MARGIN_MS });
          } else if (row.state === 'running') {
            if (Number(row.attempts) >= options.maxAttempts) {
              await this.#failLeaseExpired(trx, jobId, row, options.maxAttempts, now);
              addDelta(jobId, { running: -1, failed: 1 });
              decisions.set(key, { kind: 'done' });
            } else {
              const item = this.#lease(jobId, row, options, leaseMs);
              await updateItem(trx, where, item.values(now));
              decisions.set(key, { kind: 'claimed', item: item.claimed });
            }
          } else {
            decisions.set(key, { kind: 'done' });
          }
        }
      }
      for (const jobId of [...deltas.keys()].sort()) await this.#applyCounts(trx, jobId, deltas.get(jobId)!, now);
      return refs.map((r) => decisions.get(refKey(r.jobId, r.seq)) ?? { kind: 'done' });
    });
  }

  /**
   * Extends the leases of `items` still held under their tokens, with one UPDATE and one SELECT per
   * job (per chunk of items); resolves with the items whose lease was lost. Tokens are unique per
   * claim, so `lease_token IN (…)` can only match the item each token was handed out with.
   */
  async renewLeases(items: readonly ClaimedItem[], leaseMs: number): Promise<ClaimedItem[]> {
    const lost: ClaimedItem[] = [];
    const byJob = new Map<string, ClaimedItem[]>();
    for (const item of items) byJob.set(item.jobId, [...(byJob.get(item.jobId) ?? []), item]);
    const expiresAt = this.#clock.now() + leaseMs;
    for (const [jobId, group] of byJob) {
      for (let i = 0; i < group.length; i += CHUNK) {
        const chunk = group.slice(i, i + CHUNK);
        const seqs = chunk.map((item) => item.seq);
        await this.#db
          .updateTable('job_items')
          .set({ lease_expires_at: expiresAt })
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .where('state', '=', 'running')
          .where('lease_token', 'in', chunk.map((item) => item.token))
          .execute();
        const rows = await this.#db
          .selectFrom('job_items')
          .select(['seq', 'lease_token'])
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .where('state', '=', 'running')
          .execute();
        const held = new Set(rows.map((row) => `${Number(row.seq)}\u0000${row.lease_token}`));
        for (const item of chunk) if (!held.has(`${item.seq}\u0000${item.token}`)) lost.push(item);
      }
    }
    return lost;
  }

  /**
   * Puts items whose lease expired (their worker died or hung) back in the queue. An item that has
   * used all its attempts fails with `lease_expired` instead, so a page that crashes its worker
   * every time cannot loop forever. Returns how many items it moved.
   */
  async reclaimExpired(limit = CHUNK): Promise<number> {
    return this.transaction(async (trx) => {
      const now = this.#clock.now();
      const expired = await trx
        .selectFrom('job_items')
        .select(['job_id', 'seq'])
        .where('state', '=', 'running')
        .where('lease_expires_at', '<', now)
        .limit(limit)
        .execute();
      if (expired.length === 0) return 0;
      // Lock order: the jobs' rows first, then their items, re-checked under the lock (a late
      // finish or a renewal may have come in between).
      const jobs = new Map((await this.#lockJobs(trx, expired.map((e) => e.job_id))).map((j) => [j.id, j]));
      let moved = 0;
      for (const [jobId, seqs] of groupSeqs(expired.map((e) => ({ jobId: e.job_id, seq: Number(e.seq) })))) {
        const job = jobs.get(jobId);
        if (!job) continue;
        const { maxAttempts } = JSON.parse(job.options) as JobOptions;
        const rows = await trx
          .selectFrom('job_items')
          .select(['seq', 'url', 'attempts'])
          .where('job_id', '=', jobId)
          .where('seq', 'in', seqs)
          .where('state', '=', 'running')
          .where('lease_expires_at', '<', now)
          .$if(this.#isLocking, (q) => q.forUpdate())
          .execute();
        const delta: CountDelta = { running: -rows.length, queued: 0, failed: 0, cancelled: 0 };
        for (const row of rows) {
          if (job.status === 'cancelled') {
            // Claims skip cancelled jobs: queued again, the item would wait forever.
            await updateItem(
              trx,
              { job_id: jobId, seq: row.seq },
              { lease_token: null, lease_expires_at: null, updated_at: now, state: 'cancelled', finished_at: now },
            );
            delta.cancelled! += 1;
          } else if (Number(row.attempts) >= maxAttempts) {
            await this.#failLeaseExpired(trx, jobId, row, maxAttempts, now);
            delta.failed! += 1;
          } else {
            await updateItem(
              trx,
              { job_id: jobId, seq: row.seq },
              { lease_token: null, lease_expires_at: null, updated_at: now, state: 'queued', run_after: now },
            );
            delta.queued! += 1;
          }
        }
        if (rows.length > 0) await this.#applyCounts(trx, jobId, delta, now);
        moved += rows.length;
      }
      return moved;
    });
  }

  /** Item counts by state over all jobs, from the per-job counters (no scan of items). */
  async countItemsByState(): Promise<ItemCounts> {
    const row = await this.#db
      .selectFrom('jobs')
      .select((eb) => [
        eb.fn.sum<number>('queued').as('queued'),
        eb.fn.sum<number>('running').as('running'),
        eb.fn.sum<number>('succeeded').as('succeeded'),
        eb.fn.sum<number>('failed').as('failed'),
        eb.fn.sum<number>('cancelled').as('cancelled'),
      ])
      .executeTakeFirst();
    return {
      queued: Number(row?.queued ?? 0),
      running: Number(row?.running ?? 0),
      succeeded: Number(row?.succeeded ?? 0),
      failed: Number(row?.failed ?? 0),
      cancelled: Number(row?.cancelled ?? 0),
    };
  }

  /** Events of a job after `afterId`, oldest first, for SSE replay. */
  async listEvents(options: {
    jobId?: string | undefined;
    afterId: number;
    limit: number;
  }): Promise<Array<{ id: number; jobId: string | null; type: string; payload: unknown; createdAt: number }>> {
    let query = this.#db.selectFrom('events').selectAll().where('id', '>', options.afterId);
    if (options.jobId !== undefined) query = query.where('job_id', '=', options.jobId);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map((row) => ({
      id: Number(row.id),
      jobId: row.job_id,
      type: row.type,
      payload: JSON.parse(row.payload) as unknown,
      createdAt: Number(row.created_at),
    }));
  }

  // ─── The event relay (issue 6): the outbox, leases, webhook deliveries and the event log ───

  /** This Kysely with the relay's tables (their types live below, beside these methods). */
  get #relayDb(): Kysely<Database & RelayTables> {
    return this.#db.withTables<RelayTables>();
  }

  /** Unpublished events, oldest first (index `events_unpublished_idx`). */
  async listUnpublishedEvents(limit: number): Promise<StoredEvent[]> {
    const rows = await this.#db
      .selectFrom('events')
      .selectAll()
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toStoredEvent);
  }

  /**
   * The outbox's backlog, for `/metrics`: unpublished events (counted up to `limit`, so that a
   * scrape stays cheap however long the broker has been down) and the oldest one's `createdAt`.
   * Two reads of index `events_unpublished_idx`.
   */
  async outboxBacklog(limit = 100_000): Promise<{ pending: number; oldestCreatedAt: number | null }> {
    const oldest = await this.#db
      .selectFrom('events')
      .select('created_at')
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!oldest) return { pending: 0, oldestCreatedAt: null };
    const unpublished = this.#db.selectFrom('events').select('id').where('published_at', 'is', null).limit(limit).as('unpublished');
    const counted = await this.#db
      .selectFrom(unpublished)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return { pending: Number(counted.n), oldestCreatedAt: Number(oldest.created_at) };
  }

  async markEventsPublished(ids: readonly number[]): Promise<void> {
    const now = this.#clock.now();
    for (let i = 0; i < ids.length; i += CHUNK) {
      await this.#db
        .updateTable('events')
        .set({ published_at: now })
        .where('id', 'in', ids.slice(i, i + CHUNK))
        .where('published_at', 'is', null)
        .execute();
    }
  }

  /**
   * Takes or renews a named lease: one conditional UPDATE (the row is free, expired, or already
   * ours), and when no row exists yet, an INSERT whose unique-key violation means another process
   * created it first. Portable across the three engines; times come from this process's clock, so
   * the processes' clocks must agree to well within the lease (NTP), as for item leases.
   */
  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock.now();
    const db = this.#relayDb;
    const updated = await db
      .updateTable('leases')
      .set({ holder, expires_at: now + ttlMs })
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return true;
    const existing = await db.selectFrom('leases').select('name').where('name', '=', name).executeTakeFirst();
    if (existing) return false;
    try {
      await db.insertInto('leases').values({ name, holder, expires_at: now + ttlMs }).execute();
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw error;
    }
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    await this.#relayDb
      .updateTable('leases')
      .set({ expires_at: 0 })
      .where('name', '=', name)
      .where('holder', '=', holder)
      .execute();
  }

  /**
   * The readiness write probe (`/readyz`): writes the `readiness` row of the leases table, so that a
   * database that still answers reads but refuses writes (a read-only SQLite file, a full disk, a
   * PostgreSQL standby or `default_transaction_read_only`) fails it. One small shared row whatever
   * the number of processes: an UPDATE, or the INSERT that creates the row once, whose unique-key
   * violation means another process created it first (the engine accepted the write). The row is
   * never a held lease: it expires the moment it is written.
   */
  async checkWritable(holder: string): Promise<void> {
    const now = this.#clock.now();
    const db = this.#relayDb;
    const updated = await db
      .updateTable('leases')
      .set({ holder, expires_at: now })
      .where('name', '=', READINESS_LEASE)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) > 0) return;
    try {
      await db.insertInto('leases').values({ name: READINESS_LEASE, holder, expires_at: now }).execute();
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }

  /**
   * Webhook deliveries waiting for a retry after a failed call (their receiver is down or refusing),
   * counted up to `limit` (`/readyz` reports them; they are kept and retried, so they do not make
   * the process unready).
   */
  async countRetryingWebhookDeliveries(limit: number): Promise<number> {
    const rows = await this.#relayDb
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('attempts', '>', 0)
      .limit(limit)
      .execute();
    return rows.length;
  }

  /**
   * One page of the queued items of every job, with when each may run: what `BullmqQueue`'s repair
   * needs to give an item that lost its delivery (Redis restarted without its data, or a crash
   * between commit and enqueue) a new one. Walks jobs with queued items in id order and, within a
   * job, the claim index `(job_id, state, run_after, seq)`; `next` continues the walk (null at the
   * end). An item whose `run_after` changes during a walk may be seen twice or be left for the next
   * walk; the caller's writes are idempotent, and it walks again while deliveries are missing.
   */
  async listQueuedItems(
    limit: number,
    after?: QueuedItemsCursor,
  ): Promise<{ items: QueuedItemRef[]; next: QueuedItemsCursor | null }> {
    const items: QueuedItemRef[] = [];
    let jobId = after?.jobId;
    let position = after;
    while (items.length < limit) {
      const jobs = this.#db.selectFrom('jobs').select('id').where('queued', '>', 0);
      const job = await (jobId === undefined ? jobs : jobs.where('id', position ? '>=' : '>', jobId))
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!job) return { items, next: null };
      const from = position?.jobId === job.id ? position : undefined;
      const want = limit - items.length;
      const rows = await this.#db
        .selectFrom('job_items')
        .select(['seq', 'run_after'])
        .where('job_id', '=', job.id)
        .where('state', '=', 'queued')
        .$if(from !== undefined, (q) =>
          q.where((eb) =>
            eb.or([
              eb('run_after', '>', from!.runAfter),
              eb.and([eb('run_after', '=', from!.runAfter), eb('seq', '>', from!.seq)]),
            ]),
          ),
        )
        .orderBy('run_after')
        .orderBy('seq')
        .limit(want)
        .execute();
      for (const row of rows) items.push({ jobId: job.id, seq: Number(row.seq), runAfter: Number(row.run_after) });
      const last = rows.at(-1);
      if (rows.length === want && last) {
        return { items, next: { jobId: job.id, runAfter: Number(last.run_after), seq: Number(last.seq) } };
      }
      // This job has no more: go on with the next one.
      jobId = job.id;
      position = undefined;
    }
    return { items, next: null };
  }

  /** Deletes up to `limit` events published before `publishedBefore` (ids first: MySQL cannot LIMIT a subquery). */
  async deleteExpiredEvents(publishedBefore: number, limit: number): Promise<number> {
    const rows = await this.#db
      .selectFrom('events')
      .select('id')
      .where('published_at', '<', publishedBefore)
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    const result = await this.#db
      .deleteFrom('events')
      .where('id', 'in', rows.map((r) => Number(r.id)))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * The event log after `afterId`, oldest first, optionally of some types (exact names, or
   * `noun.*` prefixes) or one job. On PostgreSQL and MySQL an id is taken at insert and becomes
   * visible at commit, so a row can appear after a higher id did; holding back the last
   * `EVENT_LOG_SETTLE_MS` of events keeps a reader paging with `after=` from skipping it.
   * SQLite commits one writer at a time and needs no such wait.
   */
  async listEventLog(options: {
    afterId: number;
    types?: readonly string[] | undefined;
    jobId?: string | undefined;
    tenant?: string | undefined;
    limit: number;
  }): Promise<StoredEvent[]> {
    let query = this.#db.selectFrom('events').selectAll().where('id', '>', options.afterId);
    if (options.jobId !== undefined) query = query.where('job_id', '=', options.jobId);
    const { tenant } = options;
    if (tenant !== undefined) {
      query = query.where('job_id', 'in', (eb) => eb.selectFrom('jobs').select('jobs.id').where('jobs.tenant', '=', tenant));
    }
    const types = options.types ?? [];
    if (types.length > 0) {
      const exact = types.filter((t) => !t.endsWith('.*'));
      const prefixes = types.filter((t) => t.endsWith('.*')).map((t) => `${t.slice(0, -1).replace(/[%_\\]/g, '')}%`);
      query = query.where((eb) =>
        eb.or([
          ...(exact.length > 0 ? [eb('type', 'in', exact)] : []),
          ...prefixes.map((prefix) => eb('type', 'like', prefix)),
        ]),
      );
    }
    if (this.#isLocking) query = query.where('created_at', '<=', this.#clock.now() - EVENT_LOG_SETTLE_MS);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map(toStoredEvent);
  }

  /**
   * Creates a pending delivery for each event whose job has a webhook (`webhook.*` events, which
   * report on the webhook itself, excluded). `event_id` is unique, so a batch the relay enqueues
   * twice creates nothing the second time.
   */
  async enqueueWebhookDeliveries(
    events: readonly StoredEvent[],
    options: { giveUpMs: number; body: (event: StoredEvent) => string },
  ): Promise<number> {
    const candidates = events.filter((e) => e.jobId !== null && !e.type.startsWith('webhook.'));
    if (candidates.length === 0) return 0;
    const jobIds = [...new Set(candidates.map((e) => e.jobId!))];
    const webhooks = new Map<string, string>();
    for (let i = 0; i < jobIds.length; i += CHUNK) {
      const rows = await this.#db
        .selectFrom('jobs')
        .select(['id', 'webhook'])
        .where('id', 'in', jobIds.slice(i, i + CHUNK))
        .where('webhook', 'is not', null)
        .execute();
      for (const row of rows) {
        const webhook = JSON.parse(row.webhook!) as Job['webhook'];
        if (webhook) webhooks.set(row.id, webhook.url);
      }
    }
    const wanted = candidates.filter((e) => webhooks.has(e.jobId!));
    if (wanted.length === 0) return 0;
    const db = this.#relayDb;
    const existing = new Set<number>();
    for (let i = 0; i < wanted.length; i += CHUNK) {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .select('event_id')
        .where('event_id', 'in', wanted.slice(i, i + CHUNK).map((e) => e.id))
        .execute();
      for (const row of rows) existing.add(Number(row.event_id));
    }
    const now = this.#clock.now();
    const rows: WebhookDeliveriesTable[] = wanted
      .filter((e) => !existing.has(e.id))
      .map((e) => ({
        id: randomUUID(),
        event_id: e.id,
        job_id: e.jobId!,
        event_type: e.type,
        url: webhooks.get(e.jobId!)!,
        body: options.body(e),
        status: 'pending',
        attempts: 0,
        last_error: null,
        last_http_status: null,
        next_attempt_at: now,
        give_up_at: now + options.giveUpMs,
        created_at: now,
        updated_at: now,
        delivered_at: null,
      }));
    for (let i = 0; i < rows.length; i += CHUNK) {
      await db
        .insertInto('webhook_deliveries')
        .values(rows.slice(i, i + CHUNK))
        .$if(this.#dialect === 'mysql', (q) => q.ignore())
        .$if(this.#dialect !== 'mysql', (q) => q.onConflict((oc) => oc.column('event_id').doNothing()))
        .execute();
    }
    return rows.length;
  }

  /**
   * Pending deliveries due now, each the oldest pending delivery of its job: a job's calls go out
   * one at a time, in event order, and a failing receiver holds back only its own job's calls.
   */
  async listDueWebhookDeliveries(
    limit: number,
    busyJobIds: ReadonlySet<string>,
  ): Promise<
    Array<{ id: string; eventId: number; eventType: string; jobId: string; url: string; body: string; secret: string | null; attempts: number; giveUpAt: number }>
  > {
    const now = this.#clock.now();
    let query = this.#relayDb
      .selectFrom('webhook_deliveries as d')
      .leftJoin('jobs as j', 'j.id', 'd.job_id')
      .select(['d.id', 'd.event_id', 'd.event_type', 'd.job_id', 'd.url', 'd.body', 'd.attempts', 'd.give_up_at', 'j.webhook'])
      .where('d.status', '=', 'pending')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('webhook_deliveries as e')
              .select('e.id')
              .whereRef('e.job_id', '=', 'd.job_id')
              .where('e.status', '=', 'pending')
              .whereRef('e.event_id', '<', 'd.event_id'),
          ),
        ),
      );
    if (busyJobIds.size > 0) query = query.where('d.job_id', 'not in', [...busyJobIds]);
    const rows = await query.orderBy('d.next_attempt_at').orderBy('d.event_id').limit(limit).execute();
    return rows.map((row) => {
      const webhook = row.webhook === null ? null : (JSON.parse(row.webhook) as Job['webhook']);
      return {
        id: row.id,
        eventId: Number(row.event_id),
        eventType: row.event_type,
        jobId: row.job_id,
        url: row.url,
        body: row.body,
        secret: webhook?.secret ?? null,
        attempts: Number(row.attempts),
        giveUpAt: Number(row.give_up_at),
      };
    });
  }

  /** Records one attempt of a delivery; giving up also writes `webhook.failed`, in the same transaction. */
  async recordWebhookAttempt(
    delivery: { id: string; eventId: number; jobId: string; url: string },
    result:
      | { kind: 'delivered'; httpStatus: number }
      | { kind: 'retry'; error: string; httpStatus: number | null; nextAttemptAt: number }
      | { kind: 'failed'; error: string; httpStatus: number | null },
  ): Promise<void> {
    const now = this.#clock.now();
    await this.transaction(async (trx) => {
      const db = trx.withTables<RelayTables>();
      const base = db
        .updateTable('webhook_deliveries')
        .where('id', '=', delivery.id)
        .where('status', '=', 'pending');
      switch (result.kind) {
        case 'delivered':
          await base
            .set((eb) => ({
              status: 'delivered',
              attempts: eb('attempts', '+', 1),
              last_error: null,
              last_http_status: result.httpStatus,
              delivered_at: now,
              updated_at: now,
            }))
            .execute();
          return;
        case 'retry':
          await base
            .set((eb) => ({
              attempts: eb('attempts', '+', 1),
              last_error: result.error,
              last_http_status: result.httpStatus,
              next_attempt_at: result.nextAttemptAt,
              updated_at: now,
            }))
            .execute();
          return;
        case 'failed': {
          const updated = await base
            .set((eb) => ({
              status: 'failed',
              attempts: eb('attempts', '+', 1),
              last_error: result.error,
              last_http_status: result.httpStatus,
              updated_at: now,
            }))
            .executeTakeFirst();
          if (Number(updated.numUpdatedRows) === 0) return;
          const row = await db
            .selectFrom('webhook_deliveries')
            .select('attempts')
            .where('id', '=', delivery.id)
            .executeTakeFirstOrThrow();
          await this.#writeEvent(trx, delivery.jobId, 'webhook.failed', {
            jobId: delivery.jobId,
            deliveryId: delivery.id,
            eventId: String(delivery.eventId),
            url: delivery.url,
            attempts: Number(row.attempts),
            lastError: result.error,
          });
          return;
        }
      }
    });
  }

  /** A job's webhook deliveries in event order, paginated. */
  async listWebhookDeliveries(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<WebhookDeliveryRecord>> {
    const after = decodeCursor(options.cursor, isNumber);
    let query = this.#relayDb.selectFrom('webhook_deliveries').selectAll().where('job_id', '=', jobId);
    if (after !== undefined) query = query.where('event_id', '>', after);
    const rows = await query
      .orderBy('event_id')
      .limit(options.limit + 1)
      .execute();
    return toPage(rows, options.limit, toWebhookDelivery, (row) => Number(row.event_id));
  }

  /**
   * Sends a delivery again (whatever its status): pending, due now, with a fresh give-up deadline.
   * Null when the job has no such delivery.
   */
  async replayWebhookDelivery(jobId: string, deliveryId: string, giveUpMs: number): Promise<WebhookDeliveryRecord | null> {
    const now = this.#clock.now();
    const db = this.#relayDb;
    await db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, give_up_at: now + giveUpMs, delivered_at: null, updated_at: now })
      .where('id', '=', deliveryId)
      .where('job_id', '=', jobId)
      .execute();
    const row = await db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('id', '=', deliveryId)
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    return row ? toWebhookDelivery(row) : null;
  }

  /** Sends every failed delivery of a job again; returns how many. */
  async replayFailedWebhookDeliveries(jobId: string, giveUpMs: number): Promise<number> {
    const now = this.#clock.now();
    const result = await this.#relayDb
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, give_up_at: now + giveUpMs, updated_at: now })
      .where('job_id', '=', jobId)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Deletes up to `limit` delivered or failed deliveries last updated before `before`. */
  async deleteFinishedWebhookDeliveries(before: number, limit: number): Promise<number> {
    const db = this.#relayDb;
    const rows = await db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', 'in', ['delivered', 'failed'])
      .where('updated_at', '<', before)
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    const result = await db
      .deleteFrom('webhook_deliveries')
      .where('id', 'in', rows.map((r) => r.id))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ─── Schedules, crawls, change detection and retention (issue 9) ───

  /**
   * The validators of the URL's stored document, for a conditional fetch: null when there is no
   * document or it was stored without an ETag or Last-Modified.
   */
  async getDocumentValidators(
    url: string,
    key: string = urlKey(url),
  ): Promise<{ documentId: string; etag: string | null; lastModified: string | null } | null> {
    const row = await this.#db
      .selectFrom('documents')
      .select(['id', 'etag', 'last_modified'])
      .where('url_key', '=', key)
      .executeTakeFirst();
    if (!row || (!row.etag && !row.last_modified)) return null;
    return { documentId: row.id, etag: row.etag ?? null, lastModified: row.last_modified ?? null };
  }

  /** The current version number of a document (null when there is none) and its earlier versions, newest first. */
  async listDocumentVersions(
    documentId: string,
    options: { limit: number },
  ): Promise<{ current: { version: number; contentHash: string; fetchedAt: number } | null; versions: DocumentVersion[] }> {
    const doc = await this.#db
      .selectFrom('documents')
      .select(['version', 'content_hash', 'fetched_at'])
      .where('id', '=', documentId)
      .executeTakeFirst();
    if (!doc) return { current: null, versions: [] };
    const rows = await this.#db
      .selectFrom('document_versions')
      .selectAll()
      .where('document_id', '=', documentId)
      .orderBy('version', 'desc')
      .limit(options.limit)
      .execute();
    return {
      current: { version: Number(doc.version ?? 1), contentHash: doc.content_hash, fetchedAt: Number(doc.fetched_at) },
      versions: rows.map((row) => ({
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
      })),
    };
  }

  async createSchedule(input: NewSchedule): Promise<Schedule> {
    const now = this.#clock.now();
    const row: Selectable<SchedulesTable> = {
      id: input.id,
      name: input.name,
      status: input.status,
      cron: input.cron,
      interval_seconds: input.intervalSeconds,
      timezone: input.timezone,
      template: JSON.stringify(input.template),
      next_run_at: input.nextRunAt,
      last_run_at: null,
      last_job_id: null,
      last_error: null,
      runs: 0,
      created_at: now,
      updated_at: now,
      tenant: input.tenant,
    };
    await this.#db.insertInto('schedules').values(row).execute();
    return toSchedule(row);
  }

  async getSchedule(id: string): Promise<Schedule | null> {
    const row = await this.#db.selectFrom('schedules').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toSchedule(row) : null;
  }

  /** Schedules, newest first. */
  async listSchedules(options: { limit: number; cursor?: string | undefined; tenant?: string | undefined }): Promise<Page<Schedule>> {
    const after = decodeCursor(options.cursor, isJobCursor);
    let query = this.#db.selectFrom('schedules').selectAll();
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    if (after) query = query.where(olderThan(after));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    return toPage(rows, options.limit, toSchedule, (row) => [Number(row.created_at), row.id]);
  }

  /** Pauses or resumes a schedule; resuming sets when it fires next. Null when there is no such schedule. */
  async setScheduleStatus(id: string, status: ScheduleStatus, nextRunAt?: number): Promise<Schedule | null> {
    await this.#db
      .updateTable('schedules')
      .set({ status, updated_at: this.#clock.now(), ...(nextRunAt !== undefined ? { next_run_at: nextRunAt } : {}) })
      .where('id', '=', id)
      .execute();
    return this.getSchedule(id);
  }

  async insertApiKey(key: ApiKeyInfo & { secretHash: string }): Promise<void> {
    await this.#db
      .insertInto('api_keys')
      .values({
        id: key.id,
        tenant: key.tenant,
        name: key.name,
        prefix: key.prefix,
        secret_hash: key.secretHash,
        created_at: key.createdAt,
        revoked_at: key.revokedAt,
        last_used_at: key.lastUsedAt,
      })
      .execute();
  }

  /** Every key, newest first (a deployment has a handful, not thousands). */
  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const rows = await this.#db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toApiKeyInfo);
  }

  async revokeApiKey(idOrPrefix: string, now: number): Promise<ApiKeyInfo | null> {
    const matches = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', idOrPrefix), eb('prefix', '=', idOrPrefix)]))
      .execute();
    // A prefix shared by two keys (8 random characters: not in practice) revokes neither.
    if (matches.length !== 1) return null;
    const row = matches[0]!;
    if (row.revoked_at === null) {
      await this.#db.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', row.id).execute();
    }
    return toApiKeyInfo({ ...row, revoked_at: row.revoked_at ?? now });
  }

  async findLiveApiKey(secretHash: string): Promise<ApiKeyInfo | null> {
    const row = await this.#db
      .selectFrom('api_keys')
      .selectAll()
      .where('secret_hash', '=', secretHash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row ? toApiKeyInfo(row) : null;
  }

  /** Does one of the tenant's jobs refer to the document? Document reads under tenant isolation. */
  async isDocumentVisible(documentId: string, tenant: string): Promise<boolean> {
    const row = await this.#db
      .selectFrom('job_items')
      .innerJoin('jobs', 'jobs.id', 'job_items.job_id')
      .select('job_items.job_id')
      .where('job_items.document_id', '=', documentId)
      .where('jobs.tenant', '=', tenant)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async countApiKeys(): Promise<number> {
    const row = await this.#db
      .selectFrom('api_keys')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  async touchApiKey(id: string, now: number): Promise<void> {
    await this.#db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
  }

  /** Deletes a schedule (its jobs stay); false when there was none. */
  async deleteSchedule(id: string): Promise<boolean> {
    const result = await this.#db.deleteFrom('schedules').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  /** Active schedules due at `now`, the longest overdue first. */
  async listDueSchedules(now: number, limit: number): Promise<Schedule[]> {
    const rows = await this.#db
      .selectFrom('schedules')
      .selectAll()
      .where('status', '=', 'active')
      .where('next_run_at', '<=', now)
      .orderBy('next_run_at')
      .limit(limit)
      .execute();
    return rows.map(toSchedule);
  }

  /**
   * Records a run of a schedule that was due at `scheduledAt` and moves it to `nextRunAt`, only if
   * it is still due at that time (no pause, resume or other run came in between). False otherwise.
   */
  async recordScheduleRun(
    id: string,
    scheduledAt: number,
    run: { nextRunAt: number; jobId: string | null; error: string | null },
  ): Promise<boolean> {
    const now = this.#clock.now();
    const result = await this.#db
      .updateTable('schedules')
      .set((eb) => ({
        next_run_at: run.nextRunAt,
        last_run_at: now,
        ...(run.jobId !== null ? { last_job_id: run.jobId } : {}),
        last_error: run.error,
        runs: eb('runs', '+', 1),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('next_run_at', '=', scheduledAt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * One small step of job retention: deletes up to `limit` items of jobs finished before
   * `finishedBefore` (only final items: a finished job that gets new URLs keeps them), then those
   * jobs that have no item left. Each statement is short; nothing holds a lock for long, and a
   * backlog drains over many calls. Returns what it deleted.
   */
  async deleteExpiredJobs(finishedBefore: number, limit: number): Promise<{ jobs: number; items: number }> {
    const jobs = await this.#db
      .selectFrom('jobs')
      .select('id')
      .where('finished_at', '<', finishedBefore)
      .where('status', 'in', ['completed', 'cancelled'])
      .orderBy('finished_at')
      .limit(Math.min(limit, 100))
      .execute();
    if (jobs.length === 0) return { jobs: 0, items: 0 };
    const jobIds = jobs.map((j) => j.id);
    const items = await this.#db
      .selectFrom('job_items')
      .select(['job_id', 'seq'])
      .where('job_id', 'in', jobIds)
      .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
      .limit(limit)
      .execute();
    let deletedItems = 0;
    for (const [jobId, seqs] of groupSeqs(items.map((i) => ({ jobId: i.job_id, seq: Number(i.seq) })))) {
      const result = await this.#db
        .deleteFrom('job_items')
        .where('job_id', '=', jobId)
        .where('seq', 'in', seqs)
        .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
        .executeTakeFirst();
      deletedItems += Number(result.numDeletedRows);
    }
    const deleted = await this.#db
      .deleteFrom('jobs')
      .where('id', 'in', jobIds)
      .where('finished_at', '<', finishedBefore)
      .where('status', 'in', ['completed', 'cancelled'])
      .where((eb) => eb.not(eb.exists(eb.selectFrom('job_items').select('job_items.seq').whereRef('job_items.job_id', '=', 'jobs.id'))))
      .executeTakeFirst();
    return { jobs: Number(deleted.numDeletedRows), items: deletedItems };
  }

  /**
   * Deletes up to `limit` documents that no item refers to and that were last stored before
   * `updatedBefore`, with their versions and screenshots, in one short transaction. The reference
   * check is repeated in the DELETE itself, so an item that took the document meanwhile keeps it.
   */
  async deleteOrphanDocuments(updatedBefore: number, limit: number): Promise<number> {
    const notReferenced = (eb: ExpressionBuilder<Database, 'documents'>) =>
      eb.not(eb.exists(eb.selectFrom('job_items').select('job_items.seq').whereRef('job_items.document_id', '=', 'documents.id')));
    const candidates = await this.#db
      .selectFrom('documents')
      .select(['id', 'url_key'])
      .where('updated_at', '<', updatedBefore)
      .where(notReferenced)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    if (candidates.length === 0) return 0;
    return this.transaction(async (trx) => {
      const ids = candidates.map((c) => c.id);
      const result = await trx
        .deleteFrom('documents')
        .where('id', 'in', ids)
        .where('updated_at', '<', updatedBefore)
        .where(notReferenced)
        .executeTakeFirst();
      const remaining = new Set(
        (await trx.selectFrom('documents').select('id').where('id', 'in', ids).execute()).map((r) => r.id),
      );
      const gone = candidates.filter((c) => !remaining.has(c.id));
      if (gone.length > 0) {
        await trx.deleteFrom('document_versions').where('document_id', 'in', gone.map((c) => c.id)).execute();
        const shots = trx as unknown as Kysely<ScreenshotDatabase>;
        await shots.deleteFrom('screenshots').where('url_key', 'in', gone.map((c) => c.url_key)).execute();
      }
      return Number(result.numDeletedRows);
    });
  }

  /**
   * Single flight across jobs: items of other jobs that wait for the URL just extracted take the
   * new document instead of fetching it again. Bounded per call; any left over find the document
   * fresh when they are claimed. Another job's row is taken only if it is free right now (SKIP
   * LOCKED): waiting for it here, while holding this job's row, could deadlock with a transaction
   * that holds it and waits for ours. A busy job simply fetches the URL itself.
   */
  async #completeWaitingDuplicates(
    trx: Kysely<Database>,
    key: string,
    documentId: string,
    now: number,
  ): Promise<void> {
    const waiting = await trx
      .selectFrom('job_items')
      .select(['job_id', 'seq'])
      .where('url_key', '=', key)
      .where('state', '=', 'queued')
      .limit(CHUNK)
      .execute();
    if (waiting.length === 0) return;
    for (const [jobId, seqs] of groupSeqs(waiting.map((w) => ({ jobId: w.job_id, seq: Number(w.seq) })))) {
      const job = await trx
        .selectFrom('jobs')
        .select(['reused', 'status', 'options'])
        .where('id', '=', jobId)
        .$if(this.#isLocking, (q) => q.forUpdate().skipLocked())
        .executeTakeFirst();
      if (!job || job.status === 'cancelled') continue;
      // A crawl's page must run to have its links followed: it never takes another job's document.
      if ((JSON.parse(job.options) as JobOptions).crawl !== undefined) continue;
      const result = await trx
        .updateTable('job_items')
        .set({ state: 'succeeded', document_id: documentId, updated_at: now, finished_at: now })
        .where('job_id', '=', jobId)
        .where('seq', 'in', seqs)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      const n = Number(result.numUpdatedRows);
      if (n === 0) continue;
      await trx.updateTable('jobs').set({ reused: job.reused + n }).where('id', '=', jobId).execute();
      // The items this update finished: the document and the time say which.
      const finished = await trx
        .selectFrom('job_items')
        .select(['seq', 'url', 'document_id'])
        .where('job_id', '=', jobId)
        .where('seq', 'in', seqs)
        .where('document_id', '=', documentId)
        .where('finished_at', '=', now)
        .execute();
      await this.#writeReusedEvents(trx, jobId, finished);
      await this.#applyCounts(trx, jobId, { queued: -n, succeeded: n }, now);
    }
  }

  /**
   * Stores a document by URL. Change detection (issue 9): when the URL already has a document whose
   * main text hashes differently, the old content becomes a version (the last `documentVersions`
   * kept), `version` goes up, and the change's summary is returned for `document.changed`. The same
   * hash stores no version. `isTextComparable` is false when the job did not ask for text (the text
   * is then empty and says nothing about a change).
   */
  async #upsertDocument(
    trx: Kysely<Database>,
    url: string,
    key: string,
    doc: NewDocument,
    now: number,
    isTextComparable = true,
  ): Promise<{ documentId: string; change: DocumentChange | null }> {
    const contentHash = createHash('sha256').update(doc.text).digest('hex');
    // Locked on PostgreSQL/MySQL: two workers storing one URL at once see each other's version.
    const head = await trx
      .selectFrom('documents')
      .select(['id', 'content_hash', 'version'])
      .where('url_key', '=', key)
      .$if(this.#isLocking, (q) => q.forUpdate())
      .executeTakeFirst();
    // The old content is read only when the hash differs: an unchanged page costs one small read.
    const previous =
      head !== undefined && head.content_hash !== contentHash && isTextComparable && doc.text !== ''
        ? await trx
            .selectFrom('documents')
            .select(['id', 'content_hash', 'text', 'markdown', 'title', 'word_count', 'fetched_at', 'version'])
            .where('id', '=', head.id)
            .executeTakeFirst()
        : undefined;
    const isChanged = previous !== undefined && previous.text !== '';
    const version = Number(head?.version ?? 1) + (isChanged ? 1 : 0);
    const values: Omit<DocumentsTable, 'id' | 'url_key' | 'url' | 'created_at'> = {
      final_url: doc.finalUrl,
      canonical_url: doc.canonicalUrl,
      mime_type: doc.mimeType,
      http_status: doc.httpStatus,
      title: doc.title,
      byline: doc.byline,
      description: doc.description,
      site_name: doc.siteName,
      lang: doc.lang,
      published_time: doc.publishedTime,
      text: doc.text,
      markdown: doc.markdown,
      html: doc.html,
      links: JSON.stringify(doc.links),
      word_count: doc.wordCount,
      extractor: doc.extractor,
      quality: JSON.stringify(doc.quality),
      metadata: JSON.stringify(doc.metadata),
      content_hash: contentHash,
      fetched_at: doc.fetchedAt,
      updated_at: now,
      etag: doc.etag ?? null,
      last_modified: doc.lastModified ?? null,
      version,
    };
    // One statement, so two workers storing the same URL at once cannot both insert: the loser's
    // insert turns into an update of the winner's row (which it waits for), keeping its id.
    await trx
      .insertInto('documents')
      .values({ ...values, id: randomUUID(), url_key: key, url, created_at: now })
      .$if(this.#dialect === 'mysql', (q) => q.onDuplicateKeyUpdate(values))
      .$if(this.#dialect !== 'mysql', (q) => q.onConflict((oc) => oc.column('url_key').doUpdateSet(values)))
      .execute();
    const row = await trx.selectFrom('documents').select('id').where('url_key', '=', key).executeTakeFirstOrThrow();
    if (!isChanged || previous === undefined) return { documentId: row.id, change: null };
    const summary = summarizeChange(previous.text, doc.text);
    if (this.#documentVersions > 0) {
      await trx
        .insertInto('document_versions')
        .values({
          document_id: row.id,
          version: version - 1,
          content_hash: previous.content_hash,
          title: previous.title,
          word_count: Number(previous.word_count),
          text: previous.text,
          markdown: previous.markdown,
          changes: JSON.stringify(summary),
          fetched_at: Number(previous.fetched_at),
          replaced_at: now,
        })
        .$if(this.#dialect === 'mysql', (q) => q.ignore())
        .$if(this.#dialect !== 'mysql', (q) => q.onConflict((oc) => oc.columns(['document_id', 'version']).doNothing()))
        .execute();
    }
    // Keep the last N earlier versions: those above (current - 1) - N.
    await trx
      .deleteFrom('document_versions')
      .where('document_id', '=', row.id)
      .where('version', '<=', version - 1 - this.#documentVersions)
      .execute();
    return { documentId: row.id, change: { version, previousContentHash: previous.content_hash, contentHash, summary } };
  }

  /**
   * A 304 Not Modified: the URL's stored document stands; its `fetched_at` (and validators, when
   * the server sent new ones) are refreshed. Null when the document is gone (retention purged it
   * meanwhile): the caller stores `doc` as a new one.
   */
  async #refreshDocument(trx: Kysely<Database>, key: string, doc: NewDocument, now: number): Promise<string | null> {
    const existing = await trx.selectFrom('documents').select('id').where('url_key', '=', key).executeTakeFirst();
    if (!existing) return null;
    await trx
      .updateTable('documents')
      .set({
        fetched_at: doc.fetchedAt,
        updated_at: now,
        ...(doc.etag ? { etag: doc.etag } : {}),
        ...(doc.lastModified ? { last_modified: doc.lastModified } : {}),
      })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }

  /**
   * Appends a crawl page's links to its job at `depth + 1`, inside the transaction that ends the
   * page's item (the job's row is locked): within `maxDepth`, up to `maxPages` items in all, and
   * never a URL the job already has (its `(job_id, url_key)` uniqueness). Returns the new items.
   */
  async #appendDiscovered(
    trx: Kysely<Database>,
    item: ClaimedItem,
    depth: number,
    urls: readonly string[],
    now: number,
  ): Promise<ItemRef[]> {
    const crawl = item.options.crawl;
    if (!crawl || depth + 1 > crawl.maxDepth) return [];
    const job = await trx
      .selectFrom('jobs')
      .select(['status', 'total', 'next_seq', 'tenant'])
      .where('id', '=', item.jobId)
      .executeTakeFirst();
    if (!job || job.status === 'cancelled') return [];
    const room = crawl.maxPages - Number(job.total);
    if (room <= 0) return [];
    const byKey = new Map<string, string>();
    for (const url of urls) {
      const key = this.documentKey(url, job.tenant);
      if (!byKey.has(key)) byKey.set(key, url);
    }
    const keys = [...byKey.keys()];
    for (let i = 0; i < keys.length; i += CHUNK) {
      const existing = await trx
        .selectFrom('job_items')
        .select('url_key')
        .where('job_id', '=', item.jobId)
        .where('url_key', 'in', keys.slice(i, i + CHUNK))
        .execute();
      for (const row of existing) byKey.delete(row.url_key);
    }
    let seq = Number(job.next_seq);
    const rows: JobItemsTable[] = [];
    for (const [key, url] of byKey) {
      if (rows.length >= room) break;
      rows.push({
        job_id: item.jobId,
        seq: seq++,
        url,
        url_key: key,
        state: 'queued',
        attempts: 0,
        run_after: now,
        lease_token: null,
        lease_expires_at: null,
        error_code: null,
        error_message: null,
        http_status: null,
        document_id: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
        depth: depth + 1,
      });
    }
    if (rows.length === 0) return [];
    for (let i = 0; i < rows.length; i += CHUNK) {
      await trx.insertInto('job_items').values(rows.slice(i, i + CHUNK)).execute();
    }
    await trx
      .updateTable('jobs')
      .set({ next_seq: seq, total: Number(job.total) + rows.length })
      .where('id', '=', item.jobId)
      .execute();
    return rows.map((r) => ({ jobId: item.jobId, seq: r.seq }));
  }

  /**
   * Applies a change of item counts to a job and re-derives its status; the move to `completed`
   * stamps `finished_at` and writes `job.completed` in the same transaction.
   */
  async #applyCounts(trx: Kysely<Database>, jobId: string, delta: CountDelta, now: number): Promise<void> {
    // Read-modify-write under the job's row lock (callers already hold it; FOR UPDATE makes sure).
    const job = await trx
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .$if(this.#isLocking, (q) => q.forUpdate())
      .executeTakeFirst();
    if (!job) throw new JobNotFoundError(jobId);
    const counts: ItemCounts = {
      queued: job.queued + (delta.queued ?? 0),
      running: job.running + (delta.running ?? 0),
      succeeded: job.succeeded + (delta.succeeded ?? 0),
      failed: job.failed + (delta.failed ?? 0),
      cancelled: job.cancelled + (delta.cancelled ?? 0),
    };
    const wasCancelled = job.status === 'cancelled';
    const status = deriveJobStatus(counts, wasCancelled);
    const isFinished = counts.queued === 0 && counts.running === 0;
    const finishedAt = isFinished ? (job.finished_at ?? now) : null;
    await trx
      .updateTable('jobs')
      .set({ ...counts, status, updated_at: now, finished_at: finishedAt })
      .where('id', '=', jobId)
      .execute();
    // A job with items, once (`total` counts them all; the items a change finishes included).
    if (status === 'completed' && job.status !== 'completed' && job.total > 0) {
      await this.#writeEvent(trx, jobId, 'job.completed', { jobId, counts });
    }
  }

  /**
   * Locks the rows of these jobs, in id order (the lock order of this class), and returns what the
   * claim paths need of them. Without row locks (SQLite) it only reads them.
   */
  async #lockJobs(trx: Kysely<Database>, jobIds: readonly string[]): Promise<LockedJob[]> {
    const ids = [...new Set(jobIds)].sort();
    const rows: LockedJob[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      rows.push(
        ...(await trx
          .selectFrom('jobs')
          .select(['id', 'status', 'options', 'queued'])
          .where('id', 'in', ids.slice(i, i + CHUNK))
          .orderBy('id')
          .$if(this.#isLocking, (q) => q.forUpdate())
          .execute()),
      );
    }
    return rows;
  }

  /**
   * Leases a queued candidate unless another worker is fetching its URL right now (single flight),
   * in which case the candidate waits a little and null is returned. The caller adjusts counters.
   */
  async #leaseCandidate(
    trx: Kysely<Database>,
    jobId: string,
    candidate: { seq: number; url: string; url_key: string; attempts: number },
    options: JobOptions,
    leaseMs: number,
    now: number,
  ): Promise<ClaimedItem | null> {
    const where = { job_id: jobId, seq: candidate.seq };
    const inFlight = await trx
      .selectFrom('job_items')
      .select('seq')
      .where('url_key', '=', candidate.url_key)
      .where('state', '=', 'running')
      .limit(1)
      .executeTakeFirst();
    if (inFlight) {
      await updateItem(trx, where, { run_after: now + SINGLE_FLIGHT_WAIT_MS });
      return null;
    }
    const lease = this.#lease(jobId, candidate, options, leaseMs);
    await updateItem(trx, where, lease.values(now));
    return lease.claimed;
  }

  /** A fresh lease of an item: the row values to write and the `ClaimedItem` to hand out. */
  #lease(
    jobId: string,
    row: { seq: number; url: string; url_key: string; attempts: number },
    options: JobOptions,
    leaseMs: number,
  ): { claimed: ClaimedItem; values: (now: number) => Partial<JobItemsTable> } {
    const token = randomUUID();
    const attempt = Number(row.attempts) + 1;
    return {
      claimed: { jobId, seq: Number(row.seq), url: row.url, urlKey: row.url_key, attempt, token, options },
      values: (now) => ({ state: 'running', attempts: attempt, lease_token: token, lease_expires_at: now + leaseMs, updated_at: now }),
    };
  }

  /** Fails an item whose worker stopped responding on its last attempt; the caller adjusts counters. */
  async #failLeaseExpired(
    trx: Kysely<Database>,
    jobId: string,
    row: { seq: number; url: string },
    maxAttempts: number,
    now: number,
  ): Promise<void> {
    const message = `The worker holding this item stopped responding on each of ${maxAttempts} attempts`;
    await updateItem(
      trx,
      { job_id: jobId, seq: row.seq },
      { lease_token: null, lease_expires_at: null, updated_at: now, state: 'failed', error_code: 'lease_expired', error_message: message, finished_at: now },
    );
    await this.#writeEvent(trx, jobId, 'item.failed', { jobId, seq: Number(row.seq), url: row.url, code: 'lease_expired', message });
  }

  /**
   * `document.extracted` (with `reused: true`) for items a stored document satisfied without a fetch
   * of their own: reused at submission, or finished by another job's fetch of the same URL (single
   * flight). Event consumers see one `document.extracted` per succeeded item whichever way it went.
   * Written before the counts change, so `job.completed` stays a job's last event.
   */
  async #writeReusedEvents(
    trx: Kysely<Database>,
    jobId: string,
    items: ReadonlyArray<{ seq: number; url: string; document_id: string | null }>,
  ): Promise<void> {
    const ids = [...new Set(items.map((item) => item.document_id).filter((id): id is string => id !== null))];
    const documents = new Map<string, { title: string | null; wordCount: number }>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await trx.selectFrom('documents').select(['id', 'title', 'word_count']).where('id', 'in', ids.slice(i, i + CHUNK)).execute();
      for (const row of rows) documents.set(row.id, { title: row.title, wordCount: Number(row.word_count) });
    }
    const now = this.#clock.now();
    const events = items.map((item) => {
      const document = item.document_id === null ? undefined : documents.get(item.document_id);
      const payload = {
        jobId,
        seq: Number(item.seq),
        id: item.document_id,
        documentId: item.document_id,
        url: item.url,
        title: document?.title ?? null,
        wordCount: document?.wordCount ?? 0,
        reused: true,
      };
      return { job_id: jobId, type: 'document.extracted', payload: JSON.stringify(payload), created_at: now, published_at: null };
    });
    for (let i = 0; i < events.length; i += CHUNK) await trx.insertInto('events').values(events.slice(i, i + CHUNK)).execute();
  }

  async #writeEvent(trx: Kysely<Database>, jobId: string | null, type: string, payload: unknown): Promise<void> {
    await trx
      .insertInto('events')
      .values({ job_id: jobId, type, payload: JSON.stringify(payload), created_at: this.#clock.now(), published_at: null })
      .execute();
  }

  async #readJob(trx: Kysely<Database>, jobId: string): Promise<Job | null> {
    const row = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    return row ? toJob(row) : null;
  }
}

async function updateItem(
  trx: Kysely<Database>,
  where: { job_id: string; seq: number },
  values: Partial<JobItemsTable>,
): Promise<void> {
  await trx
    .updateTable('job_items')
    .set(values)
    .where('job_id', '=', where.job_id)
    .where('seq', '=', where.seq)
    .execute();
}

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
  };
}

function toItem(row: Selectable<JobItemsTable>): Item {
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
            ...(row.http_status !== null && row.state === 'failed' ? { httpStatus: Number(row.http_status) } : {}),
          },
    documentId: row.document_id,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finishedAt: row.finished_at === null ? null : Number(row.finished_at),
  };
}

function toDocument(row: Selectable<DocumentsTable>): StoredDocument {
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

function toApiKeyInfo(row: Selectable<ApiKeysTable>): ApiKeyInfo {
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

function toSchedule(row: Selectable<SchedulesTable>): Schedule {
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

/** The relay's tables (migration 0002-events); kept here until schema.ts takes them in. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface WebhookDeliveriesTable {
  id: string;
  event_id: number;
  job_id: string;
  event_type: string;
  url: string;
  /** The exact JSON body sent (and signed) on every attempt. */
  body: string;
  status: string;
  attempts: number;
  last_error: string | null;
  last_http_status: number | null;
  next_attempt_at: number;
  give_up_at: number;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

// A type alias, not an interface: `withTables` needs the implicit index signature.
type RelayTables = {
  leases: LeasesTable;
  webhook_deliveries: WebhookDeliveriesTable;
};

/** A webhook delivery as the API lists it. */
export type WebhookDeliveryRecord = WebhookDelivery;

function toWebhookDelivery(row: Selectable<WebhookDeliveriesTable>): WebhookDeliveryRecord {
  const status = row.status as WebhookDeliveryRecord['status'];
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

function toStoredEvent(row: Selectable<Database['events']>): StoredEvent {
  return {
    id: Number(row.id),
    jobId: row.job_id,
    type: row.type,
    payload: JSON.parse(row.payload) as unknown,
    createdAt: Number(row.created_at),
  };
}
