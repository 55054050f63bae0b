import { ReadinessError } from '../api/index.js';
import type { EventsApi } from '../api/index.js';
import type { Config } from '../config/index.js';
import { OutboxRelay, type EventSink } from '../events/index.js';
import { RabbitmqSink } from '../events/sinks/rabbitmq/index.js';
import { checkWebhookUrl, WebhookDispatcher, WebhookSink } from '../events/sinks/webhook/index.js';
import { parseAllowList, type AllowList } from '../fetch/index.js';
import type { Logger } from '../lib/index.js';
import type { KyselyJobRepository } from '../storage/index.js';
import type { Component, ReadinessChecks } from './lifecycle.js';
import type { Part } from './roles.js';

/** `/readyz` counts webhook deliveries waiting for a retry up to this many (a bounded query). */
const RETRYING_WEBHOOKS_REPORTED = 100;

/** The outbox relay of a role with `events`, and what the API reads of events and webhooks. */
export interface Events {
  /** Publishes the outbox (RabbitMQ, webhooks); one per database leads. Undefined in roles without `events`. */
  relay: OutboxRelay | undefined;
  /** The event log and webhook deliveries, for the API. */
  api: EventsApi;
  /** Checks a webhook URL submitted with a job or a crawl against the private-network guard. */
  checkWebhookUrl: (url: string) => Promise<void>;
  component: Component | undefined;
}

/**
 * The relay and its sinks (webhooks always, RabbitMQ when `DISTILL_AMQP_URL` is set), in roles
 * that run `events`. Its checks are reported, not required: an outage of RabbitMQ or of webhook
 * receivers loses no work (events wait in the outbox, failed webhook calls are retried) and blocks
 * nothing the process is asked to do, so taking the process out of a load balancer would only stop
 * the work that does go on.
 */
export function buildEvents(
  config: Config,
  parts: ReadonlySet<Part>,
  deps: { repository: KyselyJobRepository; logger: Logger },
): Events {
  const { repository, logger } = deps;
  const allow: AllowList = parseAllowList(config.fetchAllow);
  const giveUpMs = config.webhookGiveUpSeconds * 1000;
  const check = (url: string): Promise<void> => checkWebhookUrl(url, { allow });
  const api: EventsApi = {
    listEventLog: (o) => repository.listEventLog(o),
    listWebhookDeliveries: (jobId, o) => repository.listWebhookDeliveries(jobId, o),
    replayWebhookDelivery: (jobId, id) => repository.replayWebhookDelivery(jobId, id, giveUpMs),
    replayFailedWebhookDeliveries: (jobId) => repository.replayFailedWebhookDeliveries(jobId, giveUpMs),
    checkWebhookUrl: check,
  };
  if (!parts.has('events')) return { relay: undefined, api, checkWebhookUrl: check, component: undefined };

  // Owned by the relay (it closes its sinks); its check is asked by /readyz.
  const rabbitmq = config.amqpUrl
    ? new RabbitmqSink({ url: config.amqpUrl, logger: logger.child({ component: 'rabbitmq' }) })
    : undefined;
  const relay = new OutboxRelay({
    store: repository,
    sinks: [
      new WebhookSink({ store: repository, giveUpMs }),
      ...(rabbitmq ? [rabbitmq] : []),
    ] satisfies EventSink[],
    leaderTask: new WebhookDispatcher({
      store: repository,
      allow,
      timeoutMs: config.webhookTimeoutMs,
      retryBaseMs: config.webhookRetryBaseMs,
      concurrency: config.webhookConcurrency,
      userAgent: config.userAgent,
      logger: logger.child({ component: 'webhooks' }),
    }),
    pollIntervalMs: config.eventPollMs,
    retentionMs: config.eventRetentionSeconds * 1000,
    pruneDeliveries: (before, limit) => repository.deleteFinishedWebhookDeliveries(before, limit),
    logger: logger.child({ component: 'outbox-relay' }),
  });
  const readiness: ReadinessChecks = {};
  if (rabbitmq) {
    readiness.rabbitmq = {
      probe: () => rabbitmq.check(),
      isRequired: false,
      describe: () => 'RabbitMQ is not reachable; events wait in the outbox',
    };
  }
  readiness.webhooks = {
    isRequired: false,
    probe: async () => {
      const retrying = await repository.countRetryingWebhookDeliveries(RETRYING_WEBHOOKS_REPORTED);
      if (retrying > 0) {
        const count =
          retrying >= RETRYING_WEBHOOKS_REPORTED ? `${RETRYING_WEBHOOKS_REPORTED} or more` : String(retrying);
        throw new ReadinessError(
          `${count} webhook deliveries wait for a retry: their receivers did not accept the last call`,
        );
      }
    },
  };
  return {
    relay,
    api,
    checkWebhookUrl: check,
    component: { name: 'event relay', start: () => relay.start(), stop: () => relay.stop(), readiness },
  };
}
