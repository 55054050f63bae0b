import type { DomainEvent, EventStore, StoredEvent } from '../../jobs/index.js';
import { toStoredEvent } from '../row-mappers.js';
import { chunks, type StoreContext } from './store-context.js';

/**
 * The outbox (the `events` table): state changes append their events in their own transaction
 * (build the store over the transaction's context), the relay publishes and expires them, and the
 * API reads them as the event log.
 */
export class KyselyEventStore implements EventStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  /** Appends `events` in order, all with the same `created_at`. */
  async appendEvents(jobId: string | null, events: readonly DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = this.#context.clock.now();
    const rows = events.map((event) => ({
      job_id: jobId,
      type: event.type,
      payload: JSON.stringify(event.payload),
      created_at: now,
      published_at: null,
    }));
    for (const chunk of chunks(rows)) await this.#context.db.insertInto('events').values(chunk).execute();
  }

  /** Events of a job after `afterId`, oldest first, for SSE replay. */
  async listEvents(options: {
    jobId?: string | undefined;
    afterId: number;
    limit: number;
  }): Promise<StoredEvent[]> {
    let query = this.#context.db.selectFrom('events').selectAll().where('id', '>', options.afterId);
    if (options.jobId !== undefined) query = query.where('job_id', '=', options.jobId);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map(toStoredEvent);
  }

  /** Unpublished events, oldest first (index `events_unpublished_idx`). */
  async listUnpublishedEvents(limit: number): Promise<StoredEvent[]> {
    const rows = await this.#context.db
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
    const { db } = this.#context;
    const oldest = await db
      .selectFrom('events')
      .select('created_at')
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
    if (!oldest) return { pending: 0, oldestCreatedAt: null };
    const unpublished = db
      .selectFrom('events')
      .select('id')
      .where('published_at', 'is', null)
      .limit(limit)
      .as('unpublished');
    const counted = await db
      .selectFrom(unpublished)
      .select((eb) => eb.fn.countAll().as('n'))
      .executeTakeFirstOrThrow();
    return { pending: Number(counted.n), oldestCreatedAt: Number(oldest.created_at) };
  }

  async markEventsPublished(ids: readonly number[]): Promise<void> {
    const now = this.#context.clock.now();
    for (const chunk of chunks(ids)) {
      await this.#context.db
        .updateTable('events')
        .set({ published_at: now })
        .where('id', 'in', chunk)
        .where('published_at', 'is', null)
        .execute();
    }
  }

  /** Deletes up to `limit` events published before `publishedBefore` (ids first: MySQL cannot LIMIT a subquery). */
  async deleteExpiredEvents(publishedBefore: number, limit: number): Promise<number> {
    const { db } = this.#context;
    const rows = await db
      .selectFrom('events')
      .select('id')
      .where('published_at', '<', publishedBefore)
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    const result = await db
      .deleteFrom('events')
      .where(
        'id',
        'in',
        rows.map((r) => Number(r.id)),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  /**
   * The event log after `afterId`, oldest first, optionally of some types (exact names, or
   * `noun.*` prefixes) or one job. The last `dialect.eventLogSettleMs` of events are held back,
   * so that a reader paging with `after=` does not skip a row committed after a higher id.
   */
  async listEventLog(options: {
    afterId: number;
    types?: readonly string[] | undefined;
    jobId?: string | undefined;
    tenant?: string | undefined;
    limit: number;
  }): Promise<StoredEvent[]> {
    const { db, dialect, clock } = this.#context;
    let query = db.selectFrom('events').selectAll().where('id', '>', options.afterId);
    if (options.jobId !== undefined) query = query.where('job_id', '=', options.jobId);
    const { tenant } = options;
    if (tenant !== undefined) {
      query = query.where('job_id', 'in', (eb) =>
        eb.selectFrom('jobs').select('jobs.id').where('jobs.tenant', '=', tenant),
      );
    }
    const types = options.types ?? [];
    if (types.length > 0) {
      const exact = types.filter((t) => !t.endsWith('.*'));
      const prefixes = types
        .filter((t) => t.endsWith('.*'))
        .map((t) => `${t.slice(0, -1).replace(/[%_\\]/g, '')}%`);
      query = query.where((eb) =>
        eb.or([
          ...(exact.length > 0 ? [eb('type', 'in', exact)] : []),
          ...prefixes.map((prefix) => eb('type', 'like', prefix)),
        ]),
      );
    }
    if (dialect.eventLogSettleMs > 0)
      query = query.where('created_at', '<=', clock.now() - dialect.eventLogSettleMs);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map(toStoredEvent);
  }
}
