import { Agent, request } from 'undici';
import {
  createGuardedConnector,
  systemLookup,
  type AllowList,
  type LookupFunction,
} from '../../../fetch/index.js';
import {
  backoffDelayMs,
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
  positiveInteger,
} from '../../../lib/index.js';
import type { DueWebhookDelivery, WebhookAttemptResult, WebhookStore } from '../../ports.js';
import { signWebhook, WEBHOOK_HEADERS } from './signature.js';

/** Options of `WebhookDispatcher`. */
export interface WebhookDispatcherOptions {
  store: WebhookStore;
  /** The private-network guard's allow list (`DISTILL_FETCH_ALLOW`): webhooks obey the same guard. */
  allow: AllowList;
  /** Time limit of one call, connect to end of response, in milliseconds. @default 10000 */
  timeoutMs?: number;
  /** Delay before the first retry, in milliseconds; doubles per attempt, with jitter. @default 10000 */
  retryBaseMs?: number;
  /** Longest delay between two attempts, in milliseconds. @default 3600000 (1 h) */
  retryMaxMs?: number;
  /** Calls in flight at once (one per job at most). @default 16 */
  concurrency?: number;
  /** @default 'distill-webhooks' */
  userAgent?: string;
  logger?: Logger;
  clock?: Clock;
  /** Resolver; tests inject one. @default the system resolver */
  lookup?: LookupFunction;
}

/** Bytes of a receiver's answer read (and dropped) to keep its connection reusable. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Codes of errors no retry can fix: the guard refused the address. */
const PERMANENT_CODES = new Set(['blocked_address']);

/**
 * Sends webhook deliveries: POST of the stored JSON body, signed (`signature.ts`), through an undici
 * agent whose connector is the fetcher's private-network guard, so no socket is ever opened to a
 * refused address and redirects are not followed. A 2xx answer delivers; anything else (another
 * status, a timeout, a connection error) is retried with exponential backoff and jitter
 * (`retryBaseMs` doubling up to `retryMaxMs`; `Retry-After` on 429/503 is honoured within that
 * cap) until the delivery's `giveUpAt`, when it fails and `webhook.failed` is written. A refused
 * address fails at once. Calls of one job go out one at a time, in event order (the store hands
 * out only each job's oldest pending delivery).
 *
 * The relay calls `dispatchDue` on every turn while it holds the outbox lease, so one process per
 * database sends webhooks; a process that dies mid-call leaves the delivery pending and the next
 * holder sends it again (at-least-once: receivers dedupe by `Distill-Event-Id`).
 */
export class WebhookDispatcher {
  readonly #store: WebhookStore;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  readonly #retryBaseMs: number;
  readonly #retryMaxMs: number;
  readonly #concurrency: number;
  readonly #userAgent: string;
  readonly #logger: Logger;
  readonly #clock: Clock;
  /** Calls in flight by job id. */
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #stopController = new AbortController();
  #stopping: Promise<void> | undefined;

  constructor(options: WebhookDispatcherOptions) {
    this.#store = options.store;
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 10_000);
    this.#retryBaseMs = positiveInteger('retryBaseMs', options.retryBaseMs ?? 10_000);
    this.#retryMaxMs = positiveInteger('retryMaxMs', options.retryMaxMs ?? 3_600_000);
    this.#concurrency = positiveInteger('concurrency', options.concurrency ?? 16);
    this.#userAgent = options.userAgent ?? 'distill-webhooks';
    this.#logger = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#agent = new Agent({
      connect: createGuardedConnector({
        allow: options.allow,
        lookup: options.lookup ?? systemLookup,
        connectTimeoutMs: Math.min(this.#timeoutMs, 10_000),
      }),
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      keepAliveTimeout: 4000,
      connections: 4,
    });
  }

  /** Calls in flight right now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Starts calls for the deliveries that are due, up to the free slots, and returns how many it
   * started. It does not wait for them: a slow receiver never holds up the caller.
   */
  async dispatchDue(): Promise<number> {
    if (this.#stopController.signal.aborted) return 0;
    const room = this.#concurrency - this.#inFlight.size;
    if (room <= 0) return 0;
    const due = await this.#store.listDueWebhookDeliveries(room, new Set(this.#inFlight.keys()));
    for (const delivery of due) {
      if (this.#inFlight.has(delivery.jobId)) continue;
      const call = this.#attempt(delivery).finally(() => this.#inFlight.delete(delivery.jobId));
      this.#inFlight.set(delivery.jobId, call);
    }
    return due.length;
  }

  /** Aborts calls in flight (their deliveries stay pending, unchanged) and closes the agent. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#stopController.abort(new Error('The webhook dispatcher is stopping'));
      await Promise.allSettled([...this.#inFlight.values()]);
      await this.#agent.close();
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #attempt(delivery: DueWebhookDelivery): Promise<void> {
    let result: WebhookAttemptResult;
    try {
      result = await this.#send(delivery);
    } catch (error) {
      if (this.#stopController.signal.aborted) return; // Stopping: the attempt does not count.
      const err = toError(error);
      const code = (error as { code?: unknown }).code;
      const message = `${typeof code === 'string' ? `${code}: ` : ''}${err.message}`;
      result =
        typeof code === 'string' && PERMANENT_CODES.has(code)
          ? { kind: 'failed', error: message, httpStatus: null }
          : this.#retryOrGiveUp(delivery, message, null, undefined);
    }
    try {
      await this.#store.recordWebhookAttempt(delivery, result);
    } catch (error) {
      // The delivery stays as it was (pending, due): it is simply sent again.
      this.#logger.warn(
        { err: toError(error), deliveryId: delivery.id, jobId: delivery.jobId },
        'Recording a webhook attempt failed',
      );
      return;
    }
    if (result.kind === 'failed') {
      this.#logger.warn(
        { deliveryId: delivery.id, jobId: delivery.jobId, url: delivery.url, error: result.error },
        'Webhook delivery gave up',
      );
    } else {
      this.#logger.debug(
        {
          deliveryId: delivery.id,
          jobId: delivery.jobId,
          eventType: delivery.eventType,
          attempt: delivery.attempts + 1,
          httpStatus: result.httpStatus,
          ...(result.kind === 'retry'
            ? { error: result.error, nextAttemptAt: new Date(result.nextAttemptAt).toISOString() }
            : {}),
        },
        result.kind === 'delivered' ? 'Webhook delivered' : 'Webhook call failed; it will be retried',
      );
    }
  }

  async #send(delivery: DueWebhookDelivery): Promise<WebhookAttemptResult> {
    const timestamp = String(Math.floor(this.#clock.now() / 1000));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': this.#userAgent,
      [WEBHOOK_HEADERS.eventId]: String(delivery.eventId),
      [WEBHOOK_HEADERS.eventType]: delivery.eventType,
      [WEBHOOK_HEADERS.timestamp]: timestamp,
    };
    if (delivery.secret !== null)
      headers[WEBHOOK_HEADERS.signature] = signWebhook(delivery.secret, timestamp, delivery.body);
    const signal = AbortSignal.any([this.#stopController.signal, AbortSignal.timeout(this.#timeoutMs)]);
    const response = await request(delivery.url, {
      method: 'POST',
      body: delivery.body,
      headers,
      dispatcher: this.#agent,
      signal,
    });
    await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
    if (response.statusCode >= 200 && response.statusCode < 300) {
      return { kind: 'delivered', httpStatus: response.statusCode };
    }
    const retryAfter =
      response.statusCode === 429 || response.statusCode === 503
        ? headerOf(response.headers['retry-after'])
        : undefined;
    return this.#retryOrGiveUp(
      delivery,
      `The receiver answered HTTP ${response.statusCode}`,
      response.statusCode,
      retryAfter,
    );
  }

  /** The next attempt after `attempts + 1` failures, or giving up when it would fall after `giveUpAt`. */
  #retryOrGiveUp(
    delivery: DueWebhookDelivery,
    error: string,
    httpStatus: number | null,
    retryAfter: string | undefined,
  ): WebhookAttemptResult {
    const now = this.#clock.now();
    let delayMs = backoffDelayMs(delivery.attempts + 1, {
      baseMs: this.#retryBaseMs,
      maxMs: this.#retryMaxMs,
    });
    const askedMs = parseRetryAfterMs(retryAfter, now);
    if (askedMs !== undefined) delayMs = Math.min(this.#retryMaxMs, Math.max(delayMs, askedMs));
    const nextAttemptAt = now + delayMs;
    if (nextAttemptAt > delivery.giveUpAt) {
      return {
        kind: 'failed',
        error: `Gave up after ${delivery.attempts + 1} attempts; the last: ${error}`,
        httpStatus,
      };
    }
    return { kind: 'retry', error, httpStatus, nextAttemptAt };
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds from `now`. */
function parseRetryAfterMs(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
