import {
  holdsLease,
  transitionItem,
  type AttemptStore,
  type DocumentChange,
  type ClaimedItem,
  type CountDelta,
  type ItemOutcome,
  type ItemRef,
  type ItemState,
  type ItemUpdate,
  type JobOptions,
  wantsLlm,
} from '../../jobs/index.js';
import type { JobItemsTable } from '../schema.js';
import { KyselyDocumentStore } from './document-store.js';
import { KyselyEventStore } from './event-store.js';
import { KyselyItemStore, writeReusedEvents } from './item-store.js';
import { GroupCommit } from '../group-commit.js';
import { addCounts, applyCounts, lockJobs } from './job-counters.js';
import { CHUNK, groupSeqs, inTransaction, type StoreContext } from './store-context.js';

interface AttemptRequest {
  item: ClaimedItem;
  outcome: ItemOutcome;
}

type AttemptResult = { isRecorded: boolean; queued: ItemRef[] };

const notRecorded = (): AttemptResult => ({ isRecorded: false, queued: [] });

/**
 * The end of attempts. It reads the item under its job's lock, stores a success's document, asks
 * the item state machine (`transitionItem`, in jobs/) what that does, and writes the update, the
 * events and the counter changes it returns, in one transaction. A crawl page's links and the
 * single flight's waiting duplicates join the same transaction.
 */
export class KyselyAttemptStore implements AttemptStore {
  readonly #context: StoreContext;
  readonly #documentVersions: number;
  /** Batches the attempts that end within a few ms into one transaction (see group-commit.ts). */
  readonly #group: GroupCommit<AttemptRequest, AttemptResult> | undefined;

  /**
   * `groupCommit`: batch the attempts that end together into one transaction (bounded by
   * `maxBatch`); off for a store over a caller's transaction, which must write in it.
   */
  constructor(
    context: StoreContext,
    options: { documentVersions: number; groupCommit?: false | { maxBatch?: number; windowMs?: number } },
  ) {
    this.#context = context;
    this.#documentVersions = options.documentVersions;
    const group = options.groupCommit ?? false;
    this.#group =
      group === false
        ? undefined
        : new GroupCommit<AttemptRequest, AttemptResult>({
            ...group,
            commitBatch: (requests) => this.#recordBatch(requests),
            commitOne: ({ item, outcome }) => this.#recordOne(item, outcome),
          });
  }

  /** Attempts and transactions so far: `requests / batches` is the mean batch (bench, tests). */
  get groupCommitStats():
    { batches: number; requests: number; largest: number; failedBatches: number } | undefined {
    return this.#group === undefined ? undefined : { ...this.#group.stats };
  }

  async finishAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<boolean> {
    return (await this.recordAttempt(item, outcome)).isRecorded;
  }

  /**
   * `finishAttempt`, also returning the items a crawl page appended in the same transaction
   * (`outcome.discovered`), which the caller hands to the queue. Appending before the counts are
   * applied, in the transaction that ends the page's item, is what keeps a crawl job from
   * completing while links remain to follow. With group commit the transaction may hold other
   * attempts too; it settles only once that transaction committed.
   */
  recordAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<AttemptResult> {
    return this.#group === undefined ? this.#recordOne(item, outcome) : this.#group.submit({ item, outcome });
  }

  /** One attempt in its own transaction. */
  async #recordOne(item: ClaimedItem, outcome: ItemOutcome): Promise<AttemptResult> {
    let result = notRecorded();
    await inTransaction(this.#context, async (trx) => {
      await lockJobs(trx, [item.jobId]);
      const written = await this.#record(trx, item, outcome);
      result = notRecorded();
      if (written === undefined) return;
      await applyCounts(trx, item.jobId, written.counts, trx.clock.now());
      result = { isRecorded: true, queued: written.queued };
    });
    return result;
  }

  /**
   * Several attempts in one transaction: the jobs' rows locked once (in id order, the stores' lock
   * order), each attempt written as alone, then each job's counters changed once by the sum of its
   * attempts' changes. Deferring the counts is safe: until they apply, the job still counts those
   * items as running, so nothing in the transaction can see it finished early; and `job.completed`
   * still comes after every item event of the job.
   */
  async #recordBatch(requests: readonly AttemptRequest[]): Promise<AttemptResult[]> {
    let results: AttemptResult[] = [];
    await inTransaction(this.#context, async (trx) => {
      // Run again from the start on a retried transaction (PostgreSQL/MySQL conflicts).
      results = [];
      await lockJobs(
        trx,
        requests.map((r) => r.item.jobId),
      );
      const deltas = new Map<string, CountDelta>();
      for (const { item, outcome } of requests) {
        const written = await this.#record(trx, item, outcome);
        if (written === undefined) {
          results.push(notRecorded());
          continue;
        }
        deltas.set(item.jobId, addCounts(deltas.get(item.jobId) ?? {}, written.counts));
        results.push({ isRecorded: true, queued: written.queued });
      }
      const now = trx.clock.now();
      for (const jobId of [...deltas.keys()].sort()) await applyCounts(trx, jobId, deltas.get(jobId)!, now);
    });
    return results;
  }

  /**
   * Writes one attempt's outcome in `trx`, whose caller holds the job's row lock and applies the
   * returned counter change: the item read under the lock, a success's document, the item state
   * machine's update and events, a crawl page's links, the single flight's waiting duplicates.
   * Undefined when the lease was lost and nothing was written.
   */
  async #record(
    trx: StoreContext,
    item: ClaimedItem,
    outcome: ItemOutcome,
  ): Promise<{ counts: CountDelta; queued: ItemRef[] } | undefined> {
    const row = await trx.db
      .selectFrom('job_items')
      .select(['state', 'lease_token', 'url_key', 'attempts', 'depth'])
      .where('job_id', '=', item.jobId)
      .where('seq', '=', item.seq)
      .$call(trx.dialect.forUpdate)
      .executeTakeFirst();
    if (!row) return undefined;
    const current = {
      jobId: item.jobId,
      seq: item.seq,
      url: item.url,
      state: row.state as ItemState,
      leaseToken: row.lease_token,
      attempts: Number(row.attempts),
    };
    const now = trx.clock.now();
    // The lease token is the attempt's proof (see `holdsLease`): checked before the document is
    // stored; the state machine checks it again.
    if (!holdsLease(current, item.token)) return undefined;
    const stored =
      outcome.kind === 'succeeded'
        ? await this.#storeDocument(trx, item, row.url_key, outcome, now)
        : undefined;
    const transition = transitionItem(current, { token: item.token, outcome, stored, now });
    if (!transition.isRecorded) return undefined;
    await trx.db
      .updateTable('job_items')
      .set({ ...toItemColumns(transition.update), ...llmColumns(outcome) })
      .where('job_id', '=', item.jobId)
      .where('seq', '=', item.seq)
      .execute();
    // The item's events go first: `job.completed`, written by applyCounts, is a job's last.
    await new KyselyEventStore(trx).appendEvents(item.jobId, transition.events);
    // A crawl page's links join the job before its counts change: the job cannot complete here
    // while they wait (one applyCounts with the whole delta).
    let queued: ItemRef[] = [];
    if (
      outcome.kind === 'succeeded' &&
      outcome.discovered !== undefined &&
      outcome.discovered.length > 0 &&
      item.options.crawl
    ) {
      queued = await new KyselyItemStore(trx).appendLinks(
        item,
        Number(row.depth ?? 0),
        outcome.discovered,
        now,
      );
    }
    const counts =
      queued.length > 0
        ? { ...transition.counts, queued: (transition.counts.queued ?? 0) + queued.length }
        : transition.counts;
    if (stored !== undefined) await completeWaitingDuplicates(trx, row.url_key, stored.documentId, now);
    return { counts, queued };
  }

  /** Stores a success's document: refreshed on a 304 while it still exists, else upserted. */
  async #storeDocument(
    trx: StoreContext,
    item: ClaimedItem,
    key: string,
    outcome: Extract<ItemOutcome, { kind: 'succeeded' }>,
    now: number,
  ): Promise<{ documentId: string; change: DocumentChange | null }> {
    const documents = new KyselyDocumentStore(trx, { documentVersions: this.#documentVersions });
    const refreshed =
      outcome.isNotModified === true ? await documents.refreshDocument(key, outcome.document, now) : null;
    if (refreshed !== null) return { documentId: refreshed, change: null };
    return documents.storeDocument(
      item.url,
      key,
      outcome.document,
      now,
      item.options.formats.includes('text'),
    );
  }
}

/** What the language model gave a succeeded item (issue 18), stored with it. */
function llmColumns(outcome: ItemOutcome): Partial<JobItemsTable> {
  if (outcome.kind !== 'succeeded' || outcome.llm === undefined) return {};
  const { llm } = outcome;
  return { llm_result: JSON.stringify(llm), llm_tokens_in: llm.tokensIn, llm_tokens_out: llm.tokensOut };
}

/** The columns of an `ItemUpdate`; every transition releases the lease. */
function toItemColumns(update: ItemUpdate): Partial<JobItemsTable> {
  return {
    lease_token: null,
    lease_expires_at: null,
    updated_at: update.updatedAt,
    state: update.state,
    ...(update.documentId !== undefined ? { document_id: update.documentId } : {}),
    ...(update.runAfter !== undefined ? { run_after: update.runAfter } : {}),
    ...(update.attempts !== undefined ? { attempts: update.attempts } : {}),
    ...(update.error !== undefined
      ? { error_code: update.error?.code ?? null, error_message: update.error?.message ?? null }
      : {}),
    ...(update.httpStatus !== undefined ? { http_status: update.httpStatus } : {}),
    ...(update.finishedAt !== undefined ? { finished_at: update.finishedAt } : {}),
  };
}

/**
 * Single flight across jobs: items of other jobs that wait for the URL just extracted take the
 * new document instead of fetching it again. Bounded per call; any left over find the document
 * fresh when they are claimed. Another job's row is taken only if it is free right now (SKIP
 * LOCKED): waiting for it here, while holding this job's row, could deadlock with a transaction
 * that holds it and waits for ours. A busy job simply fetches the URL itself.
 */
async function completeWaitingDuplicates(
  trx: StoreContext,
  key: string,
  documentId: string,
  now: number,
): Promise<void> {
  const { db } = trx;
  const waiting = await db
    .selectFrom('job_items')
    .select(['job_id', 'seq'])
    .where('url_key', '=', key)
    .where('state', '=', 'queued')
    .limit(CHUNK)
    .execute();
  if (waiting.length === 0) return;
  for (const [jobId, seqs] of groupSeqs(waiting.map((w) => ({ jobId: w.job_id, seq: Number(w.seq) })))) {
    const job = await db
      .selectFrom('jobs')
      .select(['reused', 'status', 'options'])
      .where('id', '=', jobId)
      .$call(trx.dialect.forUpdateSkipLocked)
      .executeTakeFirst();
    if (!job || job.status === 'cancelled') continue;
    // A crawl's page must run to have its links followed, and a page of a job that asks a model
    // for json or summary must meet the model: neither takes another job's document.
    const waitingOptions = JSON.parse(job.options) as JobOptions;
    if (waitingOptions.crawl !== undefined || wantsLlm(waitingOptions)) continue;
    const result = await db
      .updateTable('job_items')
      .set({ state: 'succeeded', document_id: documentId, updated_at: now, finished_at: now })
      .where('job_id', '=', jobId)
      .where('seq', 'in', seqs)
      .where('state', '=', 'queued')
      .executeTakeFirst();
    const n = Number(result.numUpdatedRows);
    if (n === 0) continue;
    await db
      .updateTable('jobs')
      .set({ reused: job.reused + n })
      .where('id', '=', jobId)
      .execute();
    // The items this update finished: the document and the time say which.
    const finished = await db
      .selectFrom('job_items')
      .select(['seq', 'url'])
      .where('job_id', '=', jobId)
      .where('seq', 'in', seqs)
      .where('document_id', '=', documentId)
      .where('finished_at', '=', now)
      .execute();
    await writeReusedEvents(
      trx,
      jobId,
      finished.map((row) => ({ seq: row.seq, url: row.url, document_id: documentId })),
    );
    await applyCounts(trx, jobId, { queued: -n, succeeded: n }, now);
  }
}
