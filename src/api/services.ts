import type { SecretBox } from '../lib/index.js';
import type { Redis } from 'ioredis';
import type { FastifyBaseLogger } from 'fastify';
import type {
  CrawlSettings,
  DocumentVersion,
  Job,
  JobOptionsInput,
  JobRepository,
  JobsService,
  Page,
  Schedule,
  ScheduleTemplate,
  SearchStore,
  StoredEvent,
  SubmitResult,
  WebhookDelivery,
} from '../jobs/index.js';
import type { MapRequest, MapResult } from '../crawls/index.js';
import type { PolitenessView } from '../client/types.js';
import type { ApiKeyVerifier } from './auth.js';
import type { Metrics } from './metrics.js';

/**
 * What the API's routes need, declared in one place: the route files import these types from
 * here, and this file imports no route, so the routes and the context they get form no cycle.
 */

/** A webhook delivery as the store returns it (times in epoch milliseconds). */
export type WebhookDeliveryRecord = WebhookDelivery;

/**
 * The reads the API makes: a part of the `JobRepository` port. Nothing here is an adapter.
 */
export type ApiRepository = Pick<
  JobRepository,
  'getJob' | 'listJobs' | 'listItems' | 'listResults' | 'getDocument' | 'getDocumentByUrl' | 'listEvents'
> & {
  /** Does the tenant have a job that refers to this document? (Reads of documents under isolation.) */
  isDocumentVisible?(documentId: string, tenant: string): Promise<boolean>;
  /** Tokens the model used for a job (issue 18). Omitted: jobs show no `llmUsage`. */
  llmUsage?: JobRepository['llmUsage'];
};

export type { StoredEvent };

/** An uploaded file as `POST /v1/files` hands it on. */
export interface UploadInput {
  body: Uint8Array;
  contentType: string | undefined;
  fileName: string | undefined;
  options?: JobOptionsInput;
  tenant?: string | undefined;
  signal?: AbortSignal;
}

/**
 * Uploads: extract the file (in the extraction threads) and store its document as a completed
 * one-item job. Rejects with the extraction's error (a `DistillError` with its code) when the file
 * cannot be extracted; nothing is stored then.
 */
export interface FilesApi {
  upload(file: UploadInput): Promise<SubmitResult>;
}

/** The state of one dependency as `GET /readyz` reports it. */
export interface ReadinessCheck {
  ok: boolean;
  message?: string;
}

/**
 * Everything the API's routes need from the rest of distill; `app/` builds it. Nothing here is an
 * adapter. The optional services switch route groups on: without `events` the event log and
 * webhook routes are not registered, and so on.
 */
export interface ApiServices {
  jobs: Pick<JobsService, 'submit' | 'append' | 'cancel' | 'retryFailed' | 'delete' | 'getJob'>;
  /** What this process's workers wait on politeness for, per job; omitted: jobs show no `politeness`. */
  hostWaits?: { politeness(jobId: string, running: number): PolitenessView | undefined };
  /** API keys: auth is on while one live key exists. Omitted: auth is off for good. */
  keys?: ApiKeyVerifier;
  /** Rate-limit counts shared by every API process (distributed mode); omitted: kept in this process. */
  rateLimitRedis?: Redis;
  repository: ApiRepository;
  /**
   * Is every dependency this process needs usable (the database writable, the queue and Redis
   * reachable)? Drives `GET /readyz` (503 when not ready); `checks` also reports dependencies that
   * do not count (see `createReadiness`).
   */
  readiness(): Promise<{ isReady: boolean; checks: Record<string, ReadinessCheck> }>;
  metrics: Metrics;
  /** pino or any logger Fastify 5 takes as `loggerInstance`. Omitted: the API logs nothing. */
  logger?: FastifyBaseLogger;
  /**
   * Waits until a job is final (`completed` or `cancelled`) or `signal` aborts; resolves with the
   * job (null if it disappeared). Used by `POST /v1/extract`. Omitted: the API polls `getJob`.
   */
  waitForJob?(jobId: string, options: { signal: AbortSignal }): Promise<Job | null>;
  /** Extracts uploaded files (`POST /v1/files`). Omitted: the route is not registered. */
  files?: FilesApi;
  /**
   * The event log and webhook deliveries (`GET /v1/events`, `/v1/jobs/:id/webhooks`), and the
   * check of a submitted webhook URL. Omitted: those routes are not registered and webhook URLs
   * are checked by the schema only.
   */
  events?: EventsApi;
  /** Stored screenshots, for `GET /v1/documents/:id/screenshot`. Omitted: every document has none. */
  screenshots?: ScreenshotReader;
  /** `/v1/crawls`. Omitted: not registered. */
  crawls?: CrawlsApi | undefined;
  /** `/v1/schedules`. Omitted: not registered. */
  schedules?: SchedulesApi | undefined;
  /** `GET /v1/documents/:id/versions`. Omitted: not registered. */
  documentVersions?: DocumentVersionsApi | undefined;
  /** `POST /v1/map` (and Firecrawl's map). Omitted: not registered. */
  map?: MapApi | undefined;
  /** `GET /v1/documents/search` and `/v1/jobs/:id/documents/search`. Omitted: not registered. */
  search?: SearchApi | undefined;
  /**
   * Seals jobs' `options.headers` and `options.cookies` (DISTILL_SECRET_KEY). Omitted: jobs that
   * set them are refused with `secret_key_missing`, never stored in clear.
   */
  secretBox?: SecretBox | undefined;
  /** `/v1/domains` (issue 20): per-tenant domain rules. Omitted: not registered. */
  domains?: DomainsApi | undefined;
  /** Is a model endpoint configured (DISTILL_LLM_URL)? Without one, `json` and `summary` are refused (`llm_not_configured`). */
  isLlmConfigured?: boolean;
}

/** What the map route needs (the `SiteMapper` of src/crawls, bound in app/). */
export interface MapApi {
  /** A site's URLs; throws a `TypeError`/`RangeError` with `field` for bad filters or a bad `url`. */
  map(request: MapRequest): Promise<MapResult>;
}

/** What the search routes need (the repository's search store). */
export type SearchApi = Pick<SearchStore, 'searchDocuments'>;

/** The former name of `ApiServices`. */
export type ApiDependencies = ApiServices;

/** What the event routes need; `app/build-events.ts` builds it over the repository and the webhook guard. */
export interface EventsApi {
  /** The event log after `afterId`, oldest first; `types` are exact names or `noun.*` prefixes. */
  listEventLog(options: {
    afterId: number;
    types?: readonly string[] | undefined;
    jobId?: string | undefined;
    /** Only events of this tenant's jobs. */
    tenant?: string | undefined;
    limit: number;
  }): Promise<StoredEvent[]>;
  listWebhookDeliveries(
    jobId: string,
    options: { limit: number; cursor?: string | undefined },
  ): Promise<Page<WebhookDeliveryRecord>>;
  /** Makes a delivery pending and due now; null when the job has no such delivery. */
  replayWebhookDelivery(jobId: string, deliveryId: string): Promise<WebhookDeliveryRecord | null>;
  /** Makes every failed delivery of the job pending again; returns how many. */
  replayFailedWebhookDeliveries(jobId: string): Promise<number>;
  /** Throws an error with code `invalid_webhook_url` when a submitted webhook URL is refused. */
  checkWebhookUrl(url: string): Promise<void>;
}

/** Reads stored screenshots; `KyselyJobRepository` implements it. */
export interface ScreenshotReader {
  /** The screenshot of the document's current version, or null when it has none. */
  getScreenshot(documentId: string): Promise<{ mimeType: string; png: Uint8Array } | null>;
}

/** A crawl's settings as a client sends them. */
export interface CrawlInputView {
  url: string;
  maxDepth?: number;
  maxPages?: number;
  include?: string[];
  exclude?: string[];
  sameSite?: boolean;
  useSitemap?: boolean;
}

/** What the crawl routes need (the crawls service, bound in app/). */
export interface CrawlsApi {
  /** Starts a crawl; throws `NoValidUrlsError`, or a `TypeError` with `pattern` / a `RangeError` for bad settings. */
  start(input: {
    crawl: CrawlInputView;
    options?: JobOptionsInput | undefined;
    webhook?: Job['webhook'] | undefined;
    idempotencyKey?: string | undefined;
    tenant?: string | undefined;
    name?: string | undefined;
  }): Promise<{ job: Job; crawl: CrawlSettings; isNew: boolean }>;
  /** The settings a crawl input resolves to (same errors as `start`). */
  settings(input: CrawlInputView): CrawlSettings;
  /** Refuses a webhook URL the guard forbids (`code: 'invalid_webhook_url'`). */
  checkWebhookUrl?(url: string): Promise<void>;
}

/** What `/v1/domains` needs (bound in app/build-domains.ts); errors are `ApiError`s with their codes. */
export interface DomainsApi {
  /** The tenant's rules, then the configuration's (`source: "config"`, read-only), headers as `"[set]"`. */
  list(tenant: string): Promise<Array<Record<string, unknown>>>;
  get(tenant: string, pattern: string): Promise<Record<string, unknown>>;
  /** Creates or replaces the tenant's rule of `pattern` (from the path, or the body's `pattern`). */
  put(
    tenant: string,
    pattern: string | undefined,
    body: unknown,
  ): Promise<{ rule: Record<string, unknown>; isCreated: boolean }>;
  delete(tenant: string, pattern: string): Promise<void>;
}

/** What the schedule routes need (the schedules service, bound in app/). */
export interface SchedulesApi {
  /** Throws a `TypeError` with `field` (`cron`, `timezone`, `intervalSeconds`) for bad timing. */
  create(input: {
    name?: string | undefined;
    template: ScheduleTemplate;
    cron?: string | undefined;
    intervalSeconds?: number | undefined;
    timezone?: string | undefined;
    tenant?: string | undefined;
  }): Promise<Schedule>;
  list(options: {
    limit: number;
    cursor?: string | undefined;
    tenant?: string | undefined;
  }): Promise<Page<Schedule>>;
  get(id: string, scope?: { tenant?: string | undefined }): Promise<Schedule>;
  pause(id: string, scope?: { tenant?: string | undefined }): Promise<Schedule>;
  resume(id: string, scope?: { tenant?: string | undefined }): Promise<Schedule>;
  delete(id: string, scope?: { tenant?: string | undefined }): Promise<void>;
}

/** What the versions route needs (the repository). */
export interface DocumentVersionsApi {
  listDocumentVersions(
    documentId: string,
    options: { limit: number },
  ): Promise<{
    current: { version: number; contentHash: string; fetchedAt: number } | null;
    versions: DocumentVersion[];
  }>;
}
