import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Times are integers of milliseconds since the epoch (bigint columns) so
 * that comparisons such as `run_after <= now` are plain and portable across SQLite, PostgreSQL and
 * MySQL. JSON goes in text columns, parsed by the repository, for the same reason.
 */
export interface JobsTable {
  id: string;
  status: string;
  options: string;
  webhook: string | null;
  idempotency_key: string | null;
  total: number;
  reused: number;
  queued: number;
  running: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Next item sequence number to hand out. */
  next_seq: number;
  /** When a worker last claimed from this job: the claim round-robin serves the oldest first. */
  last_claimed_at: number;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** The tenant of the key that created the job (migration 0005); `default` when auth is off. */
  tenant: string;
  /** `open` | `ended` | `interrupted`: whether the submission was read and stored whole (migration 0006). */
  intake: string;
  /** The name given at submission, or null (migration 0012). */
  name: string | null;
  /** The job's first URL (migration 0012): the default name and the list's search come from it. */
  first_url: string | null;
}

export interface JobItemsTable {
  job_id: string;
  seq: number;
  url: string;
  /** Hash of the normalised URL: unique per job, used for dedupe and document lookups. */
  url_key: string;
  state: string;
  attempts: number;
  run_after: number;
  lease_token: string | null;
  lease_expires_at: number | null;
  error_code: string | null;
  error_message: string | null;
  http_status: number | null;
  document_id: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /** Crawl jobs (migration 0004): hops from the start page; null for items of other jobs. */
  depth?: number | null;
  /** What the language model gave the item, as JSON (migration 0008, issue 18); null when it asked nothing. */
  llm_result?: string | null;
  llm_tokens_in?: number;
  llm_tokens_out?: number;
}

export interface DocumentsTable {
  id: string;
  url_key: string;
  url: string;
  final_url: string;
  canonical_url: string | null;
  mime_type: string;
  http_status: number;
  title: string | null;
  byline: string | null;
  description: string | null;
  site_name: string | null;
  lang: string | null;
  published_time: string | null;
  text: string;
  markdown: string | null;
  html: string | null;
  links: string;
  word_count: number;
  extractor: string;
  quality: string;
  metadata: string;
  content_hash: string;
  fetched_at: number;
  created_at: number;
  updated_at: number;
  /** Validators of the response (migration 0004), sent back on the next fetch of the URL. */
  etag?: string | null;
  last_modified?: string | null;
  /** 1 for the first content, + 1 for each change of `content_hash` (migration 0004). */
  version?: number;
}

export interface EventsTable {
  id: Generated<number>;
  job_id: string | null;
  type: string;
  payload: string;
  created_at: number;
  published_at: number | null;
}

/** Earlier contents of documents (migration 0004): the last N of each, N configurable. */
export interface DocumentVersionsTable {
  document_id: string;
  version: number;
  content_hash: string;
  title: string | null;
  word_count: number;
  text: string;
  markdown: string | null;
  /** JSON `ChangeSummary` of the change that replaced this version. */
  changes: string | null;
  fetched_at: number;
  replaced_at: number;
}

/** Recurring jobs (migration 0004), fired by the one scheduler that holds the `scheduler` lease. */
export interface SchedulesTable {
  id: string;
  name: string | null;
  /** `active` or `paused`. */
  status: string;
  cron: string | null;
  interval_seconds: number | null;
  timezone: string;
  /** JSON `ScheduleTemplate`: what each run submits. */
  template: string;
  next_run_at: number;
  last_run_at: number | null;
  last_job_id: string | null;
  last_error: string | null;
  runs: number;
  created_at: number;
  updated_at: number;
  /** The tenant of the key that created the schedule (migration 0005). */
  tenant: string;
}

/** API keys (migration 0005): only the SHA-256 of each secret is stored. */
export interface ApiKeysTable {
  id: string;
  tenant: string;
  name: string | null;
  /** The first characters of the secret, shown by `distill keys list` to tell keys apart. */
  prefix: string;
  secret_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Screenshots of rendered documents (migration 0003-render): one per document key. */
export interface ScreenshotsTable {
  url_key: string;
  /** `fetched_at` of the document version the picture belongs to. */
  document_fetched_at: number;
  mime_type: string;
  byte_length: number;
  data: Buffer;
  created_at: number;
}

/** Named leases (migration 0002-events): the relay's leader, the scheduler, retention, the readiness probe. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** Webhook deliveries (migration 0002-events): one per event of a job that has a webhook. */
export interface WebhookDeliveriesTable {
  id: string;
  event_id: number;
  job_id: string;
  event_type: string;
  url: string;
  /** The exact JSON body sent (and signed) on every attempt. */
  body: string;
  /** `pending`, `delivered` or `failed`. */
  status: string;
  attempts: number;
  last_error: string | null;
  last_http_status: number | null;
  next_attempt_at: number;
  give_up_at: number;
  created_at: number;
  updated_at: number;
  delivered_at: number | null;
}

/** Deployment-wide named values (migration 0009): the secret key's check. */
export interface SettingsTable {
  name: string;
  value: string;
  updated_at: number;
}

/** Per-tenant domain rules (migration 0013): the rule's JSON, headers sealed. */
export interface DomainRulesTable {
  tenant: string;
  pattern: string;
  rule: string;
  created_at: number;
  updated_at: number;
}

export interface Database {
  jobs: JobsTable;
  job_items: JobItemsTable;
  documents: DocumentsTable;
  events: EventsTable;
  document_versions: DocumentVersionsTable;
  schedules: SchedulesTable;
  api_keys: ApiKeysTable;
  screenshots: ScreenshotsTable;
  leases: LeasesTable;
  webhook_deliveries: WebhookDeliveriesTable;
  settings: SettingsTable;
  domain_rules: DomainRulesTable;
}
