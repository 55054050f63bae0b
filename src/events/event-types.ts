import type { ChangeSummary, ItemCounts, JobOptions, StoredEvent } from '../jobs/index.js';

/**
 * The events distill publishes. One name serves the outbox row, the RabbitMQ routing key (so
 * `item.*` or `job.*` bindings work), the webhook `type`, the SSE `event:` and the `type` filter of
 * `GET /v1/events`. Payloads are small: ids and what a consumer needs to decide whether to fetch
 * more, never a document's text.
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
  'job.created': { jobId: string; options: JobOptions };
  /** `id` and `documentId` both name the document (`documentId` is kept for SSE clients). */
  'document.extracted': {
    jobId: string;
    seq: number;
    id: string;
    documentId: string;
    url: string;
    title: string | null;
    wordCount: number;
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

/**
 * What every sink and `GET /v1/events` send: the same JSON everywhere.
 *
 * `id` is the event's row id in the outbox as a decimal string. It is stable (a redelivery carries
 * the same id: dedupe by it), increases with commit order on SQLite and with insert order on
 * PostgreSQL/MySQL, and is what `GET /v1/events?after=` takes. It is unique per database, not
 * across deployments.
 */
export interface EventEnvelope {
  id: string;
  type: string;
  /** When the state change committed its event, ISO 8601. */
  createdAt: string;
  jobId: string | null;
  data: unknown;
}

/** The envelope of an outbox row. */
export function toEnvelope(event: StoredEvent): EventEnvelope {
  return {
    id: String(event.id),
    type: event.type,
    createdAt: new Date(event.createdAt).toISOString(),
    jobId: event.jobId,
    data: event.payload,
  };
}
