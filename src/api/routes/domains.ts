import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RouteContext } from '../route-context.js';
import { problemResponses } from '../schemas.js';

const ruleSchema = {
  type: 'object',
  additionalProperties: true,
  properties: {
    pattern: { type: 'string', description: 'A host (`example.com`) or its subdomains (`*.example.com`)' },
    ratePerSecond: { type: 'number', description: 'Requests per second to each matching host' },
    concurrency: { type: 'integer', description: 'Requests in flight to each matching host' },
    render: { type: 'string', enum: ['never', 'auto', 'always'] },
    robots: { type: 'string', enum: ['respect', 'ignore'] },
    proxyPool: { type: 'string' },
    timeoutMs: { type: 'integer' },
    headers: {
      type: 'object',
      additionalProperties: { type: 'string' },
      description: 'Sent only to matching hosts; stored sealed, shown as "[set]"',
    },
    source: { type: 'string', enum: ['tenant', 'config'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const patternParams = {
  type: 'object',
  required: ['pattern'],
  properties: { pattern: { type: 'string', maxLength: 260 } },
} as const;
const anyBody = { type: 'object', additionalProperties: true } as const;

type PatternRequest = FastifyRequest<{ Params: { pattern: string } }>;

/** `/v1/domains` (issue 20): the tenant's per-domain settings, beside the configuration's. */
export function domainRoutes(context: RouteContext<'domains'>) {
  const { domains } = context.services;
  return (app: FastifyInstance, _options: unknown, done: () => void): void => {
    app.get(
      '/v1/domains',
      {
        schema: {
          tags: ['domains'],
          summary: "List domain rules (yours, then the configuration's)",
          response: {
            200: { type: 'object', properties: { items: { type: 'array', items: ruleSchema } } },
            ...problemResponses,
          },
        },
      },
      async (request) => ({ items: await domains.list(request.tenant) }),
    );
    app.get(
      '/v1/domains/:pattern',
      {
        schema: {
          tags: ['domains'],
          summary: 'One of your domain rules',
          params: patternParams,
          response: { 200: ruleSchema, ...problemResponses },
        },
      },
      async (request: PatternRequest) => domains.get(request.tenant, request.params.pattern),
    );
    const put = async (
      request: FastifyRequest<{ Params: { pattern?: string }; Body: unknown }>,
      reply: { code(status: number): unknown },
    ) => {
      const { rule, isCreated } = await domains.put(request.tenant, request.params.pattern, request.body);
      reply.code(isCreated ? 201 : 200);
      return rule;
    };
    app.put(
      '/v1/domains',
      {
        schema: {
          tags: ['domains'],
          summary: 'Create or replace a domain rule (pattern in the body)',
          body: anyBody,
          response: { 200: ruleSchema, 201: ruleSchema, ...problemResponses },
        },
      },
      put,
    );
    app.put(
      '/v1/domains/:pattern',
      {
        schema: {
          tags: ['domains'],
          summary: 'Create or replace a domain rule',
          params: patternParams,
          body: anyBody,
          response: { 200: ruleSchema, 201: ruleSchema, ...problemResponses },
        },
      },
      put,
    );
    app.delete(
      '/v1/domains/:pattern',
      {
        schema: {
          tags: ['domains'],
          summary: 'Delete one of your domain rules',
          params: patternParams,
          response: { 204: { type: 'null' }, ...problemResponses },
        },
      },
      async (request: PatternRequest, reply) => {
        await domains.delete(request.tenant, request.params.pattern);
        return reply.code(204).send();
      },
    );
    done();
  };
}
