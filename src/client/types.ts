/**
 * Wire types of the distill HTTP API: what the server sends and accepts, as JSON. The client
 * exports them for users' programs, and the server (`src/api/`) imports them as types only, so the
 * serialisers and the client cannot drift apart. This file has no runtime code and imports nothing,
 * which keeps `distill/client` free of server code.
 */

/** Item states, in the words of ARCHITECTURE.md. */
export type ItemStateName = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Job statuses; `completed` and `cancelled` are final. */
export type JobStatusName = 'queued' | 'running' | 'completed' | 'cancelled';

/** Output formats a client may ask for. */
export type DocumentFormatName = 'text' | 'markdown' | 'html' | 'links' | 'chunks' | 'json' | 'summary';

/** `formats` entry of the JSON format: a model fills the schema from the page (issue 18). */
export interface JsonFormatInput {
  type: 'json';
  /** JSON Schema of the answer (at most 32 KiB of JSON). */
  schema: Record<string, unknown>;
  /** What to extract, in your words (at most 4000 characters). */
  prompt?: string;
}

/** `formats` entry of the summary format, with its own instruction. */
export interface SummaryFormatInput {
  type: 'summary';
  prompt?: string;
}

/** One `formats` entry as the API takes it. */
export type FormatInput = DocumentFormatName | JsonFormatInput | SummaryFormatInput;

/** Per-state item counts of a job. */
export type ItemCountsView = Record<ItemStateName, number>;

/** Job options as the API takes them; unset ones take the server's defaults. */
export interface JobOptionsInput {
  /** Reuse a stored document fetched less than this many seconds ago; 0 always fetches. */
  maxAge?: number;
  /** Formats; `json` and `summary` may be objects with their schema and prompt. */
  formats?: FormatInput[];
  /** Token budget of one chunk (`chunks` format), 32..8192. @default 512 */
  chunkTokens?: number;
  /** Tokens repeated from the end of one chunk at the start of the next, 0..chunkTokens/2. @default 64 */
  chunkOverlap?: number;
  /** Language-model settings of the `json` and `summary` formats. */
  llm?: LlmOptionsInput;
  /** Total time limit of one fetch, in milliseconds (1000..120000). */
  timeoutMs?: number;
  /** Attempts per URL before it fails for good (1..10). */
  maxAttempts?: number;
  /** Run pages in a browser: `never`, `always`, or `auto` (only application shells). */
  render?: 'never' | 'always' | 'auto';
  /** PNG of rendered pages, served at `/v1/documents/{id}/screenshot`. */
  screenshot?: 'none' | 'viewport' | 'fullPage';
  /** Proxy pool (DISTILL_PROXY_POOLS) the job's fetches go through. */
  proxyPool?: string;
  /** Key that keeps one proxy under a `sticky_session` pool. */
  proxySession?: string;
  /** A page that meets a bot wall (`blocked_by_site`) gets one more try through this pool. */
  onBlocked?: { proxyPool?: string };
  /** Tesseract languages for OCR of images and scanned PDF pages, e.g. `['eng', 'deu']`. */
  ocrLanguages?: string[];
  /**
   * Request headers sent only to the job's own hosts (never across a redirect to another host).
   * Stored encrypted; the server needs DISTILL_SECRET_KEY. Host, Content-Length, Accept-Encoding
   * and hop-by-hop headers are refused.
   */
  headers?: Record<string, string>;
  /** Cookies, sent by RFC 6265 domain and path matching; stored encrypted. */
  cookies?: Array<{ name: string; value: string; domain: string; path?: string; secure?: boolean }>;
}

/** Language-model settings of a job. */
export interface LlmOptionsInput {
  /** Model instead of the server's DISTILL_LLM_MODEL. */
  model?: string;
  /** Calls of this job in flight at once, per worker process (1..32). @default 4 */
  maxInFlight?: number;
  /** Tokens in + out the whole job may use. @default 1000000 */
  maxTokens?: number;
  /** Repair turns after an answer that breaks the schema (0..3). @default 1 */
  maxRepairs?: number;
  /** Transport retries of one model call (429, 5xx, timeouts), 0..10, at most the server's. @default DISTILL_LLM_MAX_RETRIES */
  maxRetries?: number;
}

/** Job options as the API reports them (every option resolved). */
export interface JobOptionsView {
  maxAge: number;
  formats: DocumentFormatName[];
  timeoutMs: number;
  maxAttempts: number;
  render: 'never' | 'always' | 'auto';
  screenshot: 'none' | 'viewport' | 'fullPage';
  proxyPool?: string;
  onBlocked?: { proxyPool?: string };
  ocrLanguages?: string[];
  /** The job's header names; values are never returned. */
  headers?: Record<string, '[set]'>;
  /** The job's cookies; values are never returned. */
  cookies?: Array<{ name: string; domain: string; path: string; value: '[set]' }>;
  /** Chunk settings, on jobs that ask for `chunks`. */
  chunkTokens?: number;
  chunkOverlap?: number;
  /** The `json` format's schema and prompt, on jobs that ask for it. */
  json?: { schema: Record<string, unknown>; prompt?: string };
  /** The `summary` format's own instruction, when given. */
  summaryPrompt?: string;
  /** Language-model settings, on jobs that ask for `json` or `summary`. */
  llm?: { model?: string; maxInFlight: number; maxTokens: number; maxRepairs: number; maxRetries?: number };
}

/** One chunk of a document (`formats: ["chunks"]`). */
export interface ChunkView {
  /** `<documentId>:<index>:<12 hex of the text's SHA-256>`: stable while the Markdown is. */
  id: string;
  index: number;
  /** The chunk's Markdown. */
  text: string;
  /** Headings the chunk sits under, outermost first. */
  headings: string[];
  /** Tokens of `text` (o200k_base). */
  tokens: number;
}

/** A line of `GET /v1/jobs/:id/chunks`: a chunk with the item and document it comes from. */
export interface JobChunkView extends ChunkView {
  seq: number;
  documentId: string;
  url: string;
}

/** What the language model gave one item. */
export interface LlmResultView {
  model: string;
  tokensIn: number;
  tokensOut: number;
  calls: number;
  /** Parts the model failed at (`llm_failed`); the document is kept. */
  errors?: Array<{ part: 'json' | 'summary'; code: 'llm_failed'; message: string }>;
}

/** A webhook the server calls when the job's state changes; signed with `secret` when given. */
export interface WebhookInput {
  url: string;
  secret?: string;
}

/** Relative links of a job's resources. */
export interface JobLinks {
  self: string;
  items: string;
  results: string;
  events: string;
  cancel: string;
  retry?: string;
  urls: string;
}

/** A job: status, counts per item state and progress. Times are ISO 8601 strings. */
export interface JobView {
  id: string;
  /** The name given at submission, else the first URL's host and how many more URLs the job has ("example.com +41"). */
  name: string;
  status: JobStatusName;
  counts: ItemCountsView;
  /** Items of the job (URLs after normalisation and deduplication). */
  total: number;
  /** Items satisfied by a stored document without fetching. */
  reused: number;
  /** Share of items in a final state, 0..1. */
  progress: number;
  options: JobOptionsView;
  /** The webhook's URL (its secret is never echoed). */
  webhook: { url: string } | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  links: JobLinks;
  /**
   * Present when the submission that made the job is not stored whole: `open` while its body is
   * still being read (or the process reading it died: the job never got its Idempotency-Key),
   * `interrupted` when the body was cut or storing failed part-way. Absent once every URL is stored.
   */
  intake?: 'open' | 'interrupted';
  /** Tokens the language model used for the job's items so far (jobs that ask for json or summary). */
  llmUsage?: { tokensIn: number; tokensOut: number; items: number };
  /**
   * Present while items of the job wait on politeness (per-host limits) in this server's workers:
   * how many are in flight, and the hosts (the top few) the others wait for, with their limits.
   */
  politeness?: PolitenessView;
}

/** What a job waits on politeness for (see `JobView.politeness`). */
export interface PolitenessView {
  /** Running items not waiting for a host's slot. */
  inFlight: number;
  /** Hosts holding items back, most first: items waiting (in a slot or rescheduled) and the per-host limit. */
  waiting: Array<{ host: string; items: number; limit: { inFlight: number; ratePerSecond: number } }>;
}

/**
 * Why a submitted entry was refused: the URL rules (`invalid_url`, `unsupported_scheme`,
 * `url_too_long`, `credentials_in_url`) plus `invalid_line`, an NDJSON line that is neither a JSON
 * string nor `{"url": "..."}`.
 */
export type InvalidEntryReason =
  | 'invalid_url'
  | 'unsupported_scheme'
  | 'url_too_long'
  | 'credentials_in_url'
  | 'invalid_line'
  /** A streamed submission reached the tenant's cap on queued URLs: this entry and the rest were not kept. */
  | 'queued_urls_limit';

/** One refused entry of a submission. */
export interface InvalidEntryView {
  /** Position of the entry (array index, or line among the non-blank lines), 0-based. */
  index: number;
  /** The entry as given, cut to 200 characters. */
  input: string;
  reason: InvalidEntryReason;
  message: string;
}

/** What one submission or append did. */
export interface SubmissionSummary {
  /** Entries received, valid or not. */
  received: number;
  /** New items added to the job (queued and reused). */
  accepted: number;
  /** Valid entries that repeated a URL of this job after normalisation. */
  duplicates: number;
  /** New items satisfied by a stored document newer than `maxAge`, without fetching. */
  reused: number;
  /** Refused entries, the first 1000 of them; `invalidCount` counts them all. */
  invalid: InvalidEntryView[];
  invalidCount: number;
  /**
   * True when an `Idempotency-Key` matched an earlier job: that job is returned unchanged, nothing
   * was added, and the counts above describe only the part of the body that was read.
   */
  replayed: boolean;
  /** True when a streamed body held more URLs than the server takes in one request; the rest was ignored. */
  truncated: boolean;
}

/** Response of `POST /v1/jobs` and `POST /v1/jobs/:id/urls`. */
export interface SubmitResponse {
  job: JobView;
  submission: SubmissionSummary;
}

/** The error of a failed (or retrying) item. */
export interface ItemErrorView {
  code: string;
  message: string;
  httpStatus?: number;
}

/** One URL of a job. */
export interface ItemView {
  seq: number;
  url: string;
  state: ItemStateName;
  attempts: number;
  error: ItemErrorView | null;
  documentId: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
}

/** A stored document: one per normalised URL. */
export interface DocumentView {
  id: string;
  url: string;
  finalUrl: string;
  canonicalUrl: string | null;
  mimeType: string;
  httpStatus: number;
  title: string | null;
  byline: string | null;
  description: string | null;
  siteName: string | null;
  lang: string | null;
  publishedTime: string | null;
  text: string;
  markdown: string | null;
  html: string | null;
  links: string[];
  wordCount: number;
  extractor: string;
  quality: Record<string, unknown>;
  metadata: Record<string, unknown>;
  contentHash: string;
  fetchedAt: string;
}

/** Fields `fields=` may name on the results endpoint. */
export type DocumentField = keyof DocumentView;

/**
 * One result of a job: the document of a succeeded item, restricted to the `fields` asked for,
 * with what the job's own formats made of it: `chunks`, `json`, `summary` and the model's `llm` use.
 */
export type ResultView = Partial<DocumentView> & {
  chunks?: ChunkView[];
  json?: unknown;
  summary?: string | null;
  llm?: LlmResultView;
};

/** One hit of `GET /v1/documents/search`: `highlights` are `[start, end)` offsets in `snippet`. */
export interface SearchHitView {
  documentId: string;
  url: string;
  title: string | null;
  lang: string | null;
  wordCount: number;
  fetchedAt: string;
  score: number;
  snippet: string;
  highlights: [number, number][];
  titleHighlights: [number, number][];
  links: { document: string };
}

/** A page of a list, with an opaque cursor for the next one (null at the end). */
export interface PageView<T> {
  items: T[];
  nextCursor: string | null;
}

/** An `application/problem+json` body (RFC 9457). */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  /** Stable machine-readable code, e.g. `job_not_found` or `validation_failed`. */
  code: string;
  requestId?: string;
  /** For `validation_failed`: each offending field as a JSON pointer, e.g. `/urls`. */
  errors?: Array<{ field: string; message: string }>;
  /** For `no_valid_urls`: why each entry was refused. */
  invalid?: InvalidEntryView[];
  /** For `extract_timeout` and item failures: the job that keeps running. */
  jobId?: string;
  [extension: string]: unknown;
}

/** Data of the SSE `progress` event: a snapshot of the job's counts, sent when they change. */
export interface ProgressEventData {
  jobId: string;
  status: JobStatusName;
  counts: ItemCountsView;
  total: number;
  progress: number;
  /** As `JobView.politeness`. */
  politeness?: PolitenessView;
}

/** Readiness report of `GET /readyz`. */
export interface ReadinessView {
  status: 'ready' | 'not_ready';
  checks: Record<string, { ok: boolean; message?: string }>;
}
