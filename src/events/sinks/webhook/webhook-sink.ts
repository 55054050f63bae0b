import type { StoredEvent } from '../../../jobs/index.js';
import { toEnvelope } from '../../event-types.js';
import type { EventSink, WebhookStore } from '../../ports.js';

/**
 * The relay's webhook sink: turns each event of a job that has a webhook into a durable delivery
 * row (the exact body to send, stored once). Sending, retrying and giving up are the
 * `WebhookDispatcher`'s work, so a slow or dead receiver never holds up the outbox.
 */
export class WebhookSink implements EventSink {
  readonly name = 'webhooks';
  readonly #store: WebhookStore;
  readonly #giveUpMs: number;

  constructor(options: { store: WebhookStore; giveUpMs: number }) {
    if (!Number.isSafeInteger(options.giveUpMs) || options.giveUpMs <= 0) {
      throw new TypeError(`Expected \`giveUpMs\` to be a positive integer, got \`${options.giveUpMs}\``);
    }
    this.#store = options.store;
    this.#giveUpMs = options.giveUpMs;
  }

  async publish(events: readonly StoredEvent[]): Promise<void> {
    await this.#store.enqueueWebhookDeliveries(events, {
      giveUpMs: this.#giveUpMs,
      body: (event) => JSON.stringify(toEnvelope(event)),
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
