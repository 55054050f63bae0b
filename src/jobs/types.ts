/**
 * Item state machine (ARCHITECTURE.md):
 *
 *   queued ──claim──► running ──succeed──► succeeded
 *     ▲                 │ ├────fail──────► failed      (permanent error, or attempts used up)
 *     │                 │ └────cancel────► cancelled   (job cancelled while running)
 *     └──retry/release──┘                              (attempts + 1 and a runAfter on retry;
 *   queued ──cancel──► cancelled                        release on shutdown or rate limit keeps
 *                                                       the attempt)
 *
 * Final states never change again. Job status is derived from the item counts: `queued` while no
 * item has started, `running` while any item is queued or running, `completed` when none is, and
 * `cancelled` once cancelled (sticky).
 */
export const ITEM_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type ItemState = (typeof ITEM_STATES)[number];

export const FINAL_ITEM_STATES: readonly ItemState[] = ['succeeded', 'failed', 'cancelled'];

export const JOB_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** Per-state item counts of a job. */
export type ItemCounts = Record<ItemState, number>;

/**
 * Output formats a client may ask for. `chunks`, `json` and `summary` (issue 18) are made from the
 * document's Markdown: chunks when read, json and summary by a language model in the worker.
 */
export type DocumentFormat = 'text' | 'markdown' | 'html' | 'links' | 'chunks' | 'json' | 'summary';

/** The formats the extractor itself makes. */
export type ExtractedFormat = 'text' | 'markdown' | 'html' | 'links';

/** The formats a language model makes. */
export const LLM_FORMATS: readonly DocumentFormat[] = ['json', 'summary'];

/** What the extractor must make for `formats`: the model's and the chunks' input is the Markdown. */
export function extractedFormats(formats: readonly DocumentFormat[]): ExtractedFormat[] {
  const own = formats.filter(
    (f): f is ExtractedFormat => f === 'text' || f === 'markdown' || f === 'html' || f === 'links',
  );
  const needsMarkdown = formats.some((f) => f === 'chunks' || f === 'json' || f === 'summary');
  return needsMarkdown && !own.includes('markdown') ? [...own, 'markdown'] : own;
}

/** Does the job ask a language model for something? */
export function wantsLlm(options: Pick<JobOptions, 'formats'>): boolean {
  return options.formats.some((f) => LLM_FORMATS.includes(f));
}

/** How a job's chunks are cut (`formats: ["chunks"]`). */
export interface ChunkSettings {
  /** Token budget of one chunk. */
  maxTokens: number;
  /** Tokens of a chunk's end repeated at the start of the next. */
  overlapTokens: number;
}

/** A job's language-model settings (`json` and `summary` formats). */
export interface LlmJobSettings {
  /** JSON Schema of the `json` format's answer. */
  schema?: Record<string, unknown>;
  /** What to extract, in the job's words. */
  prompt?: string;
  /** Instruction of the `summary` format. */
  summaryPrompt?: string;
  /** Model instead of DISTILL_LLM_MODEL. */
  model?: string;
  /** Calls of the job in flight at once, per worker process. */
  maxInFlight: number;
  /** Tokens (in + out) the whole job may use; past it, items record `llm_failed`. */
  maxTokens: number;
  /** Repair turns after an answer that is not valid JSON for the schema. */
  maxRepairs: number;
  /** Transport retries of one call (429, 5xx, timeouts), at most the server's; unset: the server's. */
  maxRetries?: number;
}

/** What the language model gave an item (stored with the item: the schema is the job's). */
export interface ItemLlmResult {
  /** The `json` format's answer, valid for the job's schema. */
  json?: unknown;
  summary?: string;
  /** Parts that failed: the item keeps its document. */
  errors?: Array<{ part: 'json' | 'summary'; code: 'llm_failed'; message: string }>;
  model: string;
  tokensIn: number;
  tokensOut: number;
  calls: number;
}

/** Options a client sets per job; stored with the job and read by the worker for each item. */
export interface JobOptions {
  /** Reuse a stored document fetched less than this many seconds ago; 0 always fetches. */
  maxAgeSeconds: number;
  formats: DocumentFormat[];
  /** Total time limit of one fetch, in milliseconds. */
  timeoutMs: number;
  /** Attempts per item before it fails for good. */
  maxAttempts: number;
  /**
   * Render pages in a browser: `never`; `always`; `auto` when the plain page is an application
   * shell (render/app-shell.ts). Unset in jobs stored before rendering existed: `never`.
   */
  render?: RenderMode;
  /** Photograph rendered pages (PNG): `none`, `viewport` or `fullPage`. Unset: `none`. */
  screenshot?: ScreenshotMode;
  /**
   * The job's own request headers and cookies (issue 20), sealed with DISTILL_SECRET_KEY; only
   * their names are readable. A job with them never reuses a stored document.
   */
  secrets?: SealedRequestSecrets;
  /** The proxy pool the job's fetches go through (issue 20). Unset: the server's default pool, or direct. */
  proxyPool?: string;
  /** Key that keeps one proxy for the job under a `sticky_session` pool. Unset: the host. */
  proxySession?: string;
  /** What to do when a site answers with a bot wall (`blocked_by_site`): try once more through this pool. */
  onBlocked?: { proxyPool?: string };
  /** Set on crawl jobs (issue 9): the scope their workers follow links within. Unset: not a crawl. */
  crawl?: CrawlSettings;
  /** How chunks are cut (issue 18). Unset: 512 tokens, 64 of overlap. */
  chunking?: ChunkSettings;
  /** Language-model settings of the `json` and `summary` formats (issue 18). */
  llm?: LlmJobSettings;
  /**
   * Tesseract languages for OCR of images and scanned PDF pages (issue 21), e.g. `['eng', 'deu']`.
   * Unset: the server's `DISTILL_OCR_LANGUAGES`.
   */
  ocrLanguages?: string[];
}

/**
 * What a crawl follows (issue 9), stored in its job's options so that every worker holding one of
 * its items has it. Links are followed breadth-first from `url` while they match the scope.
 */
export interface CrawlSettings {
  /** The start page (normalised). */
  url: string;
  /** Links followed from the start page, hop by hop; 0 fetches the start page (and sitemap) only. */
  maxDepth: number;
  /** Most items the crawl job holds, the start page included. */
  maxPages: number;
  /** URL patterns a link must match one of (none: every link); `/regex/flags` or a glob. */
  include: string[];
  /** URL patterns that rule a link out; `/regex/flags` or a glob. */
  exclude: string[];
  /** Follow only links to the start page's host (a leading `www.` ignored). */
  sameSite: boolean;
  /** Read `/sitemap.xml` of the start page's origin when the start page is fetched. */
  useSitemap: boolean;
}

/** Sealed per-job headers and cookies: the AES-256-GCM box and the names the API may show. */
export interface SealedRequestSecrets {
  box: string;
  headerNames: string[];
  cookies: Array<{ name: string; domain: string; path: string }>;
}

/** How the API, events and webhooks show a job's secrets: names, and `[set]` for every value. */
export interface RedactedRequestSecrets {
  headers: Record<string, '[set]'>;
  cookies: Array<{ name: string; domain: string; path: string; value: '[set]' }>;
}

/** The redacted form of sealed secrets (`[set]` for each value; the box left out). */
export function redactSecrets(secrets: SealedRequestSecrets): RedactedRequestSecrets {
  return {
    headers: Object.fromEntries(secrets.headerNames.map((name) => [name, '[set]' as const])),
    cookies: secrets.cookies.map((c) => ({
      name: c.name,
      domain: c.domain,
      path: c.path,
      value: '[set]' as const,
    })),
  };
}

/** Job options as events and webhooks carry them: the box left out, the secrets redacted. */
export type PublicJobOptions = Omit<JobOptions, 'secrets'> & Partial<RedactedRequestSecrets>;

/** `options` for events and webhooks: the box left out, header and cookie values `[set]`. */
export function publicJobOptions(options: JobOptions): PublicJobOptions {
  const { secrets, ...rest } = options;
  return secrets === undefined ? rest : { ...rest, ...redactSecrets(secrets) };
}

/** The `render` job option (the same strings as render/types.ts). */
export type RenderMode = 'never' | 'always' | 'auto';
/** The `screenshot` job option (the same strings as render/types.ts). */
export type ScreenshotMode = 'none' | 'viewport' | 'fullPage';

export interface Job {
  id: string;
  status: JobStatus;
  options: JobOptions;
  counts: ItemCounts;
  total: number;
  /** Items that reused a stored document instead of fetching. */
  reused: number;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  webhook: { url: string; secret?: string | undefined } | null;
  /** The tenant of the API key that created the job; `default` when auth is off. */
  tenant: string;
  /**
   * Set while the submission that made the job is not stored whole: `open` while it is being read
   * (or its process died reading it: the job then never got its Idempotency-Key), `interrupted`
   * when its body was cut or storing failed part-way. Absent once every URL of it is stored.
   */
  intake?: JobIntake;
  /** The name given at submission (issue 22); absent: see `displayJobName`. */
  name?: string;
  /** The job's first URL, once it has one: the default name and the list's search use it. */
  firstUrl?: string;
}

/** See `Job.intake`. */
export type JobIntake = 'open' | 'interrupted';

/** The tenant of everything made while auth is off, and of rows made before keys existed. */
export const DEFAULT_TENANT = 'default';

export interface ItemError {
  code: string;
  message: string;
  httpStatus?: number | undefined;
}

export interface Item {
  jobId: string;
  seq: number;
  url: string;
  state: ItemState;
  attempts: number;
  runAfter: number;
  error: ItemError | null;
  documentId: string | null;
  createdAt: number;
  updatedAt: number;
  finishedAt: number | null;
  /** What the language model gave the item (issue 18); absent when the job asked for none. */
  llm?: ItemLlmResult;
}

/** A stored document: one per normalised URL, replaced when the URL is extracted again. */
export interface StoredDocument {
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
  fetchedAt: number;
}

/** A document as the worker hands it to storage: everything but the keys storage assigns. */
export type NewDocument = Omit<StoredDocument, 'id' | 'url' | 'contentHash'> & {
  /** The response's `ETag`, kept for the next fetch's `If-None-Match` (issue 9). */
  etag?: string | null;
  /** The response's `Last-Modified`, kept for the next fetch's `If-Modified-Since` (issue 9). */
  lastModified?: string | null;
};

/**
 * A short summary of how a document's main text changed (issue 9): the `document.changed` event's
 * `changes` and each stored version's. Line counts compare the texts as multisets of lines.
 */
export interface ChangeSummary {
  oldWordCount: number;
  newWordCount: number;
  addedLines: number;
  removedLines: number;
  /** The first added lines, each cut to 200 characters (at most 5). */
  added: string[];
  /** The first removed lines, each cut to 200 characters (at most 5). */
  removed: string[];
}

/** An earlier version of a document's content (`GET /v1/documents/:id/versions`). */
export interface DocumentVersion {
  documentId: string;
  /** 1 for the first content stored, + 1 for each change. */
  version: number;
  contentHash: string;
  title: string | null;
  wordCount: number;
  text: string;
  markdown: string | null;
  /** When this version was fetched. */
  fetchedAt: number;
  /** When a newer version replaced it. */
  replacedAt: number;
  /** How the version that replaced it differs from it. */
  changes: ChangeSummary | null;
}

/** An item a worker holds under a lease. `token` proves the lease when the worker reports back. */
export interface ClaimedItem {
  jobId: string;
  seq: number;
  url: string;
  /** The key of the item's document (`documentKey` of the URL as its job's tenant sees it). */
  urlKey?: string | undefined;
  /** This run's attempt number, 1-based. */
  attempt: number;
  token: string;
  options: JobOptions;
}

/** Returns zeroed counts. */
export function emptyCounts(): ItemCounts {
  return { queued: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0 };
}

/** Derives a job's status from its counts. */
export function deriveJobStatus(counts: ItemCounts, isCancelled: boolean): JobStatus {
  if (isCancelled) return 'cancelled';
  if (counts.queued === 0 && counts.running === 0) return 'completed';
  if (counts.running === 0 && counts.succeeded + counts.failed + counts.cancelled === 0) return 'queued';
  return 'running';
}

/** One row of the event log (the outbox table). */
export interface StoredEvent {
  /** Increasing id over all jobs: the SSE `id:` and what `Last-Event-ID` names. */
  id: number;
  jobId: string | null;
  /** `noun.pastVerb`: `job.created`, `document.extracted`, `item.failed`, `job.completed`, `job.cancelled`. */
  type: string;
  payload: unknown;
  createdAt: number;
}

/** A webhook delivery of one event to a job's webhook, as stored and listed (times in epoch ms). */
export interface WebhookDelivery {
  id: string;
  eventId: number;
  jobId: string;
  eventType: string;
  url: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
  lastHttpStatus: number | null;
  /** When the next attempt is due; null once delivered or failed. */
  nextAttemptAt: number | null;
  giveUpAt: number;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}
