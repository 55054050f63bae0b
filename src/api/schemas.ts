import {
  aiOptionsInputProperties,
  aiOptionsViewProperties,
  aiResultProperties,
  FORMAT_NAMES,
  formatsInputSchema,
  llmUsageSchema,
} from './ai-options.js';

/**
 * JSON schemas of the API: request validation (Ajv, no type coercion of bodies), response
 * serialisation (fast-json-stringify) and the OpenAPI document. They mirror the wire types of
 * `src/client/types.ts`; nullable members use `type: [..., 'null']` (OpenAPI 3.1).
 */

const ITEM_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
const JOB_STATUSES = ['queued', 'running', 'completed', 'cancelled'] as const;
const FORMATS = FORMAT_NAMES;
const RENDER_MODES = ['never', 'always', 'auto'] as const;
const SCREENSHOT_MODES = ['none', 'viewport', 'fullPage'] as const;

export const integer = { type: 'integer' } as const;
export const string = { type: 'string' } as const;
export const nullableString = { type: ['string', 'null'] } as const;
export const isoTime = { type: 'string', format: 'date-time' } as const;
export const nullableIsoTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const countsSchema = {
  type: 'object',
  description: 'Items per state',
  properties: Object.fromEntries(ITEM_STATES.map((s) => [s, integer])),
  required: [...ITEM_STATES],
} as const;

/** A Tesseract language code: three letters, maybe a script or variant (`eng`, `chi_sim`, `deu_latf`). */
export const OCR_LANGUAGE_PATTERN = '^[a-z]{3}(_[a-z]{2,8})?$';

// prettier-ignore
export const jobOptionsInputSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxAge: { type: 'integer', minimum: 0, description: 'Reuse a stored document fetched less than this many seconds ago; 0 always fetches' },
    formats: formatsInputSchema,
    ...aiOptionsInputProperties,
    timeoutMs: { type: 'integer', minimum: 1000, maximum: 120_000, description: 'Time limit of one fetch (ms)' },
    maxAttempts: { type: 'integer', minimum: 1, maximum: 10 },
    render: {
      type: 'string',
      enum: RENDER_MODES,
      description: 'Run pages in a browser: never; always; auto = only pages whose HTML is an application shell (server default: auto)',
    },
    screenshot: {
      type: 'string',
      enum: SCREENSHOT_MODES,
      description: 'PNG of the rendered page (GET /v1/documents/{id}/screenshot): none, viewport or fullPage; opens HTML pages in the browser',
    },
    proxyPool: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Proxy pool (DISTILL_PROXY_POOLS) the job\'s fetches go through' },
    proxySession: { type: 'string', minLength: 1, maxLength: 256, description: 'Key that keeps one proxy under a sticky_session pool' },
    ocrLanguages: {
      type: 'array',
      minItems: 1,
      maxItems: 8,
      items: { type: 'string', pattern: OCR_LANGUAGE_PATTERN },
      description: 'Tesseract languages for OCR of images and scanned PDF pages, e.g. ["eng","deu"] (server default: DISTILL_OCR_LANGUAGES); one not installed fails the item with ocr_language_unavailable',
    },
    onBlocked: {
      type: 'object',
      additionalProperties: false,
      properties: { proxyPool: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'Pool that gets one more try of a page that met a bot wall (blocked_by_site)' } },
    },
    headers: {
      type: 'object',
      maxProperties: 50,
      additionalProperties: { type: 'string', maxLength: 8192 },
      description:
        'Request headers sent only to the hosts of the job\'s own URLs (never across a redirect to another host); stored encrypted (DISTILL_SECRET_KEY), shown as "[set]". Host, Content-Length, Accept-Encoding and hop-by-hop headers are refused',
    },
    cookies: {
      type: 'array',
      maxItems: 50,
      description: 'Cookies sent by RFC 6265 domain and path matching; stored encrypted, shown as "[set]"',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'value', 'domain'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 256 },
          value: { type: 'string', maxLength: 4098 },
          domain: { type: 'string', minLength: 1, maxLength: 253, description: 'Host the cookie belongs to; its subdomains match too' },
          path: { type: 'string', minLength: 1, maxLength: 1024, description: 'Default /' },
          secure: { type: 'boolean', description: 'Only over https (default false)' },
        },
      },
    },
  },
} as const;

// prettier-ignore
export const webhookInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', pattern: '^https?://', maxLength: 2048, description: 'http(s) URL called on state changes' },
    secret: { type: 'string', minLength: 1, maxLength: 256, description: 'Key of the HMAC signature of each call' },
  },
} as const;

export function urlsArraySchema(maxUrls: number) {
  return {
    type: 'array',
    minItems: 1,
    maxItems: maxUrls,
    items: { type: 'string' },
    description: `1 to ${maxUrls} URLs; invalid entries are reported, not fatal`,
  } as const;
}

/** Body of `POST /v1/jobs`: JSON, or one URL per line streamed as text/plain or NDJSON. */
/**
 * The examples `/docs` fills "Try it out" with: two real-looking URLs and the options people
 * change, no webhook (a made-up webhook URL would be refused, or called).
 */
export const EXAMPLE_URLS = ['https://example.com/', 'https://www.rfc-editor.org/rfc/rfc9457.txt'] as const;

export function submitBodySchema(maxUrls: number) {
  return {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['urls'],
          properties: {
            urls: urlsArraySchema(maxUrls),
            name: jobNameSchema,
            options: jobOptionsInputSchema,
            webhook: webhookInputSchema,
          },
          examples: [
            {
              urls: [...EXAMPLE_URLS],
              name: 'Docs refresh',
              options: { maxAge: 3600, formats: ['markdown', 'links'] },
            },
          ],
        },
      },
      ...streamedBodies,
    },
  } as const;
}

/** A job's name at submission (issue 22); the handler also refuses control characters and blank names. */
export const jobNameSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 200,
  description:
    "The job's name in lists (at most 200 characters, no line breaks); unset: its first URL's host and how many more URLs it has",
  examples: ['Docs refresh'],
} as const;

/** Body of `POST /v1/jobs/:id/urls`. */
export function appendBodySchema(maxUrls: number) {
  return {
    content: {
      'application/json': {
        schema: {
          type: 'object',
          additionalProperties: false,
          required: ['urls'],
          properties: { urls: urlsArraySchema(maxUrls) },
          examples: [{ urls: ['https://example.com/about'] }],
        },
      },
      ...streamedBodies,
    },
  } as const;
}

// No `type` on purpose: the body is the request stream itself, read line by line by the handler.
const streamedBodies = {
  'text/plain': {
    schema: { description: 'One URL per line, streamed (not held in memory); blank and # lines skipped' },
  },
  'application/x-ndjson': { schema: { description: 'One JSON string or {"url": "..."} per line, streamed' } },
} as const;

/** Job options in the query string, for streamed bodies (JSON bodies may also set them in `options`). */
export const submitQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxAge: jobOptionsInputSchema.properties.maxAge,
    formats: {
      type: 'string',
      pattern: '^(text|markdown|html|links|chunks|summary)(,(text|markdown|html|links|chunks|summary))*$',
      description: 'Comma-separated formats (json needs a JSON body, for its schema)',
    },
    timeoutMs: jobOptionsInputSchema.properties.timeoutMs,
    maxAttempts: jobOptionsInputSchema.properties.maxAttempts,
    render: jobOptionsInputSchema.properties.render,
    screenshot: jobOptionsInputSchema.properties.screenshot,
    webhookUrl: {
      ...webhookInputSchema.properties.url,
      description: 'Webhook URL for streamed bodies; its secret goes in the Webhook-Secret header',
    },
    name: jobNameSchema,
  },
} as const;

export const idempotencyHeadersSchema = {
  type: 'object',
  properties: {
    'idempotency-key': {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'A retried POST with the same key returns the same job (200)',
    },
    'webhook-secret': { type: 'string', minLength: 1, maxLength: 256 },
  },
} as const;

export const jobIdParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

// prettier-ignore
export const jobSchema = {
  type: 'object',
  required: ['id', 'name', 'status', 'counts', 'total', 'reused', 'progress', 'options', 'webhook', 'createdAt', 'updatedAt', 'finishedAt', 'links'],
  properties: {
    id: string,
    name: { type: 'string', description: "The name given at submission, else the first URL's host and how many more URLs the job has (\"example.com +41\")" },
    status: { type: 'string', enum: JOB_STATUSES },
    counts: countsSchema,
    total: integer,
    reused: integer,
    progress: { type: 'number', minimum: 0, maximum: 1 },
    options: {
      type: 'object',
      required: ['maxAge', 'formats', 'timeoutMs', 'maxAttempts'],
      properties: {
        maxAge: integer,
        formats: { type: 'array', items: { type: 'string', enum: FORMATS } },
        timeoutMs: integer,
        maxAttempts: integer,
        render: { type: 'string', enum: RENDER_MODES },
        screenshot: { type: 'string', enum: SCREENSHOT_MODES },
        proxyPool: string,
        onBlocked: { type: 'object', properties: { proxyPool: string } },
        ocrLanguages: { type: 'array', items: string },
        headers: { type: 'object', additionalProperties: { type: 'string', enum: ['[set]'] }, description: 'Names of the job\'s headers; values are never returned' },
        cookies: {
          type: 'array',
          items: { type: 'object', properties: { name: string, domain: string, path: string, value: { type: 'string', enum: ['[set]'] } } },
        },
        ...aiOptionsViewProperties,
      },
    },
    llmUsage: llmUsageSchema,
    webhook: { type: ['object', 'null'], properties: { url: string } },
    createdAt: isoTime,
    updatedAt: isoTime,
    finishedAt: nullableIsoTime,
    politeness: {
      type: 'object',
      description: "Present while items wait on politeness (per-host limits) in this server's workers: items in flight, and the hosts (top 3) the others wait for",
      required: ['inFlight', 'waiting'],
      properties: {
        inFlight: integer,
        waiting: {
          type: 'array',
          items: {
            type: 'object',
            required: ['host', 'items', 'limit'],
            properties: {
              host: string,
              items: integer,
              limit: { type: 'object', required: ['inFlight', 'ratePerSecond'], properties: { inFlight: integer, ratePerSecond: { type: 'number' } } },
            },
          },
        },
      },
    },
    intake: {
      type: 'string',
      enum: ['open', 'interrupted'],
      description:
        'Present when the submission is not stored whole: open while its body is read (or its reader died), interrupted when it was cut',
    },
    links: {
      type: 'object',
      required: ['self', 'items', 'results', 'events', 'cancel', 'urls'],
      properties: { self: string, items: string, results: string, events: string, cancel: string, retry: string, urls: string },
    },
  },
} as const;

// prettier-ignore
const invalidEntrySchema = {
  type: 'object',
  required: ['index', 'input', 'reason', 'message'],
  properties: {
    index: integer,
    input: string,
    reason: { type: 'string', enum: ['invalid_url', 'unsupported_scheme', 'url_too_long', 'credentials_in_url', 'invalid_line', 'queued_urls_limit'] },
    message: string,
  },
} as const;

export const submitResponseSchema = {
  type: 'object',
  required: ['job', 'submission'],
  properties: {
    job: jobSchema,
    submission: {
      type: 'object',
      required: [
        'received',
        'accepted',
        'duplicates',
        'reused',
        'invalid',
        'invalidCount',
        'replayed',
        'truncated',
      ],
      properties: {
        received: integer,
        accepted: integer,
        duplicates: integer,
        reused: integer,
        invalid: { type: 'array', items: invalidEntrySchema, description: 'The first 1000 refused entries' },
        invalidCount: integer,
        replayed: { type: 'boolean' },
        truncated: { type: 'boolean' },
      },
    },
  },
} as const;

// prettier-ignore
export const itemSchema = {
  type: 'object',
  required: ['seq', 'url', 'state', 'attempts', 'error', 'documentId', 'createdAt', 'updatedAt', 'finishedAt'],
  properties: {
    seq: integer,
    url: string,
    state: { type: 'string', enum: ITEM_STATES },
    attempts: integer,
    error: {
      type: ['object', 'null'],
      properties: { code: string, message: string, httpStatus: integer },
    },
    documentId: nullableString,
    createdAt: isoTime,
    updatedAt: isoTime,
    finishedAt: nullableIsoTime,
  },
} as const;

const documentProperties = {
  id: string,
  url: string,
  finalUrl: string,
  canonicalUrl: nullableString,
  mimeType: string,
  httpStatus: integer,
  title: nullableString,
  byline: nullableString,
  description: nullableString,
  siteName: nullableString,
  lang: nullableString,
  publishedTime: nullableString,
  text: string,
  markdown: nullableString,
  html: nullableString,
  links: { type: 'array', items: string },
  wordCount: integer,
  extractor: string,
  quality: { type: 'object', additionalProperties: true },
  metadata: { type: 'object', additionalProperties: true },
  contentHash: string,
  fetchedAt: isoTime,
} as const;

export const documentSchema = {
  type: 'object',
  required: Object.keys(documentProperties),
  properties: documentProperties,
} as const;

/** A result: a document restricted to the requested `fields`, so nothing is required. */
// prettier-ignore
export const resultSchema = { type: 'object', properties: { ...documentProperties, ...aiResultProperties } } as const;

export function pageSchema(items: object) {
  return {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items },
      nextCursor: {
        type: ['string', 'null'],
        description: 'Pass as `cursor` for the next page; null at the end',
      },
    },
  } as const;
}

export function paginationQuerySchema(
  defaultLimit: number,
  maxLimit: number,
  extra: Record<string, object> = {},
) {
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      cursor: { type: 'string', maxLength: 512 },
      limit: { type: 'integer', minimum: 1, maximum: maxLimit, default: defaultLimit },
      ...extra,
    },
  } as const;
}

export const itemStateQuery = { state: { type: 'string', enum: ITEM_STATES } } as const;

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json) with a stable `code`',
  required: ['type', 'title', 'status', 'code'],
  additionalProperties: true,
  properties: {
    type: string,
    title: string,
    status: integer,
    detail: string,
    instance: string,
    code: string,
    requestId: string,
    errors: { type: 'array', items: { type: 'object', properties: { field: string, message: string } } },
  },
} as const;

/** The error responses every route may give. */
export const problemResponses = { '4xx': problemSchema, '5xx': problemSchema } as const;

export const extractBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: { url: { type: 'string', minLength: 1, maxLength: 8192 }, options: jobOptionsInputSchema },
  examples: [{ url: EXAMPLE_URLS[0], options: { formats: ['markdown'] } }],
} as const;

export const readinessSchema = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    checks: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        required: ['ok'],
        properties: { ok: { type: 'boolean' }, message: string },
      },
    },
  },
} as const;
