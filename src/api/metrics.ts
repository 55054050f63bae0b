import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ItemCounts } from '../jobs/index.js';

/** Options of `createMetrics`. */
export interface MetricsOptions {
  /** Item counts by state over all jobs (`Queue.depth`), read on every scrape. */
  depth?: () => Promise<ItemCounts>;
  /** Also export Node's process metrics (CPU, memory, event loop lag). @default true */
  hasDefaultMetrics?: boolean;
  /** Called when `depth()` fails during a scrape; the gauge keeps its last values. */
  onError?: (error: unknown) => void;
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
  /**
   * Counts one finished attempt: `state` is the outcome (`succeeded`, `failed`, `retry`,
   * `cancelled`), `code` the error code or null on success.
   */
  recordOutcome(state: string, code: string | null, durationMs: number): void;
  /** Records the time of one extraction. */
  observeExtraction(durationMs: number, mimeType: string): void;
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
        onError?.(error);
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

  return {
    registry,
    httpRequestDuration,
    queueDepth,
    itemOutcomes,
    itemDuration,
    extractionDuration,
    eventStreams,
    recordOutcome(state, code, durationMs) {
      const label = code === null ? 'none' : CODE_PATTERN.test(code) ? code : 'other';
      itemOutcomes.inc({ state, code: label });
      itemDuration.observe({ state }, Math.max(0, durationMs) / 1000);
    },
    observeExtraction(durationMs, mimeType) {
      const base = mimeType.split(';')[0]?.trim().toLowerCase() ?? '';
      extractionDuration.observe({ mime_type: KNOWN_MIME_TYPES.has(base) ? base : 'other' }, Math.max(0, durationMs) / 1000);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
