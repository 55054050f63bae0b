/** Events: the outbox relay and its ports. Sinks are adapters under sinks/, imported by app/ only. */
export { OutboxRelay, type LeaderTask, type OutboxRelayOptions } from './outbox-relay.js';
export {
  EVENT_TYPES,
  toEnvelope,
  type EventEnvelope,
  type EventPayloads,
  type EventType,
} from './event-types.js';
export type {
  DueWebhookDelivery,
  EventSink,
  OutboxStore,
  WebhookAttemptResult,
  WebhookDelivery,
  WebhookStore,
} from './ports.js';
