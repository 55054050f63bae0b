import type { ChangeSummary, ItemCounts, PublicJobOptions } from './types.js';

/**
 * The events distill publishes. One name serves the outbox row, the RabbitMQ routing key (so
 * `item.*` or `job.*` bindings work), the webhook `type`, the SSE `event:` and the `type` filter of
 * `GET /v1/events`. Payloads are small: ids and what a consumer needs to decide whether to fetch
 * more, never a document's text. The domain owns them (the item state machine writes them);
 * `events/event-types.ts` re-exports them.
 */
export const EVENT_TYPES = [
  'job.created',
  'document.extracted',
  'document.changed',
  'item.failed',
  'job.cancelled',
  'job.completed',
  'webhook.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Payload of each event type (the envelope's `data`). */
export interface EventPayloads {
  /** `options` without the sealed box: header and cookie values are `[set]`. */
  'job.created': { jobId: string; options: PublicJobOptions };
  /**
   * `id` and `documentId` both name the document (`documentId` is kept for SSE clients). `reused`
   * is set on items a stored document satisfied without a fetch of their own.
   */
  'document.extracted': {
    jobId: string;
    seq: number;
    id: string;
    documentId: string;
    url: string;
    title: string | null;
    wordCount: number;
    reused?: true;
  };
  /** A re-extraction changed the document's main text: a new version was kept (issue 9). */
  'document.changed': {
    jobId: string;
    seq: number;
    documentId: string;
    url: string;
    version: number;
    previousContentHash: string;
    contentHash: string;
    changes: ChangeSummary;
  };
  'item.failed': { jobId: string; seq: number; url: string; code: string; message: string };
  'job.cancelled': { jobId: string; cancelledItems: number };
  'job.completed': { jobId: string; counts: ItemCounts };
  /** A webhook delivery gave up (or was refused by the private-network guard); it can be replayed. */
  'webhook.failed': {
    jobId: string;
    deliveryId: string;
    eventId: string;
    url: string;
    attempts: number;
    lastError: string;
  };
}

/** An event as a state change writes it to the outbox: its name and that name's payload. */
export type DomainEvent = { [K in EventType]: { type: K; payload: EventPayloads[K] } }[EventType];
