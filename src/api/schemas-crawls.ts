import {
  integer,
  isoTime,
  jobNameSchema,
  jobOptionsInputSchema,
  jobSchema,
  nullableIsoTime,
  nullableString,
  string,
  urlsArraySchema,
  webhookInputSchema,
} from './schemas.js';

/**
 * JSON schemas of crawls, schedules and document versions (issue 9), beside the jobs' in
 * `schemas.ts`.
 */

const patternListSchema = {
  type: 'array',
  maxItems: 50,
  items: { type: 'string', minLength: 1, maxLength: 500 },
  description:
    'URL patterns: `/regex/flags`, or globs (`**` anything, `*` anything but `/`); a glob starting with `/` matches path and query',
} as const;

/** A crawl's settings as a client sends them (`POST /v1/crawls`, a schedule's `crawl`). */
export const crawlInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 8192, description: 'The start page' },
    maxDepth: {
      type: 'integer',
      minimum: 0,
      maximum: 100,
      description: 'Hops from the start page (default 2)',
    },
    maxPages: {
      type: 'integer',
      minimum: 1,
      description:
        "Most pages in all, the start page included (default 100; at most the server's DISTILL_CRAWL_MAX_PAGES)",
    },
    include: patternListSchema,
    exclude: patternListSchema,
    sameSite: {
      type: 'boolean',
      description: "Follow only links to the start page's host, `www.` aside (default true)",
    },
    useSitemap: { type: 'boolean', description: "Also read the origin's /sitemap.xml (default true)" },
  },
} as const;

export const crawlSettingsSchema = {
  type: 'object',
  required: ['url', 'maxDepth', 'maxPages', 'include', 'exclude', 'sameSite', 'useSitemap'],
  properties: {
    url: string,
    maxDepth: integer,
    maxPages: integer,
    include: { type: 'array', items: string },
    exclude: { type: 'array', items: string },
    sameSite: { type: 'boolean' },
    useSitemap: { type: 'boolean' },
  },
} as const;

export const crawlBodySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    ...crawlInputSchema.properties,
    name: jobNameSchema,
    options: jobOptionsInputSchema,
    webhook: webhookInputSchema,
  },
  examples: [{ url: 'https://example.com/docs/', maxDepth: 2, maxPages: 50 }],
} as const;

export const crawlResponseSchema = {
  type: 'object',
  required: ['job', 'crawl'],
  properties: { job: jobSchema, crawl: crawlSettingsSchema },
} as const;

const jobTemplateSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['urls'],
  properties: { urls: urlsArraySchema(10_000), options: jobOptionsInputSchema, webhook: webhookInputSchema },
} as const;

export const scheduleBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    urls: urlsArraySchema(10_000),
    jobTemplate: jobTemplateSchema,
    crawl: crawlInputSchema,
    options: jobOptionsInputSchema,
    webhook: webhookInputSchema,
    cron: {
      type: 'string',
      minLength: 1,
      maxLength: 200,
      description: 'Five fields (minute hour day month weekday), or six with seconds first',
    },
    intervalSeconds: { type: 'integer', minimum: 60, maximum: 31_622_400 },
    timezone: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone of the cron expression (default UTC)',
    },
  },
} as const;

export const scheduleSchema = {
  type: 'object',
  required: [
    'id',
    'name',
    'status',
    'cron',
    'intervalSeconds',
    'timezone',
    'template',
    'nextRunAt',
    'lastRunAt',
    'lastJobId',
    'lastError',
    'runs',
    'createdAt',
    'updatedAt',
    'links',
  ],
  properties: {
    id: string,
    name: nullableString,
    status: { type: 'string', enum: ['active', 'paused'] },
    cron: nullableString,
    intervalSeconds: { type: ['integer', 'null'] },
    timezone: string,
    template: {
      type: 'object',
      required: ['kind', 'options', 'webhook'],
      properties: {
        kind: { type: 'string', enum: ['urls', 'crawl'] },
        urls: { type: 'array', items: string },
        crawl: crawlSettingsSchema,
        options: { type: 'object', additionalProperties: true },
        webhook: { type: ['object', 'null'], properties: { url: string } },
      },
    },
    nextRunAt: nullableIsoTime,
    lastRunAt: nullableIsoTime,
    lastJobId: nullableString,
    lastError: nullableString,
    runs: integer,
    createdAt: isoTime,
    updatedAt: isoTime,
    links: {
      type: 'object',
      required: ['self', 'pause', 'resume', 'lastJob'],
      properties: { self: string, pause: string, resume: string, lastJob: nullableString },
    },
  },
} as const;

const changeSummarySchema = {
  type: ['object', 'null'],
  properties: {
    oldWordCount: integer,
    newWordCount: integer,
    addedLines: integer,
    removedLines: integer,
    added: { type: 'array', items: string },
    removed: { type: 'array', items: string },
  },
} as const;

export const documentVersionsSchema = {
  type: 'object',
  required: ['documentId', 'current', 'items'],
  properties: {
    documentId: string,
    current: {
      type: 'object',
      required: ['version', 'contentHash', 'fetchedAt'],
      properties: { version: integer, contentHash: string, fetchedAt: isoTime },
    },
    items: {
      type: 'array',
      items: {
        type: 'object',
        required: ['version', 'contentHash', 'title', 'wordCount', 'fetchedAt', 'replacedAt', 'changes'],
        properties: {
          version: integer,
          contentHash: string,
          title: nullableString,
          wordCount: integer,
          text: string,
          markdown: nullableString,
          fetchedAt: isoTime,
          replacedAt: isoTime,
          changes: changeSummarySchema,
        },
      },
    },
  },
} as const;
