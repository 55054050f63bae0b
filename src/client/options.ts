// The option and answer shapes of `DistillClient`'s methods (index.ts re-exports them all).
import type {
  ChunkView,
  DocumentField,
  DocumentFormatName,
  DocumentView,
  ItemStateName,
  JobOptionsInput,
  JobView,
  ProgressEventData,
  WebhookInput,
} from './types.js';

/** Options of `DistillClient`. */
export interface DistillClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  /** A `fetch` to use instead of the global one (tests, proxies, retries). */
  fetch?: typeof globalThis.fetch;
}

/** Options of every method: `signal` aborts the request. */
export interface SignalOptions {
  signal?: AbortSignal;
}

/** Options of `submit` and `submitStream`. */
export interface SubmitOptions extends JobOptionsInput {
  /** The job's name in lists (at most 200 characters); unset: its first URL's host and count. */
  name?: string;
  webhook?: WebhookInput;
  /** A retried submission with the same key returns the same job instead of a second one. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

/** Options of `uploadFile`. */
export interface UploadFileOptions {
  fileName?: string;
  contentType?: string;
  formats?: DocumentFormatName[];
  ocrLanguages?: string[];
  options?: Pick<JobOptionsInput, 'formats' | 'chunkTokens' | 'chunkOverlap' | 'llm' | 'ocrLanguages'>;
  signal?: AbortSignal;
}

/** Options of `crawl`: the crawl's scope, then those of `submit`. */
export interface CrawlOptions extends SubmitOptions {
  maxDepth?: number;
  maxPages?: number;
  include?: string[];
  exclude?: string[];
  sameSite?: boolean;
  useSitemap?: boolean;
}

/** The answer of `crawl`. */
export type CrawlResponse = {
  job: JobView;
  crawl: { url: string; maxDepth: number; maxPages: number };
};

/** Options of `map`. */
export interface MapOptions {
  search?: string;
  include?: string[];
  exclude?: string[];
  includeSubdomains?: boolean;
  sameHost?: boolean;
  sitemap?: 'include' | 'skip' | 'only';
  limit?: number;
  signal?: AbortSignal;
}

/** The answer of `map`. */
export type MapResponse = {
  url: string;
  count: number;
  isPartial: boolean;
  links: Array<{ url: string; source: string; title?: string }>;
  warnings: Array<{ code: string; message: string }>;
};

/** Options of `listJobs`. */
export interface ListJobsOptions {
  cursor?: string;
  limit?: number;
  status?: JobView['status'];
  q?: string;
  signal?: AbortSignal;
}

/** Options of `listItems`. */
export interface ListItemsOptions {
  state?: ItemStateName;
  cursor?: string;
  limit?: number;
  signal?: AbortSignal;
}

/** Options of `listResults`. */
export interface ListResultsOptions {
  cursor?: string;
  limit?: number;
  fields?: readonly DocumentField[];
  signal?: AbortSignal;
}

/** Options of `results`. */
export interface ResultsOptions {
  fields?: readonly DocumentField[];
  signal?: AbortSignal;
}

/** Options of `chunks` and `documentChunks`. */
export interface ChunkOptions {
  chunkTokens?: number;
  chunkOverlap?: number;
  signal?: AbortSignal;
}

/** The answer of `documentChunks`. */
export type DocumentChunksView = DocumentView & { chunks: ChunkView[] };

/** The answer of `retryFailed`. */
export type RetryFailedResponse = {
  job: JobView;
  retried: number;
};

/** Options of `searchDocuments`. */
export interface SearchDocumentsOptions {
  jobId?: string;
  cursor?: string;
  limit?: number;
  signal?: AbortSignal;
}

/** Options of `extract`. */
export interface ExtractOptions extends JobOptionsInput {
  signal?: AbortSignal;
}

/** Options of `events`. */
export interface EventsOptions {
  lastEventId?: string;
  signal?: AbortSignal;
}

/** Options of `waitForJob`. */
export interface WaitForJobOptions {
  signal?: AbortSignal;
  onProgress?: (progress: ProgressEventData) => void;
  maxReconnects?: number;
}
