import type { FastifyInstance, FastifyRequest } from 'fastify';
import { normalizeUrl } from '../../jobs/index.js';
import { ApiError } from '../api-error.js';
import type { RouteContext } from '../route-context.js';
import { documentSchema, problemResponses } from '../schemas.js';
import { toDocumentView } from '../views.js';

/** Registers `GET /v1/documents/:id` and `GET /v1/documents?url=`. */
export function documentRoutes(context: RouteContext) {
  const { repository } = context.services;

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/documents/:id',
      {
        schema: {
          summary: 'A stored document by id',
          tags: ['documents'],
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
          },
          response: { 200: documentSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const document = await repository.getDocument(request.params.id);
        if (!document)
          throw new ApiError(
            'document_not_found',
            `No document with id ${JSON.stringify(request.params.id)}`,
          );
        return toDocumentView(document);
      },
    );

    app.get(
      '/v1/documents',
      {
        schema: {
          summary: 'The stored document of a URL',
          description:
            'The URL is normalised first (scheme and host case, default port, fragment, percent-encoding).',
          tags: ['documents'],
          querystring: {
            type: 'object',
            additionalProperties: false,
            required: ['url'],
            properties: { url: { type: 'string', minLength: 1, maxLength: 8192 } },
          },
          response: { 200: documentSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Querystring: { url: string } }>) => {
        const normalized = normalizeUrl(request.query.url);
        if (!normalized.ok) {
          throw new ApiError('invalid_url', normalized.message, {
            extensions: { reason: normalized.reason },
          });
        }
        const document = await repository.getDocumentByUrl(normalized.url, request.tenant);
        if (!document) throw new ApiError('document_not_found', `No document for ${normalized.url}`);
        return toDocumentView(document);
      },
    );
    done();
  };
}
