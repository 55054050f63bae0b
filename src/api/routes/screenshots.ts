import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.js';
import type { RouteContext } from '../route-context.js';

import { problemResponses } from '../schemas.js';

/** Registers `GET /v1/documents/:id/screenshot`. Without a reader every document has none (404). */
export function screenshotRoutes(context: RouteContext) {
  const { repository, screenshots: reader } = context.services;

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/documents/:id/screenshot',
      {
        schema: {
          summary: 'The screenshot of a rendered document (PNG)',
          description:
            'Present when the document was rendered by a job with `screenshot: "viewport"` or `"fullPage"`. 404 ' +
            '`document_not_found` when there is no such document, `not_found` when it has no screenshot (never rendered, ' +
            'or fetched again since without one).',
          tags: ['documents'],
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
          },
          response: {
            200: {
              description: 'The PNG',
              content: { 'image/png': { schema: { type: 'string', format: 'binary' } } },
            },
            ...problemResponses,
          },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        const { id } = request.params;
        const screenshot = reader ? await reader.getScreenshot(id) : null;
        if (!screenshot) {
          const document = await repository.getDocument(id);
          if (!document)
            throw new ApiError('document_not_found', `No document with id ${JSON.stringify(id)}`);
          throw new ApiError('not_found', `Document ${JSON.stringify(id)} has no screenshot`);
        }
        const body = Buffer.from(screenshot.png.buffer, screenshot.png.byteOffset, screenshot.png.byteLength);
        return reply
          .type(screenshot.mimeType)
          .header('cache-control', 'private, max-age=60')
          .header('x-content-type-options', 'nosniff')
          .send(body);
      },
    );
    done();
  };
}
