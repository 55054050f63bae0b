import type { StoredEvent } from '../jobs/index.js';

/**
 * A destination of outbox events. `publish` resolves only once every event of the batch is safely
 * handed over (a broker's confirm, a durable delivery row); a rejection leaves the batch in the
 * outbox, and the relay calls `publish` again later with the same events, so it must tolerate
 * repeats (at-least-once).
 */
export interface EventSink {
  /** For logs: `rabbitmq`, `webhooks`. */
  readonly name: string;
  publish(events: readonly StoredEvent[], options: { signal: AbortSignal }): Promise<void>;
  close(): Promise<void>;
}

/** The outbox and the leases, as the relay needs them. The Kysely repository implements it. */
export interface OutboxStore {
  /** Unpublished events, oldest first. */
  listUnpublishedEvents(limit: number): Promise<StoredEvent[]>;
  markEventsPublished(ids: readonly number[]): Promise<void>;
  /**
   * Takes or renews the named lease for `holder` until now + `ttlMs`, if it is free, expired or
   * already `holder`'s. True when `holder` holds it afterwards.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Lets the lease go at once if `holder` holds it, so a standby takes over without waiting. */
  releaseLease(name: string, holder: string): Promise<void>;
  /** Deletes up to `limit` events published before `publishedBefore`; returns how many. */
  deleteExpiredEvents(publishedBefore: number, limit: number): Promise<number>;
}

/** A delivery the dispatcher should send now: the head of its job's pending deliveries. */
export interface DueWebhookDelivery {
  id: string;
  eventId: number;
  eventType: string;
  jobId: string;
  url: string;
  body: string;
  /** The job's webhook secret; null sends the call unsigned. */
  secret: string | null;
  attempts: number;
  giveUpAt: number;
}

/** What one attempt of a delivery came to. */
export type WebhookAttemptResult =
  | { kind: 'delivered'; httpStatus: number }
  | { kind: 'retry'; error: string; httpStatus: number | null; nextAttemptAt: number }
  /** Gave up: past `giveUpAt`, or refused for good (a blocked address). Writes `webhook.failed`. */
  | { kind: 'failed'; error: string; httpStatus: number | null };


/** Webhook deliveries, as the webhook sink and dispatcher need them. */
export interface WebhookStore {
  /**
   * Creates a pending delivery for every event whose job has a webhook (`webhook.*` events
   * excluded), unless one exists already; returns how many it created.
   */
  enqueueWebhookDeliveries(
    events: readonly StoredEvent[],
    options: { giveUpMs: number; body: (event: StoredEvent) => string },
  ): Promise<number>;
  /**
   * Up to `limit` pending deliveries due now that are the oldest pending delivery of their job
   * (so a job's calls go out in event order), skipping the jobs in `busyJobIds`.
   */
  listDueWebhookDeliveries(limit: number, busyJobIds: ReadonlySet<string>): Promise<DueWebhookDelivery[]>;
  /** Records an attempt; a `failed` result also writes a `webhook.failed` event, in one transaction. */
  recordWebhookAttempt(delivery: DueWebhookDelivery, result: WebhookAttemptResult): Promise<void>;
  /** Deletes up to `limit` delivered or failed deliveries last updated before `before`. */
  deleteFinishedWebhookDeliveries(before: number, limit: number): Promise<number>;
}

export type { WebhookDelivery } from '../jobs/index.js';
