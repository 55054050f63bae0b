import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ItemCounts } from '../jobs/index.js';

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Item counts by state over all jobs (`Queue.depth`), read on every scrape. */
  depth?: () => Promise<ItemCounts>;
  /**
   * The outbox's unpublished events (count, capped by the reader) and the oldest one's creation
   * time in epoch ms, read on every scrape.
   */
  outbox?: () => Promise<OutboxBacklog>;
  /**
   * Finished attempts and the transactions that wrote them (group commit, see
   * storage/group-commit.ts), read on every scrape; items / batches is the mean batch.
   */
  groupCommit?: () => { batches: number; requests: number } | undefined;
  /** Also export Node's process metrics (CPU, memory, event loop lag). @default true */
  hasDefaultMetrics?: boolean;
  /** Source of time for the outbox lag, in epoch ms. @default Date.now */
  now?: () => number;
  /** Called when a read at scrape time (`depth()`, `outbox()`) fails; its gauges keep their last values. */
  onError?: (error: unknown, metric: string) => void;
}

/** What `/metrics` reads of the hand-off between fetching and extraction at scrape time. */
export interface HandOffReading {
  /** Bytes the bodies held count for. */
  bytes: number;
  /** Bodies held (waiting for an extraction thread or being extracted and stored). */
  bodies: number;
  /** The budget: fetching pauses while `bytes` reaches it. */
  maxBytes: number;
  /** Times the budget filled up. */
  pauses: number;
}

/** What `/metrics` reads of the outbox at scrape time. */
export interface OutboxBacklog {
  /** Events not yet published. */
  pending: number;
  /** `createdAt` (epoch ms) of the oldest of them; null when there is none. */
  oldestCreatedAt: number | null;
}

/**
 * The Prometheus instruments of distill, in one registry per process (so tests and several apps in
 * one process do not collide). The API records HTTP requests; the worker side calls
 * `recordOutcome` and `observeExtraction`.
 */
export interface Metrics {
  readonly registry: Registry;
  /** `distill_http_request_duration_seconds{route,method,status}`. */
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status'>;
  /** `distill_queue_depth{state}`: items by state over all jobs, read at scrape time. */
  readonly queueDepth: Gauge<'state'>;
  /** `distill_item_outcomes_total{state,code}`: finished attempts by outcome and error code. */
  readonly itemOutcomes: Counter<'state' | 'code'>;
  /** `distill_item_duration_seconds{state}`: time of one attempt, fetch and extraction. */
  readonly itemDuration: Histogram<'state'>;
  /** `distill_extraction_duration_seconds{mime_type}`: time spent extracting one document. */
  readonly extractionDuration: Histogram<'mime_type'>;
  /** `distill_sse_streams`: open Server-Sent Events streams. */
  readonly eventStreams: Gauge;
  /** `distill_host_limiter_wait_seconds`: how long an item waited for its host's slot before fetching. */
  readonly hostLimiterWait: Histogram;
  /** `distill_host_limiter_reschedules_total`: items put back in the queue because the wait would exceed `hostMaxWaitMs`. */
  readonly hostLimiterReschedules: Counter;
  /** `distill_outbox_pending`: unpublished outbox events, read at scrape time. */
  readonly outboxPending: Gauge;
  /** `distill_outbox_lag_seconds`: age of the oldest unpublished outbox event (0 when none), read at scrape time. */
  readonly outboxLag: Gauge;
  /**
   * Counts one finished attempt: `state` is the outcome (`succeeded`, `failed`, `retry`,
   * `cancelled`), `code` the error code or null on success.
   */
  recordOutcome(state: string, code: string | null, durationMs: number): void;
  /** Records the time of one extraction. */
  observeExtraction(durationMs: number, mimeType: string): void;
  /**
   * `distill_worker_concurrency` (the slots the worker pool fills now) and, by `reason`,
   * `distill_worker_concurrency_reason` (1 for the reason of the last adjustment, 0 for the others).
   */
  recordConcurrency(level: number, reason: string): void;
  /**
   * Reads the worker pool's hand-off at scrape time (issue 16): `distill_hand_off_bytes`,
   * `distill_hand_off_bodies`, `distill_hand_off_max_bytes` and `distill_hand_off_pauses_total`.
   */
  watchHandOff(read: () => HandOffReading): void;
  /** Records one wait for a host's slot: observed when the slot came, counted when the item was rescheduled. */
  observeHostWait(waitedMs: number, outcome: 'acquired' | 'rescheduled'): void;
  /**
   * `distill_llm_tokens_total{direction}` (in, out) and `distill_llm_requests_total{outcome}`: the
   * language model's use by the json and summary formats (issue 18).
   */
  recordLlmUsage(usage: {
    tokensIn: number;
    tokensOut: number;
    calls: number;
    outcome: 'ok' | 'failed';
  }): void;
  /** The registry in the Prometheus text format, with its content type. */
  render(): Promise<{ contentType: string; body: string }>;
}

/** MIME types kept as label values; anything else is `other`, so a server cannot blow up the series. */
const KNOWN_MIME_TYPES = new Set([
  'text/html',
  'application/xhtml+xml',
  'application/pdf',
  'text/plain',
  'text/markdown',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/xml',
  'text/xml',
  'application/json',
]);

/** Error codes are a documented, closed set, but a bug could produce anything: cap their shape. */
const CODE_PATTERN = /^[a-z][a-z0-9_]{0,40}$/;

/** Creates the registry and the instruments of `Metrics`. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.hasDefaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'distill_' });
  const registers = [registry];
  const depth = options.depth;
  const onError = options.onError;
  const now = options.now ?? Date.now;
  const readOutbox = sharedRead(options.outbox, (error) => onError?.(error, 'distill_outbox_pending'));

  const httpRequestDuration = new Histogram({
    name: 'distill_http_request_duration_seconds',
    help: 'HTTP requests by route, method and status code, with their duration',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const queueDepth = new Gauge({
    name: 'distill_queue_depth',
    help: 'Items by state over all jobs',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      if (!depth) return;
      try {
        const counts = await depth();
        for (const [state, value] of Object.entries(counts)) this.set({ state }, value);
      } catch (error) {
        onError?.(error, 'distill_queue_depth');
      }
    },
  });
  const itemOutcomes = new Counter({
    name: 'distill_item_outcomes_total',
    help: 'Finished attempts by outcome (succeeded, failed, retry, cancelled) and error code',
    labelNames: ['state', 'code'] as const,
    registers,
  });
  const itemDuration = new Histogram({
    name: 'distill_item_duration_seconds',
    help: 'Time of one attempt (fetch and extraction) by outcome',
    labelNames: ['state'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers,
  });
  const extractionDuration = new Histogram({
    name: 'distill_extraction_duration_seconds',
    help: 'Time spent extracting one document, by MIME type',
    labelNames: ['mime_type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15],
    registers,
  });
  const eventStreams = new Gauge({
    name: 'distill_sse_streams',
    help: 'Open Server-Sent Events streams',
    registers,
  });
  const workerConcurrency = new Gauge({
    name: 'distill_worker_concurrency',
    help: 'URLs the worker pool of this process fetches at once now (DISTILL_CONCURRENCY, or its auto level)',
    registers,
  });
  const concurrencyReason = new Gauge({
    name: 'distill_worker_concurrency_reason',
    help: 'Why the auto concurrency last changed or held: 1 for the reason in force, 0 for the others',
    labelNames: ['reason'] as const,
    registers,
  });
  const hostLimiterWait = new Histogram({
    name: 'distill_host_limiter_wait_seconds',
    help: "Time an item waited for its host's slot (concurrency and rate limits) before fetching",
    // Most waits are 0 (a free slot); the rest stay under DISTILL_HOST_MAX_WAIT_MS (1 s by default).
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const hostLimiterReschedules = new Counter({
    name: 'distill_host_limiter_reschedules_total',
    help: 'Items put back in the queue because the wait for their host would exceed DISTILL_HOST_MAX_WAIT_MS',
    registers,
  });
  const llmTokens = new Counter({
    name: 'distill_llm_tokens_total',
    help: 'Tokens of the language model (json and summary formats), in and out',
    labelNames: ['direction'],
    registers,
  });
  const llmRequests = new Counter({
    name: 'distill_llm_requests_total',
    help: 'Items that asked the language model for a part (json or summary), by outcome (failed: llm_failed)',
    labelNames: ['outcome'],
    registers,
  });
  const llmCalls = new Counter({
    name: 'distill_llm_calls_total',
    help: 'Chat-completion calls to the model endpoint, repair turns included',
    registers,
  });
  // Read from the database at scrape time rather than kept by the relay: the numbers are right in
  // every process (the API's /metrics too, though the relay runs in a worker), and they keep growing
  // when no relay runs at all, which is when they matter most.
  const outboxPending = new Gauge({
    name: 'distill_outbox_pending',
    help: 'Outbox events not yet published (to RabbitMQ and webhook deliveries); counted up to 100000',
    registers,
    async collect() {
      const backlog = await readOutbox();
      if (backlog) this.set(backlog.pending);
    },
  });
  const outboxLag = new Gauge({
    name: 'distill_outbox_lag_seconds',
    help: 'Age of the oldest outbox event not yet published; 0 when every event is published',
    registers,
    async collect() {
      const backlog = await readOutbox();
      if (backlog)
        this.set(backlog.oldestCreatedAt === null ? 0 : Math.max(0, now() - backlog.oldestCreatedAt) / 1000);
    },
  });

  // The worker pool's hand-off, once a worker pool is built (`watchHandOff`), read at scrape time.
  let readHandOff: (() => HandOffReading) | undefined;
  const handOffGauge = (name: string, help: string, pick: (reading: HandOffReading) => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (readHandOff) this.set(pick(readHandOff()));
      },
    });
  };
  handOffGauge(
    'distill_hand_off_bytes',
    'Bytes of fetched bodies held for extraction (each counts at least 16 KiB); fetching pauses while it reaches DISTILL_HAND_OFF_BYTES',
    (r) => r.bytes,
  );
  handOffGauge(
    'distill_hand_off_bodies',
    'Fetched bodies held for extraction: waiting for a thread, being extracted or stored',
    (r) => r.bodies,
  );
  handOffGauge(
    'distill_hand_off_max_bytes',
    'The hand-off budget of this process (DISTILL_HAND_OFF_BYTES)',
    (r) => r.maxBytes,
  );
  new Counter({
    name: 'distill_hand_off_pauses_total',
    help: 'Times the hand-off budget filled up, so that fetching paused until extraction caught up',
    registers,
    collect() {
      if (!readHandOff) return;
      this.reset();
      this.inc(readHandOff().pauses);
    },
  });

  // Counters owned by the attempt store, copied at scrape time.
  const readGroupCommit = options.groupCommit;
  if (readGroupCommit !== undefined) {
    new Counter({
      name: 'distill_group_commit_batches_total',
      help: 'Transactions that wrote finished attempts (group commit)',
      registers,
      collect() {
        this.reset();
        this.inc(readGroupCommit()?.batches ?? 0);
      },
    });
    new Counter({
      name: 'distill_group_commit_items_total',
      help: 'Finished attempts written by those transactions; divided by the batches, the mean batch',
      registers,
      collect() {
        this.reset();
        this.inc(readGroupCommit()?.requests ?? 0);
      },
    });
  }

  return {
    registry,
    httpRequestDuration,
    queueDepth,
    itemOutcomes,
    itemDuration,
    extractionDuration,
    eventStreams,
    hostLimiterWait,
    hostLimiterReschedules,
    outboxPending,
    outboxLag,
    recordLlmUsage(usage) {
      llmTokens.inc({ direction: 'in' }, usage.tokensIn);
      llmTokens.inc({ direction: 'out' }, usage.tokensOut);
      llmCalls.inc(usage.calls);
      llmRequests.inc({ outcome: usage.outcome });
    },
    recordOutcome(state, code, durationMs) {
      const label = code === null ? 'none' : CODE_PATTERN.test(code) ? code : 'other';
      itemOutcomes.inc({ state, code: label });
      itemDuration.observe({ state }, Math.max(0, durationMs) / 1000);
    },
    observeExtraction(durationMs, mimeType) {
      const base = mimeType.split(';')[0]?.trim().toLowerCase() ?? '';
      extractionDuration.observe(
        { mime_type: KNOWN_MIME_TYPES.has(base) ? base : 'other' },
        Math.max(0, durationMs) / 1000,
      );
    },
    recordConcurrency(level, reason) {
      workerConcurrency.set(level);
      concurrencyReason.reset();
      concurrencyReason.set({ reason }, 1);
    },
    watchHandOff(read) {
      readHandOff = read;
    },
    observeHostWait(waitedMs, outcome) {
      if (outcome === 'rescheduled') hostLimiterReschedules.inc();
      else hostLimiterWait.observe(Math.max(0, waitedMs) / 1000);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * `read` shared by the gauges collected in one scrape (prom-client collects them concurrently), so
 * one scrape costs one read; undefined when there is no reader or the read failed (`onError`).
 */
function sharedRead<T>(
  read: (() => Promise<T>) | undefined,
  onError: (error: unknown) => void,
): () => Promise<T | undefined> {
  let inFlight: Promise<T | undefined> | undefined;
  return () => {
    if (!read) return Promise.resolve(undefined);
    inFlight ??= read()
      .catch((error: unknown) => {
        onError(error);
        return undefined;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
