import { randomUUID } from 'node:crypto';
import type {
  DueWebhookDelivery,
  Job,
  Page,
  StoredEvent,
  WebhookAttemptResult,
  WebhookDelivery,
  WebhookDeliveryStore,
} from '../../jobs/index.js';
import { decodeCursor, isSeqCursor, toPage } from '../pagination.js';
import { toWebhookDelivery } from '../row-mappers.js';
import type { WebhookDeliveriesTable } from '../schema.js';
import { KyselyEventStore } from './event-store.js';
import { CHUNK, inTransaction, type StoreContext } from './store-context.js';

/**
 * Webhook deliveries: one per event of a job with a webhook, created by the webhook sink from the
 * outbox and sent by the dispatcher, a job's calls one at a time in event order.
 */
export class KyselyWebhookDeliveryStore implements WebhookDeliveryStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
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
    const webhooks = await webhookUrls(this.#context.db, jobIds);
    const wanted = candidates.filter((e) => webhooks.has(e.jobId!));
    if (wanted.length === 0) return 0;
    const { db } = this.#context;
    const existing = await eventIdsWithDelivery(db, wanted);
    const now = this.#context.clock.now();
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
        .$call((insert) => this.#context.dialect.insertIgnore(insert, ['event_id']))
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
  ): Promise<DueWebhookDelivery[]> {
    const now = this.#context.clock.now();
    let query = this.#context.db
      .selectFrom('webhook_deliveries as d')
      .leftJoin('jobs as j', 'j.id', 'd.job_id')
      .select([
        'd.id',
        'd.event_id',
        'd.event_type',
        'd.job_id',
        'd.url',
        'd.body',
        'd.attempts',
        'd.give_up_at',
        'j.webhook',
      ])
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
    delivery: Pick<DueWebhookDelivery, 'id' | 'eventId' | 'jobId' | 'url'>,
    result: WebhookAttemptResult,
  ): Promise<void> {
    const now = this.#context.clock.now();
    await inTransaction(this.#context, async (trx) => {
      const { db } = trx;
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
          await new KyselyEventStore(trx).appendEvents(delivery.jobId, [
            {
              type: 'webhook.failed',
              payload: {
                jobId: delivery.jobId,
                deliveryId: delivery.id,
                eventId: String(delivery.eventId),
                url: delivery.url,
                attempts: Number(row.attempts),
                lastError: result.error,
              },
            },
          ]);
          return;
        }
      }
    });
  }

  /** A job's webhook deliveries in event order, paginated. */
  async listWebhookDeliveries(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<WebhookDelivery>> {
    const after = decodeCursor(options.cursor, isSeqCursor);
    let query = this.#context.db.selectFrom('webhook_deliveries').selectAll().where('job_id', '=', jobId);
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
  async replayWebhookDelivery(
    jobId: string,
    deliveryId: string,
    giveUpMs: number,
  ): Promise<WebhookDelivery | null> {
    const now = this.#context.clock.now();
    const { db } = this.#context;
    await db
      .updateTable('webhook_deliveries')
      .set({
        status: 'pending',
        next_attempt_at: now,
        give_up_at: now + giveUpMs,
        delivered_at: null,
        updated_at: now,
      })
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
    const now = this.#context.clock.now();
    const result = await this.#context.db
      .updateTable('webhook_deliveries')
      .set({ status: 'pending', next_attempt_at: now, give_up_at: now + giveUpMs, updated_at: now })
      .where('job_id', '=', jobId)
      .where('status', '=', 'failed')
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  /** Deletes up to `limit` delivered or failed deliveries last updated before `before`. */
  async deleteFinishedWebhookDeliveries(before: number, limit: number): Promise<number> {
    const { db } = this.#context;
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
      .where(
        'id',
        'in',
        rows.map((r) => r.id),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * Webhook deliveries waiting for a retry after a failed call (their receiver is down or refusing),
   * counted up to `limit` (`/readyz` reports them; they are kept and retried, so they do not make
   * the process unready).
   */
  async countRetryingWebhookDeliveries(limit: number): Promise<number> {
    const rows = await this.#context.db
      .selectFrom('webhook_deliveries')
      .select('id')
      .where('status', '=', 'pending')
      .where('attempts', '>', 0)
      .limit(limit)
      .execute();
    return rows.length;
  }
}

/** The webhook URL of each of these jobs that has a webhook. */
async function webhookUrls(db: StoreContext['db'], jobIds: readonly string[]): Promise<Map<string, string>> {
  const webhooks = new Map<string, string>();
  for (let i = 0; i < jobIds.length; i += CHUNK) {
    const rows = await db
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
  return webhooks;
}

/** The ids of those of these events that have a delivery already. */
async function eventIdsWithDelivery(
  db: StoreContext['db'],
  events: readonly StoredEvent[],
): Promise<Set<number>> {
  const existing = new Set<number>();
  for (let i = 0; i < events.length; i += CHUNK) {
    const rows = await db
      .selectFrom('webhook_deliveries')
      .select('event_id')
      .where(
        'event_id',
        'in',
        events.slice(i, i + CHUNK).map((e) => e.id),
      )
      .execute();
    for (const row of rows) existing.add(Number(row.event_id));
  }
  return existing;
}
