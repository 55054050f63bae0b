import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.js';
import type { RouteContext } from '../route-context.js';
import { problemResponses } from '../schemas.js';
import { documentVersionsSchema } from '../schemas-crawls.js';
import { iso } from '../views.js';

/** Registers `GET /v1/documents/:id/versions`. */
export function documentVersionRoutes(context: RouteContext<'documentVersions'>) {
  const { documentVersions: versions } = context.services;
  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/documents/:id/versions',
      {
        schema: {
          summary: "A document's current version and its earlier ones, newest first",
          description:
            'A version is kept each time a re-extraction changes the main text (the last DISTILL_DOCUMENT_VERSIONS); ' +
            '`changes` summarises how the next version differs. `text=false` leaves out text and Markdown.',
          tags: ['documents'],
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
          },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
              text: { type: 'string', enum: ['true', 'false'], default: 'true' },
            },
          },
          response: { 200: documentVersionsSchema, ...problemResponses },
        },
      },
      async (
        request: FastifyRequest<{
          Params: { id: string };
          Querystring: { limit: number; text: 'true' | 'false' };
        }>,
      ) => {
        const { current, versions: items } = await versions.listDocumentVersions(request.params.id, {
          limit: request.query.limit,
        });
        if (!current)
          throw new ApiError(
            'document_not_found',
            `No document with id ${JSON.stringify(request.params.id)}`,
          );
        const withText = request.query.text === 'true';
        return {
          documentId: request.params.id,
          current: {
            version: current.version,
            contentHash: current.contentHash,
            fetchedAt: iso(current.fetchedAt),
          },
          items: items.map((v) => ({
            version: v.version,
            contentHash: v.contentHash,
            title: v.title,
            wordCount: v.wordCount,
            ...(withText ? { text: v.text, markdown: v.markdown } : {}),
            fetchedAt: iso(v.fetchedAt),
            replacedAt: iso(v.replacedAt),
            changes: v.changes,
          })),
        };
      },
    );
    done();
  };
}
