import type { FastifyInstance, FastifyRequest } from 'fastify';
import { toEnvelope } from '../../events/index.js';
import type { RouteContext } from '../route-context.js';
import { problemResponses } from '../schemas.js';

const TYPE_LIST = '^[a-z]+\\.(?:[a-zA-Z]+|\\*)(?:,[a-z]+\\.(?:[a-zA-Z]+|\\*))*$';

const eventSchema = {
  type: 'object',
  required: ['id', 'type', 'createdAt', 'jobId', 'data'],
  properties: {
    id: {
      type: 'string',
      description: 'Stable event id (decimal): dedupe by it; pass the last one seen as `after`',
    },
    type: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    jobId: { type: ['string', 'null'] },
    data: { type: 'object', additionalProperties: true },
  },
} as const;

/**
 * `GET /v1/events`: the event log itself, oldest first, so a client that was away catches up
 * without a broker: it pages with `after=<next>` until `hasMore` is false, then keeps polling.
 * Events are kept `DISTILL_EVENT_RETENTION` seconds after they were published.
 */
export function eventLogRoutes(context: RouteContext<'events'>) {
  const { events } = context.services;
  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/events',
      {
        schema: {
          summary: 'The event log: every event of every job, oldest first',
          description:
            'Events after the id `after` (exclusive; 0 or omitted: from the oldest kept). `type`: comma-separated names or ' +
            '`noun.*` prefixes (`job.*,item.failed`). `next` is the id to pass as `after` for the next page (or the next poll).',
          tags: ['jobs'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              // Bounded: a larger id is beyond a SQL bigint, which PostgreSQL refuses to compare.
              after: {
                type: 'integer',
                minimum: 0,
                maximum: Number.MAX_SAFE_INTEGER,
                description: 'Event id; only later events are returned',
              },
              type: { type: 'string', maxLength: 500, pattern: TYPE_LIST },
              jobId: { type: 'string', minLength: 1, maxLength: 128 },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['items', 'next', 'hasMore'],
              properties: {
                items: { type: 'array', items: eventSchema },
                next: { type: 'string' },
                hasMore: { type: 'boolean' },
              },
            },
            ...problemResponses,
          },
        },
      },
      async (
        request: FastifyRequest<{
          Querystring: { after?: number; type?: string; jobId?: string; limit: number };
        }>,
      ) => {
        const { after = 0, type, jobId, limit } = request.query;
        const rows = await events.listEventLog({
          afterId: after,
          types: type?.split(','),
          jobId,
          tenant: request.tenant,
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        return {
          items: page.map(toEnvelope),
          next: String(page.at(-1)?.id ?? after),
          hasMore: rows.length > limit,
        };
      },
    );
    done();
  };
}
