/**
 * The problem codes of the API and their HTTP status: the table `error-handler.ts` maps errors
 * through. Besides these, `POST /v1/extract` answers 422 with the failed item's own error code
 * (`blocked_address`, `http_error`, `timeout`, ...; ARCHITECTURE.md lists them), and `POST /v1/files`
 * 422 with the extraction's code (`unsupported_content_type`, `encrypted_document`, ...).
 */
export const PROBLEM_STATUS = {
  /** No route matches the method and path. */
  not_found: 404,
  /** API keys exist and the request has none, or one that is unknown or revoked (see `distill keys`). */
  unauthorized: 401,
  job_not_found: 404,
  document_not_found: 404,
  /** `/v1/jobs/:id/webhooks/:deliveryId`: the job has no such webhook delivery. */
  delivery_not_found: 404,
  /** `/v1/schedules/:id`: no such schedule. */
  schedule_not_found: 404,
  /** `GET /v1/crawls/:id`: no job with this id, or the job is not a crawl. */
  crawl_not_found: 404,
  /** `/v1/domains/:pattern`: the tenant has no rule of this pattern (configuration rules are changed in DISTILL_DOMAINS). */
  domain_rule_not_found: 404,
  /** `PUT /v1/domains`: the rule is malformed (pattern, a limit, render, robots, an unknown proxy pool, a forbidden header, too many rules); `field` names the member. */
  invalid_domain_rule: 400,
  /** The body is not JSON (or is empty). */
  invalid_json: 400,
  /** The body, query string or path breaks the route's schema; `errors` names each field. */
  validation_failed: 400,
  /** Not one entry of the submission is a valid http(s) URL; `invalid` says why for each. */
  no_valid_urls: 400,
  /** A pagination cursor this server did not hand out. */
  invalid_cursor: 400,
  /** `GET /v1/documents?url=` with something that is not an http(s) URL. */
  invalid_url: 400,
  /**
   * `GET /v1/documents/search`: the query cannot be searched; `reason` says why (`empty`,
   * `unbalanced_quote`, `only_excluded`, `misplaced_or`, `bad_prefix`, `too_many_terms`,
   * `term_too_long`, `query_too_long`).
   */
  invalid_search_query: 400,
  /** The job's webhook URL is refused: not http(s), credentials in it, or a private address (the guard). */
  invalid_webhook_url: 400,
  /** A Firecrawl-compatible request (`/firecrawl/...`) sets an option distill does not do; `field` names it. */
  unsupported_option: 400,
  /** `options.headers` or `options.cookies` holds a forbidden header (Host, Content-Length, hop-by-hop), a malformed name, value or cookie domain, or is set where it is not taken (schedules). */
  invalid_request_secret: 400,
  /** `options.headers` or `options.cookies` was set, and this server has no DISTILL_SECRET_KEY to seal them with. */
  secret_key_missing: 400,
  /** `options.chunkTokens` or `options.chunkOverlap` out of range (32..8192; 0..half of chunkTokens). */
  invalid_chunk_settings: 400,
  /** The `json` format's schema is missing or is not a JSON Schema (ajv cannot compile it); `detail` says why. */
  invalid_json_schema: 400,
  /** The `json` format's schema is over 32 KiB of JSON. */
  json_schema_too_large: 400,
  /** A `json` or `summary` prompt is over 4000 characters. */
  prompt_too_large: 400,
  /** The `json` or `summary` format was asked of a server with no model endpoint (DISTILL_LLM_URL). */
  llm_not_configured: 400,
  /** Any other malformed request Fastify refuses (bad Content-Length, bad path encoding, ...). */
  bad_request: 400,
  /** URLs appended to a cancelled job, or `POST /v1/extract` whose job was cancelled. */
  job_cancelled: 409,
  /** `DELETE /v1/jobs/:id` of a job still queued or running: cancel it first. */
  job_not_finished: 409,
  /** `POST /v1/jobs/:id/retry` of an upload's job: its bytes are not kept, so the file is uploaded again. */
  upload_not_retryable: 409,
  /** The JSON body is larger than `maxRequestBytes`; stream large batches as text/plain or NDJSON. */
  body_too_large: 413,
  /** `POST /v1/files`: the file is larger than `DISTILL_MAX_UPLOAD_BYTES`. */
  file_too_large: 413,
  /** The route does not take this Content-Type. */
  unsupported_media_type: 415,
  /** `POST /v1/extract`: the item failed without an error code of its own. */
  extraction_failed: 422,
  /** Too many requests from this API key (or address, while auth is off); retry after `Retry-After` seconds. */
  rate_limited: 429,
  /** The tenant already has `DISTILL_TENANT_MAX_QUEUED` URLs waiting; `limit` and `queued` say how many. */
  queued_urls_limit: 429,
  /** The tenant has `DISTILL_MAX_EVENT_STREAMS_PER_TENANT` SSE streams open; retry after `Retry-After` seconds. */
  tenant_streams_limit: 429,
  /** Too many Server-Sent Events streams are open; retry after `Retry-After` seconds. */
  too_many_streams: 503,
  /**
   * The database refuses writes or cannot be reached (read-only file or standby, I/O errors,
   * connections dropped); retry after `Retry-After` seconds. `/readyz` says which.
   */
  storage_unavailable: 503,
  /** The database has no space left (disk full); nothing more can be stored until space is freed. */
  storage_full: 507,
  /** `POST /v1/extract` did not finish in time; the job keeps running (see `jobId`, `links`). */
  extract_timeout: 504,
  /** Anything unexpected; the detail never echoes the cause, the log has it under the request id. */
  internal_error: 500,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof PROBLEM_STATUS;

/** Every problem code the API itself produces, for the README's list and its test. */
export const API_ERROR_CODES: readonly ApiErrorCode[] = Object.keys(PROBLEM_STATUS) as ApiErrorCode[];

/** Status of an item's error code when `POST /v1/extract` reports a failed item. */
export const ITEM_FAILED_STATUS = 422;

/** Short human titles of the codes (RFC 9457 `title`). */
export const PROBLEM_TITLES: Record<ApiErrorCode, string> = {
  not_found: 'Not found',
  unauthorized: 'API key required',
  rate_limited: 'Too many requests',
  queued_urls_limit: 'Too many queued URLs',
  job_not_found: 'Job not found',
  document_not_found: 'Document not found',
  delivery_not_found: 'Webhook delivery not found',
  schedule_not_found: 'Schedule not found',
  crawl_not_found: 'Crawl not found',
  domain_rule_not_found: 'Domain rule not found',
  invalid_domain_rule: 'Invalid domain rule',
  invalid_json: 'Invalid JSON',
  validation_failed: 'Validation failed',
  no_valid_urls: 'No valid URLs',
  invalid_cursor: 'Invalid cursor',
  invalid_url: 'Invalid URL',
  invalid_search_query: 'Invalid search query',
  invalid_webhook_url: 'Invalid webhook URL',
  bad_request: 'Bad request',
  invalid_chunk_settings: 'Chunk settings out of range',
  invalid_json_schema: 'Invalid JSON Schema',
  json_schema_too_large: 'JSON Schema too large',
  prompt_too_large: 'Prompt too large',
  llm_not_configured: 'No model endpoint configured',
  invalid_request_secret: 'Invalid request header or cookie',
  secret_key_missing: 'No secret key to seal headers and cookies with',
  job_cancelled: 'Job cancelled',
  job_not_finished: 'Job not finished',
  upload_not_retryable: 'An upload cannot be retried',
  body_too_large: 'Body too large',
  file_too_large: 'File too large',
  unsupported_media_type: 'Unsupported media type',
  extraction_failed: 'Extraction failed',
  tenant_streams_limit: 'Too many event streams for this tenant',
  too_many_streams: 'Too many event streams',
  storage_unavailable: 'Storage unavailable',
  storage_full: 'Storage full',
  extract_timeout: 'Extraction timed out',
  unsupported_option: 'Option not supported',
  internal_error: 'Internal server error',
};

/** The `type` URI of a problem code. */
export function problemType(code: string): string {
  return `urn:distill:problem:${code}`;
}
