// The submission side of `/v1/jobs` (routes/jobs.ts): the streamed body, the query and headers a
// submission reads, and the URLs and options of one whatever the body's form.
import type { Readable } from 'node:stream';
import type { DocumentFormatName, JobOptionsInput as WireJobOptions, WebhookInput } from '../client/types.js';
import { NoValidUrlsError, type SubmitResult } from '../jobs/index.js';
import { ApiValidationError } from './api-error.js';
import { readJobName } from './job-name.js';
import type { RouteContext } from './route-context.js';
import { StreamedUrls, type LineFormat } from './streamed-urls.js';

/** A streamed request body: the content-type parser hands the raw stream over without reading it. */
export class StreamedBody {
  readonly stream: Readable;
  readonly format: LineFormat;
  constructor(stream: Readable, format: LineFormat) {
    this.stream = stream;
    this.format = format;
  }
}

export interface JsonSubmitBody {
  urls: string[];
  name?: string;
  options?: WireJobOptions;
  webhook?: WebhookInput;
}

export interface SubmitQuery {
  maxAge?: number;
  formats?: string;
  timeoutMs?: number;
  maxAttempts?: number;
  render?: WireJobOptions['render'];
  screenshot?: WireJobOptions['screenshot'];
  webhookUrl?: string;
  name?: string;
}

export interface SubmitHeaders {
  'idempotency-key'?: string;
  'webhook-secret'?: string;
}

/** The URLs and options of a submission, whatever the body's form. */
export function readSubmission(
  body: unknown,
  query: SubmitQuery,
  context: RouteContext,
): {
  urls: Iterable<string> | AsyncIterable<string>;
  options: WireJobOptions;
  webhook: WebhookInput | undefined;
  streamed: StreamedUrls | null;
  name: string | undefined;
} {
  const fromQuery: WireJobOptions = {
    ...(query.maxAge !== undefined ? { maxAge: query.maxAge } : {}),
    ...(query.formats !== undefined ? { formats: query.formats.split(',') as DocumentFormatName[] } : {}),
    ...(query.timeoutMs !== undefined ? { timeoutMs: query.timeoutMs } : {}),
    ...(query.maxAttempts !== undefined ? { maxAttempts: query.maxAttempts } : {}),
    ...(query.render !== undefined ? { render: query.render } : {}),
    ...(query.screenshot !== undefined ? { screenshot: query.screenshot } : {}),
  };
  if (body instanceof StreamedBody) {
    const streamed = new StreamedUrls(body.stream, {
      format: body.format,
      maxLineBytes: context.options.maxLineBytes,
      maxUrls: context.options.maxStreamedUrls,
    });
    return {
      urls: streamed,
      options: fromQuery,
      webhook: undefined,
      streamed,
      name: readJobName(query.name),
    };
  }
  // A request with neither body nor Content-Type is parsed by nobody and, the schemas being per
  // media type, validated by none: refuse it as the routes with one body schema do.
  if (typeof body !== 'object' || body === null) throw new ApiValidationError('/', 'must be object');
  const json = body as JsonSubmitBody;
  return {
    urls: json.urls,
    options: { ...fromQuery, ...json.options },
    webhook: json.webhook,
    streamed: null,
    name: readJobName(json.name ?? query.name),
  };
}

/** Runs a submission; a `NoValidUrlsError` gets the streamed lines' own reasons back. */
export async function runSubmission(
  streamed: StreamedUrls | null,
  run: () => Promise<SubmitResult>,
): Promise<SubmitResult> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof NoValidUrlsError && streamed) {
      const merged = streamed.mergeInvalid(error.invalid);
      error.invalid.splice(0, error.invalid.length, ...(merged as typeof error.invalid));
    }
    throw error;
  }
}
