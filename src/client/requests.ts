// The longer method bodies of `DistillClient` (index.ts), each given the client's transport:
// submissions (JSON, streamed, a file, a crawl), NDJSON streams and the wait for a job's end.
import type {
  CrawlOptions,
  CrawlResponse,
  SubmitOptions,
  UploadFileOptions,
  WaitForJobOptions,
} from './options.js';
import type { JobView, ProgressEventData, SubmitResponse } from './types.js';
import { DistillApiError } from './errors.js';
import { readLines } from './lines.js';
import type { JobEvent } from './sse.js';
import type { ClientTransport, Query } from './transport.js';

/** The API path of a job. */
export function jobPath(jobId: string): string {
  return `/v1/jobs/${encodeURIComponent(jobId)}`;
}

/** `DistillClient.submit`. */
export async function submitJob(
  http: ClientTransport,
  urls: readonly string[],
  options: SubmitOptions,
): Promise<SubmitResponse> {
  const { webhook, idempotencyKey, signal, name, ...jobOptions } = options;
  return http.json<SubmitResponse>('POST', '/v1/jobs', {
    body: {
      urls,
      ...(name !== undefined ? { name } : {}),
      ...(Object.keys(jobOptions).length > 0 ? { options: jobOptions } : {}),
      ...(webhook ? { webhook } : {}),
    },
    headers: idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {},
    signal,
  });
}

/** `DistillClient.submitStream`. */
export async function submitJobStream(
  http: ClientTransport,
  urls: AsyncIterable<string> | Iterable<string>,
  options: SubmitOptions,
): Promise<SubmitResponse> {
  const { webhook, idempotencyKey, signal, name, ...jobOptions } = options;
  const query: Query = {
    maxAge: jobOptions.maxAge,
    // Named formats only: a json format's schema needs a JSON body (`submit`).
    formats: jobOptions.formats?.map((f) => (typeof f === 'string' ? f : f.type)).join(','),
    timeoutMs: jobOptions.timeoutMs,
    maxAttempts: jobOptions.maxAttempts,
    render: jobOptions.render,
    screenshot: jobOptions.screenshot,
    webhookUrl: webhook?.url,
    name,
  };
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  if (webhook?.secret !== undefined) headers['webhook-secret'] = webhook.secret;
  return http.streamLines<SubmitResponse>('/v1/jobs', urls, query, headers, signal);
}

/** `DistillClient.uploadFile`. */
export async function uploadFile(
  http: ClientTransport,
  file: Blob | Uint8Array,
  options: UploadFileOptions,
): Promise<SubmitResponse> {
  const blob =
    file instanceof Blob && options.contentType === undefined
      ? file
      : new Blob([file as Blob | Uint8Array<ArrayBuffer>], { type: options.contentType ?? '' });
  const form = new FormData();
  const fileName =
    options.fileName ?? (typeof File !== 'undefined' && file instanceof File ? file.name : 'file');
  if (options.options !== undefined) form.append('options', JSON.stringify(options.options));
  form.append('file', blob, fileName);
  const query: Query = { formats: options.formats?.join(','), ocrLanguages: options.ocrLanguages?.join(',') };
  const response = await http.request('POST', '/v1/files', {
    query,
    headers: { accept: 'application/json' },
    body: form,
    signal: options.signal,
  });
  return (await response.json()) as SubmitResponse;
}

/** `DistillClient.crawl`. */
export async function startCrawl(
  http: ClientTransport,
  url: string,
  options: CrawlOptions,
): Promise<CrawlResponse> {
  const {
    maxDepth,
    maxPages,
    include,
    exclude,
    sameSite,
    useSitemap,
    webhook,
    idempotencyKey,
    signal,
    name,
    ...jobOptions
  } = options;
  const scope = Object.fromEntries(
    Object.entries({ maxDepth, maxPages, include, exclude, sameSite, useSitemap, name }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  return http.json('POST', '/v1/crawls', {
    body: {
      url,
      ...scope,
      ...(Object.keys(jobOptions).length > 0 ? { options: jobOptions } : {}),
      ...(webhook ? { webhook } : {}),
    },
    headers: idempotencyKey !== undefined ? { 'idempotency-key': idempotencyKey } : {},
    signal,
  });
}

/** A GET of an NDJSON stream, parsed one line at a time (blank lines skipped). */
export async function* streamNdjson<T>(
  http: ClientTransport,
  path: string,
  query: Query,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  const response = await http.request('GET', path, {
    query,
    headers: { accept: 'application/x-ndjson' },
    signal,
  });
  for await (const line of readLines(response)) {
    if (line.trim() !== '') yield JSON.parse(line) as T;
  }
}

/** `DistillClient.waitForJob`, following the job's events through `events` (the client's method). */
export async function waitForJob(
  events: (options: { lastEventId?: string; signal?: AbortSignal }) => AsyncIterable<JobEvent>,
  options: WaitForJobOptions,
): Promise<JobView> {
  let lastEventId: string | undefined;
  let failures = 0;
  const maxReconnects = options.maxReconnects ?? 5;
  for (;;) {
    try {
      for await (const message of events({
        ...(lastEventId !== undefined ? { lastEventId } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      })) {
        failures = 0;
        if (message.id !== undefined) lastEventId = message.id;
        if (message.event === 'progress') options.onProgress?.(message.data as ProgressEventData);
        if (message.event === 'completed') return message.data as JobView;
      }
    } catch (error) {
      if (error instanceof DistillApiError || options.signal?.aborted || ++failures > maxReconnects)
        throw error;
    }
    options.signal?.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 500 * Math.max(1, failures)));
  }
}
