import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JobChunkView } from '../../client/types.js';
import { CHUNK_LIMITS, checkChunkSettings } from '../../extract/index.js';
import type { ChunkSettings, JobOptions } from '../../jobs/index.js';
import { ApiError } from '../api-error.js';
import { ownedJobOf } from '../auth.js';
import type { RouteContext } from '../route-context.js';
import { chunkSchema } from '../ai-options.js';
import { documentSchema, jobIdParamsSchema, problemResponses } from '../schemas.js';
import { chunksOf, toDocumentView } from '../views.js';

/** Results read per page while the chunks stream: documents can be large. */
const PAGE_SIZE = 50;

const chunkQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    chunkTokens: {
      type: 'integer',
      description: `Token budget of one chunk (default: the job's, or ${CHUNK_LIMITS.defaultTokens})`,
    },
    chunkOverlap: {
      type: 'integer',
      description: `Overlap in tokens (default: the job's, or ${CHUNK_LIMITS.defaultOverlap})`,
    },
  },
} as const;

interface ChunkQuery {
  chunkTokens?: number;
  chunkOverlap?: number;
}

/** The chunk settings of a request: the query's, else the job's, else the defaults; checked (`invalid_chunk_settings`). */
function settingsOf(query: ChunkQuery, job: ChunkSettings | undefined): ChunkSettings {
  const maxTokens = query.chunkTokens ?? job?.maxTokens ?? CHUNK_LIMITS.defaultTokens;
  const overlapTokens =
    query.chunkOverlap ??
    (query.chunkTokens === undefined ? job?.overlapTokens : undefined) ??
    Math.min(CHUNK_LIMITS.defaultOverlap, Math.floor(maxTokens / 2));
  try {
    checkChunkSettings(maxTokens, overlapTokens);
  } catch (error) {
    throw new ApiError('invalid_chunk_settings', (error as Error).message);
  }
  return { maxTokens, overlapTokens };
}

/**
 * `GET /v1/jobs/:id/chunks` (NDJSON, every chunk of every result of the job, in item order) and
 * `GET /v1/documents/:id/chunks` (one document's chunks as JSON). Chunks are cut from the stored
 * Markdown when asked for (about 4 ms of CPU per document, `npm run bench -- chunks`), so each job
 * gets its own sizes from documents that jobs share.
 */
export function chunkRoutes(context: RouteContext) {
  const { repository } = context.services;

  async function* streamChunks(jobId: string, settings: ChunkSettings): AsyncGenerator<string> {
    let cursor: string | undefined;
    do {
      const page = await repository.listResults(jobId, { limit: PAGE_SIZE, cursor });
      for (const { item, document } of page.items) {
        let lines = '';
        for (const chunk of chunksOf(document, settings)) {
          const line: JobChunkView = { seq: item.seq, documentId: document.id, url: document.url, ...chunk };
          lines += `${JSON.stringify(line)}\n`;
        }
        if (lines !== '') yield lines;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.get(
      '/v1/jobs/:id/chunks',
      {
        schema: {
          summary: "Every chunk of a job's documents, as NDJSON",
          description:
            'One JSON chunk per line ({seq, documentId, url, id, index, text, headings, tokens}), documents in item order. ' +
            "Sizes are the job's chunkTokens and chunkOverlap unless the query sets others; 400 invalid_chunk_settings when out of range.",
          tags: ['jobs'],
          params: jobIdParamsSchema,
          querystring: chunkQuerySchema,
          response: {
            200: {
              content: {
                'application/x-ndjson': { schema: { type: 'string', description: 'One chunk per line' } },
              },
            },
            ...problemResponses,
          },
        },
      },
      (request: FastifyRequest<{ Params: { id: string }; Querystring: ChunkQuery }>, reply: FastifyReply) => {
        const options: JobOptions = ownedJobOf(request).options;
        const settings = settingsOf(request.query, options.chunking);
        return reply
          .type('application/x-ndjson; charset=utf-8')
          .send(Readable.from(streamChunks(request.params.id, settings)));
      },
    );

    app.get(
      '/v1/documents/:id/chunks',
      {
        schema: {
          summary: "A document's chunks",
          description:
            "The document (as GET /v1/documents/:id) with `chunks`, cut with the query's sizes (default 512 tokens, 64 of overlap).",
          tags: ['documents'],
          params: {
            type: 'object',
            required: ['id'],
            properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
          },
          querystring: chunkQuerySchema,
          response: {
            200: {
              type: 'object',
              required: [...documentSchema.required, 'chunks'],
              properties: { ...documentSchema.properties, chunks: { type: 'array', items: chunkSchema } },
            },
            ...problemResponses,
          },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string }; Querystring: ChunkQuery }>) => {
        const settings = settingsOf(request.query, undefined);
        const document = await repository.getDocument(request.params.id);
        if (!document)
          throw new ApiError(
            'document_not_found',
            `No document with id ${JSON.stringify(request.params.id)}`,
          );
        return { ...toDocumentView(document), chunks: chunksOf(document, settings) };
      },
    );
    done();
  };
}
