import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentFormatName, JobOptionsInput as WireJobOptions } from '../../client/types.js';
import { UploadFailedError } from '../../jobs/index.js';
import { aiOptionsInputProperties, FORMAT_NAMES, formatsInputSchema } from '../ai-options.js';
import { ApiError, ApiValidationError, FileExtractionError } from '../api-error.js';
import { sendProblem } from '../error-handler.js';
import { bindJobId } from '../request-log.js';
import { signalOfResponse, toDomainOptions, type RouteContext } from '../route-context.js';
import { OCR_LANGUAGE_PATTERN, problemResponses, submitResponseSchema } from '../schemas.js';
import type { UploadInput } from '../services.js';
import { toJobView, toSubmissionSummary } from '../views.js';

const FORMAT_NAME = `(${FORMAT_NAMES.join('|')})`;
const FORMAT_LIST = `^${FORMAT_NAME}(,${FORMAT_NAME})*$`;
const LANGUAGE = OCR_LANGUAGE_PATTERN.slice(1, -1);
/** The multipart `options` field: a JSON schema of the json format takes up to 32 KiB, its prompt more. */
const MAX_OPTIONS_FIELD_BYTES = 64 * 1024;

const filesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: {
      type: 'string',
      minLength: 1,
      maxLength: 255,
      description: 'File name for a raw body (a multipart part names its own)',
    },
    formats: {
      type: 'string',
      pattern: FORMAT_LIST,
      description: 'Comma-separated formats (json needs its schema: the multipart `options` field)',
    },
    ocrLanguages: {
      type: 'string',
      pattern: `^${LANGUAGE}(,${LANGUAGE}){0,7}$`,
      description: 'Comma-separated Tesseract languages, e.g. eng,deu',
    },
  },
} as const;

/**
 * The multipart `options` field, JSON: the options of `POST /v1/jobs` that apply to a file
 * (formats with json's schema and prompt, chunk sizes, the model's settings, OCR languages).
 */
const uploadOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    formats: formatsInputSchema,
    ...aiOptionsInputProperties,
    ocrLanguages: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      items: { type: 'string', pattern: OCR_LANGUAGE_PATTERN },
    },
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
 * named `file`, or the first file part, and an optional JSON `options` field) or as the raw body
 * with the file's own Content-Type. The file is the one item of a new job, run during the request
 * (extraction in the threads, bounded by their time limit; json/summary through the model), and
 * the answer comes when it is done: 202 with the job, as a submission. A file that cannot be
 * extracted is a failed item of that job: 422 (503 when it may pass) with the item's code and the
 * job's id. One over `maxUploadBytes` gets 413 `file_too_large` and makes no job.
 */
export function fileRoutes(context: RouteContext<'files'>) {
  const { services, options } = context;
  const maxBytes = options.maxUploadBytes;

  const tooLarge = (): ApiError =>
    new ApiError(
      'file_too_large',
      `The file is larger than this server takes (${maxBytes} bytes, DISTILL_MAX_UPLOAD_BYTES)`,
      {
        extensions: { limit: maxBytes },
      },
    );

  async function readUpload(
    request: FastifyRequest<{ Querystring: FilesQuery }>,
  ): Promise<Omit<UploadInput, 'options' | 'tenant' | 'signal'> & { options?: WireJobOptions }> {
    if (!request.isMultipart()) {
      const body = request.body;
      if (!(body instanceof Uint8Array) || body.length === 0)
        throw new ApiValidationError('body', 'must hold the file (it is empty)');
      return { body, contentType: request.headers['content-type'], fileName: request.query.name };
    }
    let file: Omit<UploadInput, 'options' | 'tenant' | 'signal'> | undefined;
    let options: WireJobOptions | undefined;
    // Every part is read: the `options` field may come before the file or after it.
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (part.fieldname === 'options') options = parseOptionsField(request, part.value);
        continue;
      }
      if (file !== undefined) continue;
      // toBuffer() throws FST_REQ_FILE_TOO_LARGE past the limit; the rest of the body is not kept.
      const body = await part.toBuffer();
      if (body.length === 0) throw new ApiValidationError('file', 'is empty');
      file = { body, contentType: part.mimetype, fileName: part.filename || request.query.name };
    }
    if (file === undefined)
      throw new ApiValidationError('file', 'is missing: send the file as a multipart part named `file`');
    return options === undefined ? file : { ...file, options };
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    // Every body is the file here: JSON, XML or text included, so the inherited parsers go.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_request, body, parsed) =>
      parsed(null, body),
    );
    void app.register(multipart, {
      limits: {
        fileSize: maxBytes,
        files: 1,
        fields: 10,
        fieldSize: MAX_OPTIONS_FIELD_BYTES,
        parts: 20,
        headerPairs: 100,
      },
    });
    app.setErrorHandler((error, request, reply) => {
      const code = (error as { code?: unknown }).code;
      return sendProblem(
        typeof code === 'string' && TOO_LARGE_CODES.has(code) ? tooLarge() : error,
        request,
        reply,
      );
    });

    app.post(
      '/v1/files',
      {
        bodyLimit: maxBytes,
        schema: {
          summary: 'Extract an uploaded file',
          description:
            'The file as multipart/form-data (part `file`, and optionally a field `options`: JSON, the options of POST /v1/jobs ' +
            "that apply to a file: formats with json's schema, chunkTokens, llm, ocrLanguages) or as the raw body with its " +
            'Content-Type (`?name=` names it). It is the one item of a new job, run now: extracted, then json/summary through ' +
            'the model as for URLs; the answer comes when it is done (202, as a submission, the job completed). ' +
            'GET /v1/jobs/{id}/results reads its document. 413 file_too_large over DISTILL_MAX_UPLOAD_BYTES; a file that ' +
            "cannot be extracted is a failed item of its job: 422 with the item's code (unsupported_content_type, " +
            'encrypted_document, ...) and `jobId`, or 503 with Retry-After for extractor_busy.',
          tags: ['jobs'],
          querystring: filesQuerySchema,
          response: { 202: submitResponseSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Querystring: FilesQuery }>, reply: FastifyReply) => {
        const { formats, ocrLanguages } = request.query;
        const file = await readUpload(request);
        // The query's names, then the `options` field (which wins where both say).
        const wire: WireJobOptions = {
          ...(formats !== undefined ? { formats: formats.split(',') as DocumentFormatName[] } : {}),
          ...(ocrLanguages !== undefined ? { ocrLanguages: ocrLanguages.split(',') } : {}),
          ...file.options,
        };
        const jobOptions = toDomainOptions(wire, undefined, {
          isLlmConfigured: services.isLlmConfigured === true,
        });
        let result;
        try {
          result = await services.files.upload({
            ...file,
            options: jobOptions,
            tenant: request.tenant,
            signal: signalOfResponse(request, reply),
          });
        } catch (error) {
          if (!(error instanceof UploadFailedError)) throw error;
          // The job exists and its item failed with this code: the answer says both.
          bindJobId(request, reply, error.result.job.id);
          throw new FileExtractionError({
            code: error.code,
            message: `${file.fileName ?? 'The file'}: ${error.message} (job ${error.result.job.id} holds the failed item)`,
            fileName: file.fileName,
            isRetryable: error.isRetryable,
            jobId: error.result.job.id,
            cause: error,
          });
        }
        bindJobId(request, reply, result.job.id);
        const view = toJobView(result.job);
        return reply
          .code(202)
          .header('location', view.links.self)
          .send({ job: view, submission: toSubmissionSummary(result) });
      },
    );
    done();
  };
}

/** The multipart `options` field, parsed and checked against {@link uploadOptionsSchema}. */
function parseOptionsField(request: FastifyRequest, value: unknown): WireJobOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(String(value));
  } catch {
    throw new ApiValidationError(
      'options',
      'must be JSON: the options of POST /v1/jobs that apply to a file',
    );
  }
  const validate = request.compileValidationSchema(uploadOptionsSchema);
  if (!validate(parsed)) {
    const first = validate.errors?.[0];
    throw new ApiValidationError(`options${first?.instancePath ?? ''}`, first?.message ?? 'is not valid');
  }
  return parsed as WireJobOptions;
}
