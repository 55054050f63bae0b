import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { ApiError } from '../api-error.js';
import type { RouteContext } from '../route-context.js';
import { jobIdParamsSchema, pageSchema, paginationQuerySchema, problemResponses } from '../schemas.js';

import type { EventsApi, WebhookDeliveryRecord } from '../services.js';

const isoOrNull = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The wire form of a delivery. */
export function toDeliveryView(delivery: WebhookDeliveryRecord) {
  return {
    id: delivery.id,
    eventId: String(delivery.eventId),
    eventType: delivery.eventType,
    url: delivery.url,
    status: delivery.status,
    attempts: delivery.attempts,
    lastError: delivery.lastError,
    lastHttpStatus: delivery.lastHttpStatus,
    nextAttemptAt: isoOrNull(delivery.nextAttemptAt),
    giveUpAt: new Date(delivery.giveUpAt).toISOString(),
    createdAt: new Date(delivery.createdAt).toISOString(),
    updatedAt: new Date(delivery.updatedAt).toISOString(),
    deliveredAt: isoOrNull(delivery.deliveredAt),
  };
}

const nullableString = { type: ['string', 'null'] } as const;
const nullableIsoTime = { type: ['string', 'null'], format: 'date-time' } as const;
const isoTime = { type: 'string', format: 'date-time' } as const;

export const deliverySchema = {
  type: 'object',
  required: [
    'id',
    'eventId',
    'eventType',
    'url',
    'status',
    'attempts',
    'lastError',
    'lastHttpStatus',
    'nextAttemptAt',
    'giveUpAt',
    'createdAt',
    'updatedAt',
    'deliveredAt',
  ],
  properties: {
    id: { type: 'string' },
    eventId: {
      type: 'string',
      description: 'The event delivered: its id in GET /v1/events and the Distill-Event-Id header',
    },
    eventType: { type: 'string' },
    url: { type: 'string' },
    status: {
      type: 'string',
      enum: ['pending', 'delivered', 'failed'],
      description: '`failed`: gave up (or refused by the private-network guard); replayable',
    },
    attempts: { type: 'integer' },
    lastError: nullableString,
    lastHttpStatus: { type: ['integer', 'null'] },
    nextAttemptAt: nullableIsoTime,
    giveUpAt: isoTime,
    createdAt: isoTime,
    updatedAt: isoTime,
    deliveredAt: nullableIsoTime,
  },
} as const;

const deliveryParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'deliveryId'],
  properties: {
    id: jobIdParamsSchema.properties.id,
    deliveryId: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;

/** The webhook URL of a submission, in the JSON body or (streamed bodies) the query string. */
function submittedWebhookUrl(request: FastifyRequest): string | undefined {
  const body = request.body as { webhook?: { url?: unknown } } | null | undefined;
  const fromBody = typeof body === 'object' && body !== null ? body.webhook?.url : undefined;
  if (typeof fromBody === 'string') return fromBody;
  const fromQuery = (request.query as { webhookUrl?: unknown } | undefined)?.webhookUrl;
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

/**
 * A `preHandler` for `POST /v1/jobs`: the job's webhook URL must pass the private-network guard
 * (as fetched URLs do) before the job is created, else 400 `invalid_webhook_url`. Registered at the
 * root by `buildApi`; every other route passes straight through.
 */
export function checkSubmittedWebhook(events: EventsApi): preHandlerAsyncHookHandler {
  return async (request) => {
    if (request.method !== 'POST' || request.routeOptions.url !== '/v1/jobs') return;
    const url = submittedWebhookUrl(request);
    if (url === undefined) return;
    try {
      await events.checkWebhookUrl(url);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'invalid_webhook_url') {
        throw new ApiError('invalid_webhook_url', (error as Error).message, {
          extensions: { url },
          cause: error,
        });
      }
      throw error;
    }
  };
}

/** Registers `/v1/jobs/:id/webhooks`: a job's deliveries, and their replay. */
export function webhookRoutes(context: RouteContext<'events'>) {
  const { events } = context.services;

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/jobs/:id/webhooks',
      {
        schema: {
          summary: "A job's webhook deliveries: one per event, with status, attempts and last error",
          tags: ['jobs'],
          params: jobIdParamsSchema,
          querystring: paginationQuerySchema(50, 500),
          response: { 200: pageSchema(deliverySchema), ...problemResponses },
        },
      },
      async (
        request: FastifyRequest<{ Params: { id: string }; Querystring: { cursor?: string; limit: number } }>,
      ) => {
        const page = await events.listWebhookDeliveries(request.params.id, {
          limit: request.query.limit,
          cursor: request.query.cursor,
        });
        return { items: page.items.map(toDeliveryView), nextCursor: page.nextCursor };
      },
    );

    app.post(
      '/v1/jobs/:id/webhooks/:deliveryId/replay',
      {
        schema: {
          summary: 'Send one webhook delivery again',
          description:
            'Whatever its status: it becomes pending, due now, with a fresh give-up deadline. Same event id and body.',
          tags: ['jobs'],
          params: deliveryParamsSchema,
          response: { 202: deliverySchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string; deliveryId: string } }>, reply) => {
        const delivery = await events.replayWebhookDelivery(request.params.id, request.params.deliveryId);
        if (!delivery) {
          throw new ApiError(
            'delivery_not_found',
            `Job ${request.params.id} has no webhook delivery ${request.params.deliveryId}`,
          );
        }
        return reply.code(202).send(toDeliveryView(delivery));
      },
    );

    app.post(
      '/v1/jobs/:id/webhooks/replay',
      {
        schema: {
          summary: 'Send every failed webhook delivery of a job again',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          response: {
            202: { type: 'object', required: ['replayed'], properties: { replayed: { type: 'integer' } } },
            ...problemResponses,
          },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
        return reply
          .code(202)
          .send({ replayed: await events.replayFailedWebhookDeliveries(request.params.id) });
      },
    );
    done();
  };
}
