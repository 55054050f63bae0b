import type { EventStore, LeaseStore, StoredEvent, WebhookDeliveryStore } from '../jobs/index.js';

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

/** The outbox and the leases, as the relay needs them: parts of the ports of jobs/ports.ts. */
export type OutboxStore = Pick<
  EventStore,
  'listUnpublishedEvents' | 'markEventsPublished' | 'deleteExpiredEvents'
> &
  Pick<LeaseStore, 'acquireLease' | 'releaseLease'>;

/** Webhook deliveries, as the webhook sink and dispatcher need them (see `WebhookDeliveryStore`). */
export type WebhookStore = Pick<
  WebhookDeliveryStore,
  | 'enqueueWebhookDeliveries'
  | 'listDueWebhookDeliveries'
  | 'recordWebhookAttempt'
  | 'deleteFinishedWebhookDeliveries'
>;

export type { DueWebhookDelivery, WebhookAttemptResult, WebhookDelivery } from '../jobs/index.js';
