import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ProblemDetails } from '../client/types.js';
import { NoValidUrlsError, QueuedUrlsLimitError, SubmissionInterruptedError } from '../jobs/index.js';
import { ApiError, FileExtractionError, ItemFailedError } from './api-error.js';
import {
  ITEM_FAILED_STATUS,
  PROBLEM_STATUS,
  PROBLEM_TITLES,
  problemType,
  type ApiErrorCode,
} from './problem-codes.js';
import { describeStorageFailure, storageFailureOf } from './storage-errors.js';

export { API_ERROR_CODES, PROBLEM_STATUS, type ApiErrorCode } from './problem-codes.js';

/** Media type of every error body. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Fastify's own error codes and the problem code each becomes. */
const FASTIFY_CODES: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  // From the router, through `frameworkErrors` (build-api.ts): a bad path escape, an over-long parameter.
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'bad_request',
  FST_ERR_VALIDATION: 'validation_failed',
  FST_ERR_NOT_FOUND: 'not_found',
};

interface SchemaError {
  keyword?: string;
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function isApiErrorCode(code: unknown): code is ApiErrorCode {
  return typeof code === 'string' && Object.hasOwn(PROBLEM_STATUS, code);
}

/** JSON pointer of the field a schema error is about, the missing or extra property included. */
function fieldOf(error: SchemaError): string {
  const base = error.instancePath ?? '';
  const extra = error.params?.missingProperty ?? error.params?.additionalProperty;
  const field = typeof extra === 'string' ? `${base}/${extra}` : base;
  return field === '' ? '/' : field;
}

/** The problem of a Fastify schema violation: one entry per failing field, the first in `detail`. */
function validationProblem(error: FastifyError): Pick<ProblemDetails, 'detail' | 'errors'> & { in?: string } {
  const where = (error as { validationContext?: string }).validationContext;
  // An `if` error only says that its `then` or `else` failed, whose own errors are listed.
  const errors = (error.validation ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e: SchemaError) => {
      const allowed = e.params?.allowedValues;
      const suffix = Array.isArray(allowed) ? `: ${allowed.map(String).join(', ')}` : '';
      return { field: fieldOf(e), message: `${e.message ?? 'is invalid'}${suffix}` };
    });
  const first = errors[0];
  const place = where === undefined || where === 'body' ? '' : ` (in the ${where})`;
  return {
    detail: first ? `\`${first.field}\`${place} ${first.message}` : error.message,
    errors,
    ...(where !== undefined ? { in: where } : {}),
  };
}

/** What an error becomes: status, code, detail and extra members. 5xx details are generic. */
function classify(error: unknown): {
  status: number;
  code: string;
  detail: string;
  extensions: Record<string, unknown>;
  headers: Record<string, string>;
} {
  const none = { extensions: {}, headers: {} };
  if (error instanceof ApiError) {
    return {
      status: PROBLEM_STATUS[error.code],
      code: error.code,
      detail: error.message,
      extensions: error.extensions,
      headers: error.headers,
    };
  }
  if (error instanceof ItemFailedError) {
    return {
      status: ITEM_FAILED_STATUS,
      code: error.code,
      detail: error.message,
      extensions: {
        jobId: error.jobId,
        url: error.url,
        ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
        links: { job: `/v1/jobs/${error.jobId}`, items: `/v1/jobs/${error.jobId}/items` },
      },
      headers: {},
    };
  }
  if (error instanceof FileExtractionError) {
    return {
      status: error.isRetryable ? 503 : ITEM_FAILED_STATUS,
      code: error.code,
      detail: error.message,
      extensions: {
        ...(error.fileName !== undefined ? { fileName: error.fileName } : {}),
        jobId: error.jobId,
        links: { job: `/v1/jobs/${error.jobId}`, items: `/v1/jobs/${error.jobId}/items` },
      },
      headers: error.isRetryable ? { 'retry-after': '5' } : {},
    };
  }
  if (error instanceof SubmissionInterruptedError) {
    // The cause decides the answer (storage_full, storage_unavailable, internal_error, ...); the
    // problem also names the job that holds what was stored, so the rest can be appended.
    const inner = classify(error.cause);
    return {
      ...inner,
      detail: `${inner.detail}. Job ${error.jobId} was created and holds the first ${error.accepted} URLs; append the rest with POST /v1/jobs/${error.jobId}/urls (URLs it already has are skipped)`,
      extensions: {
        ...inner.extensions,
        jobId: error.jobId,
        accepted: error.accepted,
        links: { job: `/v1/jobs/${error.jobId}` },
      },
    };
  }
  if (error instanceof QueuedUrlsLimitError) {
    return {
      status: 429,
      code: 'queued_urls_limit',
      detail: error.message,
      extensions: { limit: error.limit, queued: error.queued },
      headers: { 'retry-after': '60' },
    };
  }
  if (error instanceof NoValidUrlsError) {
    return {
      status: 400,
      code: 'no_valid_urls',
      detail: error.message,
      extensions: { invalid: error.invalid },
      headers: {},
    };
  }
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && Object.hasOwn(FASTIFY_CODES, code)) {
    const mapped = FASTIFY_CODES[code]!;
    const fastifyError = error as FastifyError;
    if (mapped === 'validation_failed') {
      const { detail, ...extensions } = validationProblem(fastifyError);
      return {
        status: 400,
        code: mapped,
        detail: detail ?? 'The request is invalid',
        extensions,
        headers: {},
      };
    }
    const detail =
      mapped === 'body_too_large'
        ? 'The JSON body is larger than this server accepts (DISTILL_MAX_REQUEST_BYTES); send large batches as text/plain (one URL per line) or application/x-ndjson, which are streamed and have no size limit'
        : mapped === 'unsupported_media_type'
          ? "This route does not accept the request's Content-Type"
          : mapped === 'invalid_json'
            ? code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? 'The body is empty but its Content-Type says JSON'
              : 'The body is not valid JSON'
            : fastifyError.message;
    return { status: PROBLEM_STATUS[mapped], code: mapped, detail, ...none };
  }
  // Domain errors carry their code (job_not_found, job_cancelled, invalid_cursor, ...).
  if (isApiErrorCode(code) && PROBLEM_STATUS[code] < 500 && error instanceof Error) {
    return { status: PROBLEM_STATUS[code], code, detail: error.message, ...none };
  }
  if (error instanceof SyntaxError && (error as { statusCode?: unknown }).statusCode === 400) {
    return { status: 400, code: 'invalid_json', detail: 'The body is not valid JSON', ...none };
  }
  // Any other 4xx Fastify raises (bad URL encoding, header overflow, ...): its own message is safe.
  const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && error instanceof Error) {
    return { status: statusCode, code: 'bad_request', detail: error.message, ...none };
  }
  const storage = storageProblem(error);
  if (storage) return storage;
  return { status: 500, code: 'internal_error', detail: 'An internal error occurred', ...none };
}

/** How long a client should wait before retrying after `storage_unavailable`, in seconds. */
const STORAGE_RETRY_AFTER_SECONDS = '10';

/**
 * A database failure (see `storage-errors.ts`) as `storage_full` or `storage_unavailable`: a clear,
 * stable answer instead of `internal_error`. The detail is generic (5xx never echo the driver's
 * message); the log has the cause.
 */
function storageProblem(error: unknown): ReturnType<typeof classify> | undefined {
  const failure = storageFailureOf(error);
  if (failure === undefined) return undefined;
  if (failure === 'full') {
    return {
      status: PROBLEM_STATUS.storage_full,
      code: 'storage_full',
      detail:
        'The database has no space left, so this request could not be stored; retry once space is freed (GET /readyz reports the database)',
      extensions: {},
      headers: {},
    };
  }
  return {
    status: PROBLEM_STATUS.storage_unavailable,
    code: 'storage_unavailable',
    detail: `${describeStorageFailure(failure)}, so this request could not be completed; retry later (GET /readyz reports the database)`,
    extensions: {},
    headers: { 'retry-after': STORAGE_RETRY_AFTER_SECONDS },
  };
}

/** Builds the RFC 9457 body of `error` for `request`. */
export function toProblem(
  error: unknown,
  request: FastifyRequest,
): { problem: ProblemDetails; headers: Record<string, string> } {
  const classified = classify(error);
  const { status, code, extensions, headers } = classified;
  let { detail } = classified;
  if (code === 'unsupported_media_type') {
    const accepted = acceptedContentTypes(request);
    detail = `This route does not accept ${JSON.stringify(request.headers['content-type'] ?? '')}; it accepts ${accepted.join(', ')}`;
    extensions.accepted = accepted;
  }
  const title = isApiErrorCode(code)
    ? PROBLEM_TITLES[code]
    : error instanceof FileExtractionError
      ? 'The file could not be extracted'
      : 'The URL could not be extracted';
  const problem: ProblemDetails = {
    type: problemType(code),
    title,
    status,
    detail:
      status >= 500 && code === 'internal_error'
        ? `${detail}; the server log has it under request id ${request.id}`
        : detail,
    instance: request.url,
    code,
    requestId: request.id,
    ...extensions,
  };
  return { problem, headers };
}

/** Body types a route may be sent, by what its scope can parse: what a 415 lists. */
const CANDIDATE_CONTENT_TYPES = [
  'application/json',
  'text/plain',
  'application/x-ndjson',
  'multipart/form-data',
  'application/octet-stream',
];

function acceptedContentTypes(request: FastifyRequest): string[] {
  return CANDIDATE_CONTENT_TYPES.filter((type) => request.server.hasContentTypeParser(type));
}

/** Sends `error` as a problem; logs 5xx with the cause and the request id (the logger adds it). */
export function sendProblem(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { problem, headers } = toProblem(error, request);
  if (problem.status >= 500 && problem.code === 'internal_error') {
    request.log.error({ err: error }, 'Request failed');
  } else if (problem.code === 'storage_full' || problem.code === 'storage_unavailable') {
    request.log.warn({ err: error, code: problem.code }, 'Request failed: the database refused it');
  } else {
    request.log.info({ code: problem.code, status: problem.status }, 'Request refused');
  }
  return reply.code(problem.status).headers(headers).type(PROBLEM_CONTENT_TYPE).send(problem);
}

/**
 * Makes this file the one place errors become `application/problem+json`: the error handler, the
 * not-found handler (unknown routes) and nothing else.
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    // A stream already sent its headers: nothing can be said in HTTP any more.
    if (reply.sent || reply.raw.headersSent) {
      request.log.error({ err: error }, 'Error after the response started');
      return;
    }
    return sendProblem(error, request, reply);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      new ApiError('not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
    ),
  );
}

/**
 * Errors of the Firecrawl-compatible routes (`/firecrawl/...`) in Firecrawl's own shape,
 * `{success: false, error, code, details}`, with the status and code of the same problem the native
 * API would answer: the SDK reads `error` as its message and `code`/`details` as they are.
 */
export function registerFirecrawlErrorHandling(scope: FastifyInstance): void {
  const send = (error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const { problem, headers } = toProblem(error, request);
    if (problem.status >= 500 && problem.code === 'internal_error')
      request.log.error({ err: error }, 'Request failed');
    else request.log.info({ code: problem.code, status: problem.status }, 'Request refused');
    const {
      type: _type,
      title: _title,
      status,
      detail,
      instance: _instance,
      code,
      requestId,
      ...details
    } = problem;
    return reply
      .code(status)
      .headers(headers)
      .type('application/json; charset=utf-8')
      .send({
        success: false,
        error: detail,
        code,
        requestId,
        ...(Object.keys(details).length > 0 ? { details } : {}),
      });
  };
  scope.setErrorHandler((error, request, reply) => {
    if (reply.sent || reply.raw.headersSent) {
      request.log.error({ err: error }, 'Error after the response started');
      return;
    }
    return send(error, request, reply);
  });
  scope.setNotFoundHandler((request, reply) =>
    send(
      new ApiError(
        'not_found',
        `No Firecrawl-compatible route ${request.method} ${request.url.split('?')[0]}`,
      ),
      request,
      reply,
    ),
  );
}
