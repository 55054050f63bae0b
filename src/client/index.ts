/**
 * `distill/client`: a typed client of the distill HTTP API for your own programs. It uses the
 * global `fetch` (Node 20+, browsers, Deno, Bun) or one you pass, and imports nothing from the
 * server.
 *
 * ```ts
 * const distill = new DistillClient({ baseUrl: 'http://127.0.0.1:3000' });
 * const { job } = await distill.submit(['https://example.com/']);
 * await distill.waitForJob(job.id, { onProgress: (p) => console.log(p.progress) });
 * for await (const doc of distill.results(job.id, { fields: ['url', 'title', 'markdown'] })) console.log(doc.title);
 * ```
 */
import type {
  DocumentView,
  ItemView,
  JobChunkView,
  JobView,
  PageView,
  ResultView,
  SearchHitView,
  SubmitResponse,
} from './types.js';
import type {
  ChunkOptions,
  CrawlOptions,
  CrawlResponse,
  DistillClientOptions,
  DocumentChunksView,
  EventsOptions,
  ExtractOptions,
  ListItemsOptions,
  ListJobsOptions,
  ListResultsOptions,
  MapOptions,
  MapResponse,
  ResultsOptions,
  RetryFailedResponse,
  SearchDocumentsOptions,
  SignalOptions,
  SubmitOptions,
  UploadFileOptions,
  WaitForJobOptions,
} from './options.js';

export type * from './types.js';
export type * from './options.js';
export { describePoliteness } from './politeness.js';
export { DistillApiError } from './errors.js';
import { readEvents, type JobEvent } from './sse.js';
export type { JobEvent } from './sse.js';
import { ClientTransport } from './transport.js';
import {
  jobPath,
  startCrawl,
  streamNdjson,
  submitJob,
  submitJobStream,
  uploadFile,
  waitForJob,
} from './requests.js';

/** A typed client of the distill HTTP API. Every method rejects with `DistillApiError` on an error answer. */
export class DistillClient {
  readonly #http: ClientTransport;

  constructor(options: DistillClientOptions) {
    if (typeof options.baseUrl !== 'string' || !/^https?:\/\//.test(options.baseUrl)) {
      throw new TypeError(`Expected \`baseUrl\` to be an http(s) URL, got \`${String(options.baseUrl)}\``);
    }
    this.#http = new ClientTransport(
      options.baseUrl.replace(/\/+$/, ''),
      options.apiKey,
      options.fetch ?? globalThis.fetch.bind(globalThis),
    );
  }

  /** Creates a job from up to 100,000 URLs (JSON). For more, use `submitStream`. */
  async submit(urls: readonly string[], options: SubmitOptions = {}): Promise<SubmitResponse> {
    return submitJob(this.#http, urls, options);
  }

  /**
   * Creates a job from any number of URLs, streamed to the server one per line (text/plain): neither
   * side holds the batch in memory.
   */
  async submitStream(
    urls: AsyncIterable<string> | Iterable<string>,
    options: SubmitOptions = {},
  ): Promise<SubmitResponse> {
    return submitJobStream(this.#http, urls, options);
  }

  /**
   * Extracts a file that is not at a URL (`POST /v1/files`, multipart): a PDF, an image to OCR, an
   * office file. It is the one item of a new job, run at once; the answer comes once it is done: a
   * completed job whose results hold the document (`results(job.id)`), with `json`/`summary` when
   * `options.formats` asks for them. A file that cannot be extracted rejects with a
   * `DistillApiError` of the item's code (`unsupported_content_type`, `encrypted_document`, ...)
   * whose problem names the job (`jobId`) that holds the failed item; one over the server's limit
   * with `file_too_large`. `options`: the job options that apply to a file (formats with json's
   * schema, chunkTokens, llm, ocrLanguages), sent as the multipart `options` field.
   */
  async uploadFile(file: Blob | Uint8Array, options: UploadFileOptions = {}): Promise<SubmitResponse> {
    return uploadFile(this.#http, file, options);
  }

  /**
   * Crawls a site from `url` (`POST /v1/crawls`): links followed breadth-first within `maxDepth`
   * hops and `maxPages` pages. The crawl is a job: follow, page and cancel it like any other.
   */
  async crawl(url: string, options: CrawlOptions = {}): Promise<CrawlResponse> {
    return startCrawl(this.#http, url, options);
  }

  /** A site's URLs from its sitemaps, llms.txt and links, without extracting anything (`POST /v1/map`). */
  map(url: string, options: MapOptions = {}): Promise<MapResponse> {
    const { signal, ...filters } = options;
    return this.#http.json('POST', '/v1/map', { body: { url, ...filters }, signal });
  }

  /** Adds URLs to a job (same rules as submission). */
  async append(jobId: string, urls: readonly string[], options: SignalOptions = {}): Promise<SubmitResponse> {
    return this.#http.json<SubmitResponse>('POST', `${jobPath(jobId)}/urls`, {
      body: { urls },
      signal: options.signal,
    });
  }

  /** Adds URLs to a job, streamed one per line. */
  async appendStream(
    jobId: string,
    urls: AsyncIterable<string> | Iterable<string>,
    options: SignalOptions = {},
  ): Promise<SubmitResponse> {
    return this.#http.streamLines<SubmitResponse>(
      `${jobPath(jobId)}/urls`,
      urls,
      {},
      { 'content-type': 'text/plain; charset=utf-8' },
      options.signal,
    );
  }

  /** `GET /healthz`: resolves when the server answers, rejects when it does not. */
  health(options: SignalOptions = {}): Promise<{ status: string }> {
    return this.#http.json('GET', '/healthz', { signal: options.signal });
  }

  getJob(jobId: string, options: SignalOptions = {}): Promise<JobView> {
    return this.#http.json<JobView>('GET', jobPath(jobId), { signal: options.signal });
  }

  /**
   * One page of recent jobs, newest first; `status` keeps one status, `q` the jobs whose name or
   * first URL holds it, or that hold it as a whole URL.
   */
  listJobs(options: ListJobsOptions = {}): Promise<PageView<JobView>> {
    return this.#http.json('GET', '/v1/jobs', {
      query: {
        cursor: options.cursor,
        limit: options.limit,
        status: options.status,
        q: options.q || undefined,
      },
      signal: options.signal,
    });
  }

  /** One page of a job's items, in submission order. */
  listItems(jobId: string, options: ListItemsOptions = {}): Promise<PageView<ItemView>> {
    return this.#http.json('GET', `${jobPath(jobId)}/items`, {
      query: { state: options.state, cursor: options.cursor, limit: options.limit },
      signal: options.signal,
    });
  }

  /** One page of a job's results (documents of succeeded items). */
  listResults(jobId: string, options: ListResultsOptions = {}): Promise<PageView<ResultView>> {
    return this.#http.json('GET', `${jobPath(jobId)}/results`, {
      query: { cursor: options.cursor, limit: options.limit, fields: options.fields?.join(',') },
      signal: options.signal,
    });
  }

  /** Every result of a job, streamed as NDJSON and parsed one document at a time. */
  async *results(jobId: string, options: ResultsOptions = {}): AsyncGenerator<ResultView> {
    yield* streamNdjson<ResultView>(
      this.#http,
      `${jobPath(jobId)}/results`,
      { fields: options.fields?.join(',') },
      options.signal,
    );
  }

  /**
   * Every chunk of a job's documents (`formats: ["chunks"]`), streamed as NDJSON: the job's
   * chunkTokens and chunkOverlap unless `chunkTokens` / `chunkOverlap` say otherwise.
   */
  async *chunks(jobId: string, options: ChunkOptions = {}): AsyncGenerator<JobChunkView> {
    yield* streamNdjson<JobChunkView>(
      this.#http,
      `${jobPath(jobId)}/chunks`,
      { chunkTokens: options.chunkTokens, chunkOverlap: options.chunkOverlap },
      options.signal,
    );
  }

  /** A document with its chunks (default 512 tokens, 64 of overlap). */
  async documentChunks(documentId: string, options: ChunkOptions = {}): Promise<DocumentChunksView> {
    return this.#http.json('GET', `/v1/documents/${encodeURIComponent(documentId)}/chunks`, {
      query: { chunkTokens: options.chunkTokens, chunkOverlap: options.chunkOverlap },
      signal: options.signal,
    });
  }

  /** Every result of a job as a zip of Markdown files with front matter (what `distill extract -o` writes). */
  async resultsZip(jobId: string, options: SignalOptions = {}): Promise<Blob> {
    const response = await this.#http.request('GET', `${jobPath(jobId)}/results`, {
      headers: { accept: 'application/zip' },
      signal: options.signal,
    });
    return response.blob();
  }

  /** Cancels a job (idempotent); resolves with the job. */
  cancel(jobId: string, options: SignalOptions = {}): Promise<JobView> {
    return this.#http.json<JobView>('POST', `${jobPath(jobId)}/cancel`, { signal: options.signal });
  }

  /** Deletes a finished job and its items (its documents stay); 409 `job_not_finished` while it runs. */
  async deleteJob(jobId: string, options: SignalOptions = {}): Promise<void> {
    await this.#http.request('DELETE', jobPath(jobId), { signal: options.signal });
  }

  /** Runs the job's failed items again (attempts from 0); resolves with the job and how many were queued. */
  retryFailed(jobId: string, options: SignalOptions = {}): Promise<RetryFailedResponse> {
    return this.#http.json('POST', `${jobPath(jobId)}/retry`, { signal: options.signal });
  }

  getDocument(documentId: string, options: SignalOptions = {}): Promise<DocumentView> {
    return this.#http.json('GET', `/v1/documents/${encodeURIComponent(documentId)}`, {
      signal: options.signal,
    });
  }

  /** The stored document of a URL (normalised by the server). */
  getDocumentByUrl(url: string, options: SignalOptions = {}): Promise<DocumentView> {
    return this.#http.json('GET', '/v1/documents', { query: { url }, signal: options.signal });
  }

  /**
   * One page of a full-text search over the tenant's documents, or one job's (`jobId`), best
   * first; `query` in the syntax of docs/api.md#search.
   */
  searchDocuments(query: string, options: SearchDocumentsOptions = {}): Promise<PageView<SearchHitView>> {
    const path =
      options.jobId === undefined ? '/v1/documents/search' : `${jobPath(options.jobId)}/documents/search`;
    return this.#http.json('GET', path, {
      query: { q: query, cursor: options.cursor, limit: options.limit },
      signal: options.signal,
    });
  }

  /** Extracts one URL and waits for its document (the server bounds the wait). */
  extract(url: string, options: ExtractOptions = {}): Promise<DocumentView> {
    const { signal, ...jobOptions } = options;
    return this.#http.json('POST', '/v1/extract', {
      body: { url, ...(Object.keys(jobOptions).length > 0 ? { options: jobOptions } : {}) },
      signal,
    });
  }

  /**
   * The job's Server-Sent Events, parsed. Ends after the `completed` event (or when `signal`
   * aborts). Pass the last `id` seen as `lastEventId` to resume without missing anything.
   */
  async *events(jobId: string, options: EventsOptions = {}): AsyncGenerator<JobEvent> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    const response = await this.#http.request('GET', `${jobPath(jobId)}/events`, {
      headers,
      signal: options.signal,
    });
    yield* readEvents(response);
  }

  /**
   * Resolves with the job once it is final (`completed` or `cancelled`), following its event
   * stream and reconnecting from the last event id when the connection drops.
   */
  async waitForJob(jobId: string, options: WaitForJobOptions = {}): Promise<JobView> {
    return waitForJob((eventOptions) => this.events(jobId, eventOptions), options);
  }
}
