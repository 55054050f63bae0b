import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentFormatName } from '../../client/types.js';
import { DistillError, RetryableError } from '../../lib/index.js';
import { ApiError, ApiValidationError, FileExtractionError } from '../api-error.js';
import { sendProblem } from '../error-handler.js';
import { bindJobId } from '../request-log.js';
import { signalOfResponse, toDomainOptions, type RouteContext } from '../route-context.js';
import { OCR_LANGUAGE_PATTERN, problemResponses, submitResponseSchema } from '../schemas.js';
import type { UploadInput } from '../services.js';
import { toJobView, toSubmissionSummary } from '../views.js';

const FORMAT_LIST = '^(text|markdown|html|links)(,(text|markdown|html|links))*$';
const LANGUAGE = OCR_LANGUAGE_PATTERN.slice(1, -1);

const filesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255, description: 'File name for a raw body (a multipart part names its own)' },
    formats: { type: 'string', pattern: FORMAT_LIST, description: 'Comma-separated formats' },
    ocrLanguages: { type: 'string', pattern: `^${LANGUAGE}(,${LANGUAGE}){0,7}$`, description: 'Comma-separated Tesseract languages, e.g. eng,deu' },
  },
} as const;

interface FilesQuery {
  name?: string;
  formats?: string;
  ocrLanguages?: string;
}

/** Fastify's and @fastify/multipart's codes for a body or file over the limit. */
const TOO_LARGE_CODES = new Set(['FST_ERR_CTP_BODY_TOO_LARGE', 'FST_REQ_FILE_TOO_LARGE']);

/**
 * `POST /v1/files`: extracts a file that is not at a URL, sent as `multipart/form-data` (the part
 * named `file`, or the first file part) or as the raw body with the file's own Content-Type. The
 * file is extracted in the extraction threads during the request (bounded by the extraction time
 * limit) and stored as a one-item job, completed when the answer comes: 202 with the job, as a
 * submission, whose results are read like any job's. A file that cannot be extracted gets 422 with
 * the extraction's code and nothing is stored; one over `maxUploadBytes` gets 413 `file_too_large`.
 */
export function fileRoutes(context: RouteContext<'files'>) {
  const { services, options } = context;
  const maxBytes = options.maxUploadBytes;

  const tooLarge = (): ApiError =>
    new ApiError('file_too_large', `The file is larger than this server takes (${maxBytes} bytes, DISTILL_MAX_UPLOAD_BYTES)`, {
      extensions: { limit: maxBytes },
    });

  async function readUpload(request: FastifyRequest<{ Querystring: FilesQuery }>): Promise<Omit<UploadInput, 'options' | 'tenant' | 'signal'>> {
    if (!request.isMultipart()) {
      const body = request.body;
      if (!(body instanceof Uint8Array) || body.length === 0) throw new ApiValidationError('body', 'must hold the file (it is empty)');
      return { body, contentType: request.headers['content-type'], fileName: request.query.name };
    }
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      // toBuffer() throws FST_REQ_FILE_TOO_LARGE past the limit; the rest of the body is not kept.
      const body = await part.toBuffer();
      if (body.length === 0) throw new ApiValidationError('file', 'is empty');
      return { body, contentType: part.mimetype, fileName: part.filename || request.query.name };
    }
    throw new ApiValidationError('file', 'is missing: send the file as a multipart part named `file`');
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    // Every body is the file here: JSON, XML or text included, so the inherited parsers go.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, parsed) => parsed(null, body));
    void app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: 10, fieldSize: 1024, parts: 20, headerPairs: 100 } });
    app.setErrorHandler((error, request, reply) => {
      const code = (error as { code?: unknown }).code;
      return sendProblem(typeof code === 'string' && TOO_LARGE_CODES.has(code) ? tooLarge() : error, request, reply);
    });

    app.post(
      '/v1/files',
      {
        bodyLimit: maxBytes,
        schema: {
          summary: 'Extract an uploaded file',
          description:
            'The file as multipart/form-data (part `file`) or as the raw body with its Content-Type (`?name=` names it). ' +
            'It is extracted now and stored as a one-item job, completed when the answer comes (202, as a submission); ' +
            'GET /v1/jobs/{id}/results reads its document. 413 file_too_large over DISTILL_MAX_UPLOAD_BYTES; 422 with the ' +
            "extraction's code (unsupported_content_type, encrypted_document, ...) when it cannot be extracted.",
          tags: ['jobs'],
          querystring: filesQuerySchema,
          response: { 202: submitResponseSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Querystring: FilesQuery }>, reply: FastifyReply) => {
        const { formats, ocrLanguages } = request.query;
        const jobOptions = toDomainOptions({
          ...(formats !== undefined ? { formats: formats.split(',') as DocumentFormatName[] } : {}),
          ...(ocrLanguages !== undefined ? { ocrLanguages: ocrLanguages.split(',') } : {}),
        });
        const file = await readUpload(request);
        let result;
        try {
          result = await services.files.upload({ ...file, options: jobOptions, tenant: request.tenant, signal: signalOfResponse(request, reply) });
        } catch (error) {
          if (!(error instanceof DistillError) || error.code === 'aborted' || isStorageCode(error.code)) throw error;
          throw new FileExtractionError({
            code: error.code,
            message: `${file.fileName ?? 'The file'}: ${error.message}`,
            fileName: file.fileName,
            isRetryable: error instanceof RetryableError,
            cause: error,
          });
        }
        bindJobId(request, reply, result.job.id);
        const view = toJobView(result.job);
        return reply.code(202).header('location', view.links.self).send({ job: view, submission: toSubmissionSummary(result) });
      },
    );
    done();
  };
}

function isStorageCode(code: string): boolean {
  return code.startsWith('storage_');
}
