import { createHash, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type {
  ClaimedItem,
  CreateJobInput,
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
} from '../jobs/index.js';
import { deriveJobStatus, JobNotFoundError, JobCancelledError } from '../jobs/index.js';
import type { Clock } from '../lib/index.js';
import { systemClock } from '../lib/index.js';
import type { DialectName } from './database.js';
import type { Database, DocumentsTable, JobItemsTable, JobsTable } from './schema.js';
import { writeTransaction } from './transaction.js';

/** Rows per INSERT and values per IN list: inside every engine's bound-parameter limit. */
const CHUNK = 500;

/** How long an item waits while another worker fetches the same URL (single flight). */
const SINGLE_FLIGHT_WAIT_MS = 1000;

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
 */
export class KyselyJobRepository implements JobRepository {
  readonly #db: Kysely<Database>;
  readonly #dialect: DialectName;
  readonly #clock: Clock;

  constructor(options: { db: Kysely<Database>; dialect: DialectName; clock?: Clock }) {
    this.#db = options.db;
    this.#dialect = options.dialect;
    this.#clock = options.clock ?? systemClock;
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
      idempotency_key: input.idempotencyKey ?? null,
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

  async addItems(
    jobId: string,
    items: readonly NewItem[],
  ): Promise<{ added: number; duplicates: number; reused: number; queued: ItemRef[] }> {
    return this.transaction(async (trx) => {
      const job = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
      if (!job) throw new JobNotFoundError(jobId);
      if (job.status === 'cancelled') throw new JobCancelledError(jobId);
      const now = this.#clock.now();
      // Dedupe within the batch, then against the URLs the job already has.
      const byKey = new Map<string, NewItem>();
      for (const item of items) {
        const key = urlKey(item.url);
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
      await this.#applyCounts(trx, jobId, { queued: queued.length, succeeded: reused }, now);
      return { added: rows.length, duplicates: items.length - rows.length, reused, queued };
    });
  }

  async getJob(jobId: string): Promise<Job | null> {
    const row = await this.#db.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async listJobs(options: { limit: number; cursor?: string | undefined }): Promise<Page<Job>> {
    const after = decodeCursor(options.cursor, isJobCursor);
    let query = this.#db.selectFrom('jobs').selectAll();
    if (after) {
      const [createdAt, id] = after;
      query = query.where((eb) =>
        eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]),
      );
    }
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(toJob),
      nextCursor: rows.length > options.limit && last ? encodeCursor([last.created_at, last.id]) : null,
    };
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
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map(toItem),
      nextCursor: rows.length > options.limit && last ? encodeCursor(last.seq) : null,
    };
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
    const page = rows.slice(0, options.limit);
    const last = page.at(-1);
    return {
      items: page.map((row) => ({
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
      })),
      nextCursor: rows.length > options.limit && last ? encodeCursor(last.item_seq) : null,
    };
  }

  async cancelJob(jobId: string): Promise<{ job: Job | null; cancelledItems: number }> {
    return this.transaction(async (trx) => {
      const job = await trx.selectFrom('jobs').select(['id', 'status']).where('id', '=', jobId).executeTakeFirst();
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
    return this.transaction(async (trx) => {
      const row = await trx
        .selectFrom('job_items')
        .select(['state', 'lease_token', 'url_key', 'attempts'])
        .where('job_id', '=', item.jobId)
        .where('seq', '=', item.seq)
        .executeTakeFirst();
      // The lease token is the attempt's proof: a worker whose lease expired and was taken over
      // (or whose item was reclaimed) must not overwrite what the new holder does.
      if (!row || row.state !== 'running' || row.lease_token !== item.token) return false;
      const now = this.#clock.now();
      const where = { job_id: item.jobId, seq: item.seq };
      const releaseLease = { lease_token: null, lease_expires_at: null, updated_at: now };
      switch (outcome.kind) {
        case 'succeeded': {
          const documentId = await this.#upsertDocument(trx, item.url, row.url_key, outcome.document, now);
          await updateItem(trx, where, {
            ...releaseLease,
            state: 'succeeded',
            document_id: documentId,
            error_code: null,
            error_message: null,
            http_status: outcome.document.httpStatus,
            finished_at: now,
          });
          await this.#applyCounts(trx, item.jobId, { running: -1, succeeded: 1 }, now);
          await this.#writeEvent(trx, item.jobId, 'document.extracted', {
            jobId: item.jobId,
            seq: item.seq,
            documentId,
            url: item.url,
            title: outcome.document.title,
            wordCount: outcome.document.wordCount,
          });
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
          await this.#applyCounts(trx, item.jobId, { running: -1, failed: 1 }, now);
          await this.#writeEvent(trx, item.jobId, 'item.failed', {
            jobId: item.jobId,
            seq: item.seq,
            url: item.url,
            code: outcome.error.code,
            message: outcome.error.message,
          });
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
  }

  async findFreshDocuments(urls: readonly string[], fetchedAfter: number): Promise<Map<string, string>> {
    const byKey = new Map(urls.map((url) => [urlKey(url), url]));
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

  async getDocumentByUrl(url: string): Promise<StoredDocument | null> {
    const row = await this.#db
      .selectFrom('documents')
      .selectAll()
      .where('url_key', '=', urlKey(url))
      .executeTakeFirst();
    return row ? toDocument(row) : null;
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
   */
  async claimBatch(max: number, leaseMs: number): Promise<ClaimedItem[]> {
    if (max <= 0) return [];
    return this.transaction(async (trx) => {
      const now = this.#clock.now();
      const jobs = await trx
        .selectFrom('jobs')
        .select(['id', 'options'])
        .where('queued', '>', 0)
        .where('status', '!=', 'cancelled')
        .orderBy('last_claimed_at')
        .orderBy('created_at')
        .limit(max)
        .execute();
      if (jobs.length === 0) return [];
      const claimed: ClaimedItem[] = [];
      const share = Math.ceil(max / jobs.length);
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
          .execute();
        let taken = 0;
        for (const candidate of candidates) {
          const inFlight = await trx
            .selectFrom('job_items')
            .select('seq')
            .where('url_key', '=', candidate.url_key)
            .where('state', '=', 'running')
            .limit(1)
            .executeTakeFirst();
          if (inFlight) {
            await updateItem(trx, { job_id: job.id, seq: candidate.seq }, { run_after: now + SINGLE_FLIGHT_WAIT_MS });
            continue;
          }
          const token = randomUUID();
          const attempt = Number(candidate.attempts) + 1;
          await updateItem(
            trx,
            { job_id: job.id, seq: candidate.seq },
            { state: 'running', attempts: attempt, lease_token: token, lease_expires_at: now + leaseMs, updated_at: now },
          );
          claimed.push({ jobId: job.id, seq: Number(candidate.seq), url: candidate.url, attempt, token, options });
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

  /** Extends the lease of a running item; false when the token no longer holds it. */
  async renewLease(item: ClaimedItem, leaseMs: number): Promise<boolean> {
    const result = await this.#db
      .updateTable('job_items')
      .set({ lease_expires_at: this.#clock.now() + leaseMs })
      .where('job_id', '=', item.jobId)
      .where('seq', '=', item.seq)
      .where('state', '=', 'running')
      .where('lease_token', '=', item.token)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Puts items whose lease expired (their worker died or hung) back in the queue. An item that has
   * used all its attempts fails with `lease_expired` instead, so a page that crashes its worker
   * every time cannot loop forever.
   */
  async reclaimExpired(limit = CHUNK): Promise<number> {
    return this.transaction(async (trx) => {
      const now = this.#clock.now();
      const expired = await trx
        .selectFrom('job_items')
        .innerJoin('jobs', 'jobs.id', 'job_items.job_id')
        .select(['job_items.job_id', 'job_items.seq', 'job_items.url', 'job_items.attempts', 'jobs.options'])
        .where('job_items.state', '=', 'running')
        .where('job_items.lease_expires_at', '<', now)
        .limit(limit)
        .execute();
      for (const row of expired) {
        const { maxAttempts } = JSON.parse(row.options) as JobOptions;
        const where = { job_id: row.job_id, seq: row.seq };
        const release = { lease_token: null, lease_expires_at: null, updated_at: now };
        if (Number(row.attempts) >= maxAttempts) {
          const message = `The worker holding this item stopped responding on each of ${maxAttempts} attempts`;
          await updateItem(trx, where, { ...release, state: 'failed', error_code: 'lease_expired', error_message: message, finished_at: now });
          await this.#applyCounts(trx, row.job_id, { running: -1, failed: 1 }, now);
          await this.#writeEvent(trx, row.job_id, 'item.failed', { jobId: row.job_id, seq: row.seq, url: row.url, code: 'lease_expired', message });
        } else {
          await updateItem(trx, where, { ...release, state: 'queued', run_after: now });
          await this.#applyCounts(trx, row.job_id, { running: -1, queued: 1 }, now);
        }
      }
      return expired.length;
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

  /**
   * Single flight across jobs: items of other jobs that wait for the URL just extracted take the
   * new document instead of fetching it again. Bounded per call; any left over find the document
   * fresh when they are claimed.
   */
  async #completeWaitingDuplicates(
    trx: Kysely<Database>,
    key: string,
    documentId: string,
    now: number,
  ): Promise<void> {
    const waiting = await trx
      .selectFrom('job_items')
      .select(['job_id', 'seq', 'url'])
      .where('url_key', '=', key)
      .where('state', '=', 'queued')
      .limit(CHUNK)
      .execute();
    if (waiting.length === 0) return;
    const perJob = new Map<string, number>();
    for (const w of waiting) {
      await updateItem(
        trx,
        { job_id: w.job_id, seq: w.seq },
        { state: 'succeeded', document_id: documentId, updated_at: now, finished_at: now },
      );
      perJob.set(w.job_id, (perJob.get(w.job_id) ?? 0) + 1);
    }
    for (const [jobId, n] of perJob) {
      const job = await trx.selectFrom('jobs').select('reused').where('id', '=', jobId).executeTakeFirstOrThrow();
      await trx.updateTable('jobs').set({ reused: job.reused + n }).where('id', '=', jobId).execute();
      await this.#applyCounts(trx, jobId, { queued: -n, succeeded: n }, now);
    }
  }

  async #upsertDocument(
    trx: Kysely<Database>,
    url: string,
    key: string,
    doc: NewDocument,
    now: number,
  ): Promise<string> {
    const contentHash = createHash('sha256').update(doc.text).digest('hex');
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
    };
    const existing = await trx.selectFrom('documents').select('id').where('url_key', '=', key).executeTakeFirst();
    if (existing) {
      await trx.updateTable('documents').set(values).where('id', '=', existing.id).execute();
      return existing.id;
    }
    const id = randomUUID();
    await trx
      .insertInto('documents')
      .values({ ...values, id, url_key: key, url, created_at: now })
      .execute();
    return id;
  }

  /**
   * Applies a change of item counts to a job and re-derives its status; the move to `completed`
   * stamps `finished_at` and writes `job.completed` in the same transaction.
   */
  async #applyCounts(trx: Kysely<Database>, jobId: string, delta: CountDelta, now: number): Promise<void> {
    const job = await trx.selectFrom('jobs').selectAll().where('id', '=', jobId).executeTakeFirst();
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
    if (status === 'completed' && job.status !== 'completed' && job.total + (delta.queued ?? 0) > 0) {
      await this.#writeEvent(trx, jobId, 'job.completed', { jobId, counts });
    }
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
