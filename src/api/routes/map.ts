import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MapRequest } from '../../crawls/index.js';
import { ApiError, ApiValidationError } from '../api-error.js';
import { signalOfResponse, type RouteContext } from '../route-context.js';
import { problemResponses } from '../schemas.js';

/** The largest `limit` of a map (`MAX_MAP_LIMIT` of src/crawls). */
const MAX_LIMIT = 100_000;

const patternsSchema = {
  type: 'array',
  maxItems: 50,
  items: { type: 'string', minLength: 1, maxLength: 500 },
} as const;

/** Body of `POST /v1/map`. */
export const mapBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  examples: [{ url: 'https://example.com/', search: 'blog', limit: 1000 }],
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 8192 },
    search: { type: 'string', maxLength: 500 },
    include: patternsSchema,
    exclude: patternsSchema,
    sameHost: { type: 'boolean' },
    includeSubdomains: { type: 'boolean' },
    sitemap: { enum: ['include', 'skip', 'only'] },
    ignoreQueryParameters: { type: 'boolean' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
    pagesBeyond: { type: 'integer', minimum: 0, maximum: 100 },
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 300_000 },
  },
} as const;

const mapResponseSchema = {
  type: 'object',
  required: ['url', 'count', 'links', 'warnings', 'isPartial'],
  properties: {
    url: { type: 'string' },
    count: { type: 'integer' },
    isPartial: { type: 'boolean' },
    read: { type: 'object', additionalProperties: true },
    links: {
      type: 'array',
      items: {
        type: 'object',
        required: ['url', 'source'],
        properties: { url: { type: 'string' }, source: { type: 'string' }, title: { type: 'string' } },
      },
    },
    warnings: {
      type: 'array',
      items: {
        type: 'object',
        properties: { url: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** A map's bad filter (`TypeError`/`RangeError` with a `field` or a `pattern`) as a problem; anything else unchanged. */
export function toMapProblem(error: unknown): unknown {
  if (!(error instanceof TypeError || error instanceof RangeError)) return error;
  const { field, pattern } = error as { field?: unknown; pattern?: unknown };
  if (field === 'url') return new ApiError('invalid_url', error.message);
  if (typeof pattern === 'string')
    return new ApiValidationError(`/${field === 'exclude' ? 'exclude' : 'include'}`, error.message);
  if (typeof field === 'string') return new ApiValidationError(`/${field}`, error.message);
  return error;
}

/** Registers `POST /v1/map`: a site's URLs from its sitemaps, llms.txt and links, without extraction. */
export function mapRoutes(context: RouteContext<'map'>) {
  const { map } = context.services;
  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.post(
      '/v1/map',
      {
        schema: {
          summary: "List a site's URLs",
          description:
            "Reads robots.txt's sitemaps (or /sitemap.xml), sitemap indexes (gzip too), /llms.txt, and the links of the home page " +
            'and of `pagesBeyond` pages; filters by `search`, `include`/`exclude` patterns and host; extracts nothing and stores ' +
            'nothing. What could not be read is in `warnings`; the rest is kept.',
          tags: ['crawls'],
          body: mapBodySchema,
          response: { 200: mapResponseSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Body: Omit<MapRequest, 'signal'> }>, reply) => {
        let result;
        try {
          result = await map.map({ ...request.body, signal: signalOfResponse(request, reply) });
        } catch (error) {
          throw toMapProblem(error);
        }
        return {
          url: result.url,
          count: result.links.length,
          isPartial: result.isPartial,
          read: result.read,
          links: result.links,
          warnings: result.warnings,
        };
      },
    );
    done();
  };
}
