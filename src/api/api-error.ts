import { DistillError } from '../lib/index.js';
import type { ApiErrorCode } from './problem-codes.js';

/**
 * An error the API raises itself, with one of the documented problem codes. The HTTP status comes
 * from the table in `error-handler.ts`; `extensions` become extra members of the problem.
 */
export class ApiError extends DistillError {
  declare readonly code: ApiErrorCode;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    code: ApiErrorCode,
    message: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(code, message, { cause: options.cause });
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}

/** A `validation_failed` problem raised by a handler (a check JSON schema cannot express). */
export class ApiValidationError extends ApiError {
  constructor(field: string, message: string) {
    super('validation_failed', `\`${field}\` ${message}`, { extensions: { errors: [{ field, message }] } });
  }
}

/**
 * The one URL of `POST /v1/extract` failed: the problem's `code` is the item's error code
 * (`blocked_address`, `http_error`, `timeout`, ...) and its status 422.
 */
export class ItemFailedError extends DistillError {
  readonly jobId: string;
  readonly url: string;
  readonly httpStatus: number | undefined;

  constructor(input: {
    code: string;
    message: string;
    jobId: string;
    url: string;
    httpStatus?: number | undefined;
  }) {
    super(input.code, input.message);
    this.jobId = input.jobId;
    this.url = input.url;
    this.httpStatus = input.httpStatus;
  }
}

/**
 * An uploaded file (`POST /v1/files`) could not be extracted: the problem's `code` is the item's
 * (`unsupported_content_type`, `encrypted_document`, `extraction_timeout`, ...), its status 422, or
 * 503 with Retry-After for `extractor_busy` and other errors that may pass. The upload's job holds
 * the failed item: `jobId` names it.
 */
export class FileExtractionError extends DistillError {
  readonly fileName: string | undefined;
  readonly isRetryable: boolean;
  readonly jobId: string;

  constructor(input: {
    code: string;
    message: string;
    fileName: string | undefined;
    isRetryable: boolean;
    jobId: string;
    cause?: unknown;
  }) {
    super(input.code, input.message, { cause: input.cause });
    this.fileName = input.fileName;
    this.isRetryable = input.isRetryable;
    this.jobId = input.jobId;
  }
}
