import {
  redactSecrets,
  type ChangeSummary,
  type ItemCounts,
  type JobOptions,
  type RedactedRequestSecrets,
} from './types.js';

/**
 * The events distill publishes. One name serves the outbox row, the RabbitMQ routing key (so
 * `item.*` or `job.*` bindings work), the webhook `type`, the SSE `event:` and the `type` filter of
 * `GET /v1/events`. Payloads are small: ids and what a consumer needs to decide whether to fetch
 * more, never a document's text. The domain owns them (the item state machine writes them);
 * `events/event-types.ts` re-exports them.
 */
export const EVENT_TYPES = [
  'job.created',
  'document.extracted',
  'document.changed',
  'item.failed',
  'job.cancelled',
  'job.retried',
  'job.completed',
  'webhook.failed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/**
 * A job's options in an event, named as the API names them (`maxAge`, as in `POST /v1/jobs` and
 * `GET /v1/jobs/:id`), with the defaults filled in. Only these fields: an option added later is
 * not in events until it is added here on purpose.
 */
export interface EventJobOptions {
  maxAge: number;
  formats: JobOptions['formats'];
  timeoutMs: number;
  maxAttempts: number;
  render: NonNullable<JobOptions['render']>;
  screenshot: NonNullable<JobOptions['screenshot']>;
  crawl?: JobOptions['crawl'];
  /** The job's own headers and cookies: names, and `[set]` for every value. */
  headers?: RedactedRequestSecrets['headers'];
  cookies?: RedactedRequestSecrets['cookies'];
  proxyPool?: string;
  proxySession?: string;
  onBlocked?: JobOptions['onBlocked'];
}

/** The options of `job.created`. */
export function eventJobOptions(options: JobOptions): EventJobOptions {
  return {
    maxAge: options.maxAgeSeconds,
    formats: [...options.formats],
    timeoutMs: options.timeoutMs,
    maxAttempts: options.maxAttempts,
    render: options.render ?? 'never',
    screenshot: options.screenshot ?? 'none',
    ...(options.crawl !== undefined ? { crawl: options.crawl } : {}),
    ...(options.secrets !== undefined ? redactSecrets(options.secrets) : {}),
    ...(options.proxyPool !== undefined ? { proxyPool: options.proxyPool } : {}),
    ...(options.proxySession !== undefined ? { proxySession: options.proxySession } : {}),
    ...(options.onBlocked !== undefined ? { onBlocked: options.onBlocked } : {}),
  };
}

/** Payload of each event type (the envelope's `data`). */
export interface EventPayloads {
  /** `options` named as the API names them; header and cookie values are `[set]`, the sealed box left out. */
  'job.created': { jobId: string; options: EventJobOptions };
  /**
   * `id` and `documentId` both name the document (`documentId` is kept for SSE clients). `reused`
   * is set on items a stored document satisfied without a fetch of their own.
   */
  'document.extracted': {
    jobId: string;
    seq: number;
    id: string;
    documentId: string;
    url: string;
    title: string | null;
    wordCount: number;
    reused?: true;
    /**
     * Jobs that ask a model for json or summary (issue 18): tokens used, the parts that came (`ok`)
     * and those that failed (`llm_failed`); the answers are read with the results.
     */
    llm?: {
      tokensIn: number;
      tokensOut: number;
      json?: 'ok';
      summary?: 'ok';
      failed?: Array<'json' | 'summary'>;
    };
    /**
     * Jobs that ask for chunks: how many chunks and tokens the document makes at the job's sizes
     * (events carry no bodies: the chunks are read at `GET /v1/documents/:id/chunks`).
     */
    chunks?: { count: number; tokens: number };
  };
  /** A re-extraction changed the document's main text: a new version was kept (issue 9). */
  'document.changed': {
    jobId: string;
    seq: number;
    documentId: string;
    url: string;
    version: number;
    previousContentHash: string;
    contentHash: string;
    changes: ChangeSummary;
  };
  'item.failed': { jobId: string; seq: number; url: string; code: string; message: string };
  'job.cancelled': { jobId: string; cancelledItems: number };
  /** `POST /v1/jobs/:id/retry`: the job's failed items are queued again, their attempts from 0. */
  'job.retried': { jobId: string; retriedItems: number };
  'job.completed': { jobId: string; counts: ItemCounts };
  /** A webhook delivery gave up (or was refused by the private-network guard); it can be replayed. */
  'webhook.failed': {
    jobId: string;
    deliveryId: string;
    eventId: string;
    url: string;
    attempts: number;
    lastError: string;
  };
}

/** An event as a state change writes it to the outbox: its name and that name's payload. */
export type DomainEvent = { [K in EventType]: { type: K; payload: EventPayloads[K] } }[EventType];
