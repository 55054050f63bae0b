import {
  DEFAULT_TENANT,
  JobCancelledError,
  JobNotFinishedError,
  type ItemRef,
  eventJobOptions,
  type CreateJobInput,
  type IntakeEnd,
  type ItemCounts,
  type Job,
  type JobStore,
  type ListJobsOptions,
  normalizeUrl,
  type Page,
} from '../../jobs/index.js';
import { sql } from 'kysely';
import { decodeCursor, isNewestFirstCursor, olderThan, toPage } from '../pagination.js';
import { toJob } from '../row-mappers.js';
import type { JobsTable } from '../schema.js';
import { KyselyEventStore } from './event-store.js';
import { applyCounts } from './job-counters.js';
import { CHUNK, groupSeqs, inTransaction, type StoreContext } from './store-context.js';

/** Jobs: their rows, counters and retention. */
export class KyselyJobStore implements JobStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  async createJob(input: CreateJobInput): Promise<{ job: Job; isNew: boolean }> {
    if (input.idempotencyKey !== undefined) {
      const existing = await this.#byIdempotencyKey(input.idempotencyKey);
      if (existing) return { job: existing, isNew: false };
    }
    const row = newJobRow(input, this.#context.clock.now());
    try {
      await inTransaction(this.#context, async (trx) => {
        await trx.db.insertInto('jobs').values(row).execute();
        await new KyselyEventStore(trx).appendEvents(input.id, [
          { type: 'job.created', payload: { jobId: input.id, options: eventJobOptions(input.options) } },
        ]);
      });
    } catch (error) {
      // Two concurrent requests with one Idempotency-Key: the loser returns the winner's job.
      if (input.idempotencyKey !== undefined) {
        const existing = await this.#byIdempotencyKey(input.idempotencyKey);
        if (existing) return { job: existing, isNew: false };
      }
      throw error;
    }
    return { job: toJob(row), isNew: true };
  }

  /**
   * Ends a submission's intake: `interrupted` marks a job whose body did not end; `ended` binds its
   * Idempotency-Key, unless a concurrent submission with the same key ended first: then that job
   * is returned, and this one keeps no key.
   */
  async endIntake(jobId: string, end: IntakeEnd): Promise<Job | null> {
    const jobs = () => this.#context.db.updateTable('jobs').where('id', '=', jobId);
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
      const holder = key === undefined ? undefined : await this.#byIdempotencyKey(key);
      if (!holder) throw error;
      await jobs().set({ intake: 'ended' }).execute();
      return holder;
    }
    return key === undefined ? null : this.getJob(jobId);
  }

  async getJob(jobId: string): Promise<Job | null> {
    const row = await this.#context.db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .executeTakeFirst();
    return row ? toJob(row) : null;
  }

  async countWaitingUrls(tenant: string): Promise<number> {
    const row = await this.#context.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.sum<number | string | null>(eb('queued', '+', eb.ref('running'))).as('waiting'))
      .where('tenant', '=', tenant)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    return Number(row?.waiting ?? 0);
  }

  async listJobs(options: ListJobsOptions): Promise<Page<Job>> {
    const after = decodeCursor(options.cursor, isNewestFirstCursor);
    let query = this.#context.db.selectFrom('jobs').selectAll();
    if (options.tenant !== undefined) query = query.where('tenant', '=', options.tenant);
    if (options.status !== undefined) query = query.where('status', '=', options.status);
    const text = options.query?.trim().slice(0, 200);
    if (text) {
      // `!` escapes LIKE's wildcards: a backslash would mean different things to each database.
      const pattern = `%${text.toLowerCase().replace(/[!%_]/g, '!$&')}%`;
      const url = normalizeUrl(text);
      // A whole URL is looked up through the items' (url_key) index, never by a scan of items.
      const urlKey = url.ok ? this.#context.documentKey(url.url, options.tenant) : undefined;
      query = query.where((eb) =>
        eb.or([
          eb(sql`lower(name)`, 'like', sql`${pattern} escape '!'`),
          eb(sql`lower(first_url)`, 'like', sql`${pattern} escape '!'`),
          ...(urlKey === undefined
            ? []
            : [eb('id', 'in', eb.selectFrom('job_items').select('job_id').where('url_key', '=', urlKey))]),
        ]),
      );
    }
    if (after) query = query.where(olderThan(after));
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit + 1)
      .execute();
    return toPage(rows, options.limit, toJob, (row) => [Number(row.created_at), row.id]);
  }

  async cancelJob(jobId: string): Promise<{ job: Job | null; cancelledItems: number }> {
    return inTransaction(this.#context, async (trx) => {
      const job = await lockJobRow(trx, jobId);
      if (!job) return { job: null, cancelledItems: 0 };
      const now = trx.clock.now();
      const jobs = new KyselyJobStore(trx);
      if (job.status === 'cancelled' || job.status === 'completed') {
        return { job: await jobs.getJob(jobId), cancelledItems: 0 };
      }
      const result = await trx.db
        .updateTable('job_items')
        .set({
          state: 'cancelled',
          updated_at: now,
          finished_at: now,
          lease_token: null,
          lease_expires_at: null,
        })
        .where('job_id', '=', jobId)
        .where('state', '=', 'queued')
        .executeTakeFirst();
      const cancelledItems = Number(result.numUpdatedRows);
      await trx.db.updateTable('jobs').set({ status: 'cancelled' }).where('id', '=', jobId).execute();
      await applyCounts(trx, jobId, { queued: -cancelledItems, cancelled: cancelledItems }, now);
      await new KyselyEventStore(trx).appendEvents(jobId, [
        { type: 'job.cancelled', payload: { jobId, cancelledItems } },
      ]);
      return { job: await jobs.getJob(jobId), cancelledItems };
    });
  }

  async retryFailedItems(jobId: string): Promise<{ job: Job | null; retried: ItemRef[] }> {
    return inTransaction(this.#context, async (trx) => {
      const job = await lockJobRow(trx, jobId);
      if (!job) return { job: null, retried: [] };
      if (job.status === 'cancelled')
        throw new JobCancelledError(jobId, 'its failed items cannot be retried');
      const now = trx.clock.now();
      const failed = await trx.db
        .selectFrom('job_items')
        .select('seq')
        .where('job_id', '=', jobId)
        .where('state', '=', 'failed')
        .orderBy('seq')
        .execute();
      const jobs = new KyselyJobStore(trx);
      if (failed.length === 0) return { job: await jobs.getJob(jobId), retried: [] };
      await trx.db
        .updateTable('job_items')
        .set({
          state: 'queued',
          attempts: 0,
          run_after: now,
          error_code: null,
          error_message: null,
          http_status: null,
          updated_at: now,
          finished_at: null,
        })
        .where('job_id', '=', jobId)
        .where('state', '=', 'failed')
        .execute();
      await applyCounts(trx, jobId, { failed: -failed.length, queued: failed.length }, now);
      await new KyselyEventStore(trx).appendEvents(jobId, [
        { type: 'job.retried', payload: { jobId, retriedItems: failed.length } },
      ]);
      return {
        job: await jobs.getJob(jobId),
        retried: failed.map(({ seq }) => ({ jobId, seq: Number(seq) })),
      };
    });
  }

  async deleteJob(jobId: string): Promise<boolean> {
    return inTransaction(this.#context, async (trx) => {
      const job = await lockJobRow(trx, jobId);
      if (!job) return false;
      // A cancelled job whose last fetches are still being aborted is not finished yet either.
      if ((job.status !== 'completed' && job.status !== 'cancelled') || Number(job.running) > 0)
        throw new JobNotFinishedError(jobId);
      await trx.db.deleteFrom('job_items').where('job_id', '=', jobId).execute();
      await trx.db.deleteFrom('jobs').where('id', '=', jobId).execute();
      return true;
    });
  }

  async cancelledJobIds(jobIds: readonly string[]): Promise<Set<string>> {
    if (jobIds.length === 0) return new Set();
    const rows = await this.#context.db
      .selectFrom('jobs')
      .select('id')
      .where('id', 'in', [...new Set(jobIds)].slice(0, CHUNK))
      .where('status', '=', 'cancelled')
      .execute();
    return new Set(rows.map((r) => r.id));
  }

  /** Item counts by state over all jobs, from the per-job counters (no scan of items). */
  async countItemsByState(): Promise<ItemCounts> {
    const row = await this.#context.db
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

  /**
   * One small step of job retention: deletes up to `limit` items of jobs finished before
   * `finishedBefore` (only final items: a finished job that gets new URLs keeps them), then those
   * jobs that have no item left. Each statement is short; nothing holds a lock for long, and a
   * backlog drains over many calls. Returns what it deleted.
   */
  async deleteExpiredJobs(finishedBefore: number, limit: number): Promise<{ jobs: number; items: number }> {
    const { db } = this.#context;
    const jobs = await db
      .selectFrom('jobs')
      .select('id')
      .where('finished_at', '<', finishedBefore)
      .where('status', 'in', ['completed', 'cancelled'])
      .orderBy('finished_at')
      .limit(Math.min(limit, 100))
      .execute();
    if (jobs.length === 0) return { jobs: 0, items: 0 };
    const jobIds = jobs.map((j) => j.id);
    const items = await db
      .selectFrom('job_items')
      .select(['job_id', 'seq'])
      .where('job_id', 'in', jobIds)
      .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
      .limit(limit)
      .execute();
    let deletedItems = 0;
    for (const [jobId, seqs] of groupSeqs(items.map((i) => ({ jobId: i.job_id, seq: Number(i.seq) })))) {
      const result = await db
        .deleteFrom('job_items')
        .where('job_id', '=', jobId)
        .where('seq', 'in', seqs)
        .where('state', 'in', ['succeeded', 'failed', 'cancelled'])
        .executeTakeFirst();
      deletedItems += Number(result.numDeletedRows);
    }
    const deleted = await db
      .deleteFrom('jobs')
      .where('id', 'in', jobIds)
      .where('finished_at', '<', finishedBefore)
      .where('status', 'in', ['completed', 'cancelled'])
      .where((eb) =>
        eb.not(
          eb.exists(
            eb.selectFrom('job_items').select('job_items.seq').whereRef('job_items.job_id', '=', 'jobs.id'),
          ),
        ),
      )
      .executeTakeFirst();
    return { jobs: Number(deleted.numDeletedRows), items: deletedItems };
  }

  async #byIdempotencyKey(key: string): Promise<Job | undefined> {
    const row = await this.#context.db
      .selectFrom('jobs')
      .selectAll()
      .where('idempotency_key', '=', key)
      .executeTakeFirst();
    return row ? toJob(row) : undefined;
  }
}

/** The job's status and running count under its row lock (the first lock of the stores' lock order), or undefined. */
function lockJobRow(
  trx: StoreContext,
  jobId: string,
): Promise<{ id: string; status: string; running: number } | undefined> {
  return trx.db
    .selectFrom('jobs')
    .select(['id', 'status', 'running'])
    .where('id', '=', jobId)
    .$call(trx.dialect.forUpdate)
    .executeTakeFirst();
}

/** The row of a new job, queued with no items yet. */
function newJobRow(input: CreateJobInput, now: number): JobsTable {
  return {
    id: input.id,
    status: 'queued',
    options: JSON.stringify(input.options),
    webhook: input.webhook === null ? null : JSON.stringify(input.webhook),
    // A streamed submission binds its key only once its last URL is stored (`endIntake`).
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
    name: input.name ?? null,
    first_url: null,
  };
}
