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

/** A delivery of an item held under a live lease is looked at again this long after the lease ends. */
const LEASE_RECHECK_MARGIN_MS = 250;

/**
 * What the database made of one delivery from a broker (`claimDeliveries`): the item is now leased
 * to the caller, or should be delivered again at `runAfter`, or needs no more deliveries.
 */
export type DeliveryDecision =
  | { kind: 'claimed'; item: ClaimedItem }
  | { kind: 'later'; runAfter: number }
  | { kind: 'done' };

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

  constructor(options: { db: Kysely<Database>; dialect: DialectName; clock?: Clock }) {
    this.#db = options.db;
    this.#dialect = options.dialect;
    this.#clock = options.clock ?? systemClock;
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
    return this.transaction(async (trx) => {
      await this.#lockJobs(trx, [item.jobId]);
      const row = await trx
        .selectFrom('job_items')
        .select(['state', 'lease_token', 'url_key', 'attempts'])
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
          // The item's event goes first: `job.completed`, written by #applyCounts, is a job's last.
          await this.#writeEvent(trx, item.jobId, 'document.extracted', {
            jobId: item.jobId,
            seq: item.seq,
            documentId,
            url: item.url,
            title: outcome.document.title,
            wordCount: outcome.document.wordCount,
          });
          await this.#applyCounts(trx, item.jobId, { running: -1, succeeded: 1 }, now);
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
        .select(['reused', 'status'])
        .where('id', '=', jobId)
        .$if(this.#isLocking, (q) => q.forUpdate().skipLocked())
        .executeTakeFirst();
      if (!job || job.status === 'cancelled') continue;
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
    // One statement, so two workers storing the same URL at once cannot both insert: the loser's
    // insert turns into an update of the winner's row (which it waits for), keeping its id.
    await trx
      .insertInto('documents')
      .values({ ...values, id: randomUUID(), url_key: key, url, created_at: now })
      .$if(this.#dialect === 'mysql', (q) => q.onDuplicateKeyUpdate(values))
      .$if(this.#dialect !== 'mysql', (q) => q.onConflict((oc) => oc.column('url_key').doUpdateSet(values)))
      .execute();
    const row = await trx.selectFrom('documents').select('id').where('url_key', '=', key).executeTakeFirstOrThrow();
    return row.id;
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
    if (status === 'completed' && job.status !== 'completed' && job.total + (delta.queued ?? 0) > 0) {
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
    row: { seq: number; url: string; attempts: number },
    options: JobOptions,
    leaseMs: number,
  ): { claimed: ClaimedItem; values: (now: number) => Partial<JobItemsTable> } {
    const token = randomUUID();
    const attempt = Number(row.attempts) + 1;
    return {
      claimed: { jobId, seq: Number(row.seq), url: row.url, attempt, token, options },
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
