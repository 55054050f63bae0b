import type { StoredEvent } from '../jobs/index.js';

export { EVENT_TYPES, type DomainEvent, type EventPayloads, type EventType } from '../jobs/index.js';

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
