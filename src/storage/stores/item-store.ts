import {
  JobCancelledError,
  JobNotFoundError,
  type ClaimedItem,
  type Item,
  type ItemRef,
  type ItemLlmResult,
  type ItemState,
  type ItemStore,
  type NewItem,
  type Page,
  type StoredDocument,
} from '../../jobs/index.js';
import { sql } from 'kysely';
import { decodeCursor, isSeqCursor, toPage } from '../pagination.js';
import { DOCUMENT_COLUMNS, toDocument, toItem } from '../row-mappers.js';
import type { JobItemsTable } from '../schema.js';
import { isUniqueViolation } from '../transaction.js';
import { KyselyEventStore } from './event-store.js';
import { insertRows } from './bulk-insert.js';
import { applyCounts } from './job-counters.js';
import { chunks, inTransaction, type StoreContext } from './store-context.js';

/** The items of jobs: appends (submissions, crawl links), reads, and the reuse of stored documents. */
export class KyselyItemStore implements ItemStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  async addItems(
    jobId: string,
    items: readonly NewItem[],
  ): Promise<{ added: number; duplicates: number; reused: number; queued: ItemRef[] }> {
    return inTransaction(this.#context, async (trx) => {
      // The job's row lock serialises appends (they hand out `next_seq`) and orders them with a cancel.
      const job = await trx.db
        .selectFrom('jobs')
        .selectAll()
        .where('id', '=', jobId)
        .$call(trx.dialect.forUpdate)
        .executeTakeFirst();
      if (!job) throw new JobNotFoundError(jobId);
      if (job.status === 'cancelled') throw new JobCancelledError(jobId);
      const now = trx.clock.now();
      // Dedupe within the batch, then against the URLs the job already has.
      const byKey = new Map<string, NewItem>();
      for (const item of items) {
        const key = trx.documentKey(item.url, job.tenant);
        if (!byKey.has(key)) byKey.set(key, item);
      }
      let batch = newItemRows(jobId, Number(job.next_seq), byKey, now);
      // A job that never had an item (its first batch) has no keys to drop. Otherwise the insert
      // is tried as it is, since a batch rarely repeats a URL of an earlier one: the unique index
      // (job_id, url_key) looks every key up anyway, so a SELECT of the keys first would do that
      // work twice. Only a batch that does repeat one is rolled back and written without them.
      if (Number(job.next_seq) === 0) await insertRows(trx, 'job_items', batch.rows);
      else if (!(await insertUnlessDuplicate(trx, batch.rows))) {
        await dropKeysOfJob(trx, jobId, byKey);
        batch = newItemRows(jobId, Number(job.next_seq), byKey, now);
        await insertRows(trx, 'job_items', batch.rows);
      }
      const { rows, queued, reused, running } = batch;
      const seq = Number(job.next_seq) + rows.length;
      await trx.db
        .updateTable('jobs')
        .set({
          next_seq: seq,
          total: job.total + rows.length,
          reused: job.reused + reused,
          first_url: job.first_url ?? rows[0]?.url ?? null,
        })
        .where('id', '=', jobId)
        .execute();
      const reusedRows = rows.flatMap((row) =>
        row.document_id === null ? [] : [{ ...row, document_id: row.document_id }],
      );
      await writeReusedEvents(trx, jobId, reusedRows);
      await applyCounts(
        trx,
        jobId,
        { queued: queued.length, succeeded: reused, ...(running > 0 ? { running } : {}) },
        now,
      );
      return { added: rows.length, duplicates: items.length - rows.length, reused, queued };
    });
  }

  /**
   * Appends a crawl page's links to its job at `depth + 1`, inside the transaction that ends the
   * page's item (the job's row is locked; build the store over that transaction's context): within
   * `maxDepth`, up to `maxPages` items in all, and never a URL the job already has (its
   * `(job_id, url_key)` uniqueness). Returns the new items; the caller applies the counts.
   */
  async appendLinks(
    item: ClaimedItem,
    depth: number,
    urls: readonly string[],
    now: number,
  ): Promise<ItemRef[]> {
    const { db } = this.#context;
    const crawl = item.options.crawl;
    if (!crawl || depth + 1 > crawl.maxDepth) return [];
    const job = await db
      .selectFrom('jobs')
      .select(['status', 'total', 'next_seq', 'tenant'])
      .where('id', '=', item.jobId)
      .executeTakeFirst();
    if (!job || job.status === 'cancelled') return [];
    const room = crawl.maxPages - Number(job.total);
    if (room <= 0) return [];
    const byKey = new Map<string, string>();
    for (const url of urls) {
      const key = this.#context.documentKey(url, job.tenant);
      if (!byKey.has(key)) byKey.set(key, url);
    }
    await dropKeysOfJob(this.#context, item.jobId, byKey);
    let seq = Number(job.next_seq);
    const rows: JobItemsTable[] = [];
    for (const [key, url] of byKey) {
      if (rows.length >= room) break;
      rows.push({ ...newItemRow(item.jobId, seq++, url, key, now), depth: depth + 1 });
    }
    if (rows.length === 0) return [];
    await insertRows(this.#context, 'job_items', rows);
    await db
      .updateTable('jobs')
      .set({ next_seq: seq, total: Number(job.total) + rows.length })
      .where('id', '=', item.jobId)
      .execute();
    return rows.map((r) => ({ jobId: item.jobId, seq: r.seq }));
  }

  async listItems(
    jobId: string,
    options: { state?: ItemState | undefined; limit: number; cursor?: string | undefined },
  ): Promise<Page<Item>> {
    const after = decodeCursor(options.cursor, isSeqCursor);
    let query = this.#context.db.selectFrom('job_items').selectAll().where('job_id', '=', jobId);
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
    const after = decodeCursor(options.cursor, isSeqCursor);
    let query = this.#context.db
      .selectFrom('job_items')
      .innerJoin('documents', 'documents.id', 'job_items.document_id')
      .select(DOCUMENT_COLUMNS.map((column) => `documents.${column}` as const))
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
        'job_items.llm_result as item_llm_result',
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
          ...(row.item_llm_result != null ? { llm: JSON.parse(row.item_llm_result) as ItemLlmResult } : {}),
        },
        document: toDocument(row),
      }),
      (row) => Number(row.item_seq),
    );
  }

  /** Tokens the language model used for the job's items, summed (issue 18). */
  async llmUsage(jobId: string): Promise<{ tokensIn: number; tokensOut: number; items: number }> {
    const row = await this.#context.db
      .selectFrom('job_items')
      .select((eb) => [
        eb.fn.sum<string | number | null>('llm_tokens_in').as('tokens_in'),
        eb.fn.sum<string | number | null>('llm_tokens_out').as('tokens_out'),
        eb.fn.count<string | number>('llm_result').as('items'),
      ])
      .where('job_id', '=', jobId)
      .executeTakeFirst();
    return {
      tokensIn: Number(row?.tokens_in ?? 0),
      tokensOut: Number(row?.tokens_out ?? 0),
      items: Number(row?.items ?? 0),
    };
  }

  /** Does one of the tenant's jobs refer to the document? Document reads under tenant isolation. */
  async isDocumentVisible(documentId: string, tenant: string): Promise<boolean> {
    const row = await this.#context.db
      .selectFrom('job_items')
      .innerJoin('jobs', 'jobs.id', 'job_items.job_id')
      .select('job_items.job_id')
      .where('job_items.document_id', '=', documentId)
      .where('jobs.tenant', '=', tenant)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }
}

/** The rows of new items from `seq` on, queued or (given a document to reuse) succeeded. */
function newItemRows(
  jobId: string,
  seq: number,
  byKey: ReadonlyMap<string, NewItem>,
  now: number,
): { rows: JobItemsTable[]; queued: ItemRef[]; reused: number; running: number } {
  let reused = 0;
  let running = 0;
  const queued: ItemRef[] = [];
  const rows: JobItemsTable[] = [];
  for (const [key, item] of byKey) {
    const row = newItemRow(jobId, seq, item.url, key, now);
    if (item.reuseDocumentId !== undefined) {
      reused++;
      rows.push({ ...row, state: 'succeeded', document_id: item.reuseDocumentId, finished_at: now });
    } else if (item.lease !== undefined) {
      // Run by the caller (an upload): leased at once, never handed to the queue.
      running++;
      rows.push({
        ...row,
        state: 'running',
        attempts: 1,
        lease_token: item.lease.token,
        lease_expires_at: now + item.lease.leaseMs,
      });
    } else {
      queued.push({ jobId, seq });
      rows.push(row);
    }
    seq++;
  }
  return { rows, queued, reused, running };
}

/**
 * Inserts the rows under a savepoint; false, with nothing written, when one of them repeats a key
 * the job already has (a unique violation), so that the caller can drop those and insert again.
 */
async function insertUnlessDuplicate(
  context: StoreContext,
  rows: readonly JobItemsTable[],
): Promise<boolean> {
  await sql`savepoint add_items`.execute(context.db);
  try {
    await insertRows(context, 'job_items', rows);
  } catch (error) {
    await sql`rollback to savepoint add_items`.execute(context.db);
    await sql`release savepoint add_items`.execute(context.db);
    if (isUniqueViolation(error)) return false;
    throw error;
  }
  await sql`release savepoint add_items`.execute(context.db);
  return true;
}

/** A queued item's row, at depth 0 of no crawl. */
function newItemRow(jobId: string, seq: number, url: string, key: string, now: number): JobItemsTable {
  return {
    job_id: jobId,
    seq,
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
  };
}

/** Removes from `byKey` the document keys the job already has an item for. */
async function dropKeysOfJob(
  context: StoreContext,
  jobId: string,
  byKey: Map<string, unknown>,
): Promise<void> {
  for (const chunk of chunks([...byKey.keys()])) {
    const existing = await context.db
      .selectFrom('job_items')
      .select('url_key')
      .where('job_id', '=', jobId)
      .where('url_key', 'in', chunk)
      .execute();
    for (const row of existing) byKey.delete(row.url_key);
  }
}

/**
 * `document.extracted` (with `reused: true`) for items a stored document satisfied without a fetch
 * of their own: reused at submission, or finished by another job's fetch of the same URL (single
 * flight). Event consumers see one `document.extracted` per succeeded item whichever way it went.
 * Written before the counts change, so `job.completed` stays a job's last event.
 */
export async function writeReusedEvents(
  context: StoreContext,
  jobId: string,
  items: ReadonlyArray<{ seq: number; url: string; document_id: string }>,
): Promise<void> {
  const ids = [...new Set(items.map((item) => item.document_id))];
  const documents = new Map<string, { title: string | null; wordCount: number }>();
  for (const chunk of chunks(ids)) {
    const rows = await context.db
      .selectFrom('documents')
      .select(['id', 'title', 'word_count'])
      .where('id', 'in', chunk)
      .execute();
    for (const row of rows) documents.set(row.id, { title: row.title, wordCount: Number(row.word_count) });
  }
  await new KyselyEventStore(context).appendEvents(
    jobId,
    items.map((item) => {
      const document = documents.get(item.document_id);
      return {
        type: 'document.extracted',
        payload: {
          jobId,
          seq: Number(item.seq),
          id: item.document_id,
          documentId: item.document_id,
          url: item.url,
          title: document?.title ?? null,
          wordCount: document?.wordCount ?? 0,
          reused: true,
        },
      };
    }),
  );
}
