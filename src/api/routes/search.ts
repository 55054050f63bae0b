import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_SEARCH_QUERY_CHARS, parseSearchQuery, type SearchHit } from '../../jobs/index.js';
import { ApiError } from '../api-error.js';
import { ownedJobOf } from '../auth.js';
import type { RouteContext } from '../route-context.js';
import { jobIdParamsSchema, pageSchema, paginationQuerySchema, problemResponses } from '../schemas.js';

const rangesSchema = {
  type: 'array',
  items: { type: 'array', items: { type: 'integer' }, minItems: 2, maxItems: 2 },
  description: '[start, end) of each match, in UTF-16 code units',
} as const;

/** One hit of a search, as the API shows it. */
export const searchHitSchema = {
  type: 'object',
  required: ['documentId', 'url', 'title', 'score', 'snippet', 'highlights', 'titleHighlights', 'links'],
  properties: {
    documentId: { type: 'string' },
    url: { type: 'string' },
    title: { type: ['string', 'null'] },
    lang: { type: ['string', 'null'] },
    wordCount: { type: 'integer' },
    fetchedAt: { type: 'string', format: 'date-time' },
    score: { type: 'number', description: 'Higher is better; comparable within one search only' },
    snippet: {
      type: 'string',
      description: 'Plain text around the first match, whitespace collapsed, … where cut',
    },
    highlights: rangesSchema,
    titleHighlights: rangesSchema,
    links: { type: 'object', properties: { document: { type: 'string' } } },
  },
} as const;

const searchQuerySchema = paginationQuerySchema(10, 50, {
  q: {
    type: 'string',
    minLength: 1,
    maxLength: MAX_SEARCH_QUERY_CHARS,
    description: 'The query (see docs/api.md#search)',
  },
});
const searchQueryRequired = { ...searchQuerySchema, required: ['q'] } as const;

const DESCRIPTION =
  'Full-text search in the database (SQLite FTS5, PostgreSQL tsvector, MySQL FULLTEXT), best first. `q`: words (all ' +
  'must match), "a phrase", `a OR b`, `-excluded`, `prefix*`. A query that cannot be searched is a 400 ' +
  '`invalid_search_query` with a `reason`.';

type SearchRequest = FastifyRequest<{
  Querystring: { q: string; limit: number; cursor?: string };
  Params: { id?: string };
}>;

/** A hit as the API shows it: times as ISO strings, a link to the whole document. */
function toHitView(hit: SearchHit) {
  return {
    ...hit,
    fetchedAt: new Date(hit.fetchedAt).toISOString(),
    links: { document: `/v1/documents/${encodeURIComponent(hit.documentId)}` },
  };
}

/** Registers `GET /v1/documents/search` (the tenant's documents) and `GET /v1/jobs/:id/documents/search` (one job's). */
export function searchRoutes(context: RouteContext<'search'>) {
  const { search } = context.services;

  async function run(request: SearchRequest, jobId: string | undefined) {
    const parsed = parseSearchQuery(request.query.q);
    if (!parsed.ok)
      throw new ApiError('invalid_search_query', parsed.message, { extensions: { reason: parsed.reason } });
    const page = await search.searchDocuments({
      query: parsed.query,
      tenant: request.tenant,
      jobId,
      limit: request.query.limit,
      cursor: request.query.cursor,
    });
    return { items: page.items.map(toHitView), nextCursor: page.nextCursor };
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/documents/search',
      {
        schema: {
          summary: 'Search the documents of this tenant’s jobs',
          description: DESCRIPTION,
          tags: ['documents'],
          querystring: searchQueryRequired,
          response: { 200: pageSchema(searchHitSchema), ...problemResponses },
        },
      },
      (request: SearchRequest) => run(request, undefined),
    );
    app.get(
      '/v1/jobs/:id/documents/search',
      {
        schema: {
          summary: 'Search the documents of one job',
          description: DESCRIPTION,
          tags: ['jobs'],
          params: jobIdParamsSchema,
          querystring: searchQueryRequired,
          response: { 200: pageSchema(searchHitSchema), ...problemResponses },
        },
      },
      (request: SearchRequest) => run(request, ownedJobOf(request).id),
    );
    done();
  };
}
