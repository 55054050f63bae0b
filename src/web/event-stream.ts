/**
 * Server-Sent Events over `fetch` rather than `EventSource`: `EventSource` cannot send an
 * `Authorization` header, and the API may need one. This reader parses the `text/event-stream`
 * format, remembers the last `id:`, and reconnects with `Last-Event-ID` after a dropped connection
 * (waiting the server's `retry:`), so no event of the job's log is missed. It ends when the
 * `finalEvent` arrives or `signal` aborts.
 */
import { DistillApiError, pageFetch } from './api.js';

/** One parsed event. */
export interface StreamEvent {
  event: string;
  data: string;
  id: string | undefined;
}

export interface EventStreamOptions {
  /** Name of the event after which the server closes the stream. */
  finalEvent: string;
  onEvent(event: StreamEvent): void;
  /** Told when the connection state changes (`live`, `reconnecting`), for the UI. */
  onConnection?(state: 'live' | 'reconnecting'): void;
  signal: AbortSignal;
}

/** Wait before a reconnect when the server named none, in milliseconds. */
const DEFAULT_RETRY_MS = 2000;
/** Longest wait between reconnects after repeated failures, in milliseconds. */
const MAX_RETRY_MS = 30_000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done(): void {
      window.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Follows the job's event stream until the final event; resolves then, or when `signal` aborts. Rejects with the
 * problem when the server refuses the stream for good (404, 401, ...); 503 and network errors are
 * retried with backoff.
 */
export async function followEvents(jobId: string, options: EventStreamOptions): Promise<void> {
  const path = `/v1/jobs/${encodeURIComponent(jobId)}/events`;
  const { signal } = options;
  let lastEventId: string | undefined;
  let retryMs = DEFAULT_RETRY_MS;
  let failures = 0;
  while (!signal.aborted) {
    let isFinal = false;
    try {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== undefined) headers['last-event-id'] = lastEventId;
      const response = await pageFetch(path, { headers, signal, cache: 'no-store' });
      if (!response.ok) {
        const problem = await DistillApiError.fromResponse(response);
        if (response.status !== 503 && response.status !== 502 && response.status !== 504) throw problem;
        const retryAfter = Number(response.headers.get('retry-after'));
        if (Number.isFinite(retryAfter) && retryAfter > 0) retryMs = retryAfter * 1000;
        throw new TypeError('retry'); // handled below like a network error
      }
      if (!response.body) throw new TypeError('retry');
      failures = 0;
      options.onConnection?.('live');
      for await (const event of parse(response.body, (ms) => (retryMs = ms))) {
        if (event.id !== undefined) lastEventId = event.id;
        options.onEvent(event);
        if (event.event === options.finalEvent) {
          isFinal = true;
          break;
        }
      }
    } catch (error) {
      if (signal.aborted) return;
      // TypeError is what fetch throws for network failures (and what we throw for retryable answers).
      if (!(error instanceof TypeError)) throw error;
    }
    if (isFinal || signal.aborted) return;
    failures++;
    options.onConnection?.('reconnecting');
    await sleep(Math.min(retryMs * 2 ** Math.max(0, failures - 1), MAX_RETRY_MS), signal);
  }
}

/** Parses a `text/event-stream` body into events (https://html.spec.whatwg.org/#event-stream-interpretation). */
async function* parse(
  body: ReadableStream<Uint8Array>,
  onRetry: (ms: number) => void,
): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  let event = '';
  let id: string | undefined;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n'), id };
          data = [];
          event = '';
          id = undefined;
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') data.push(value);
        else if (field === 'event') event = value;
        else if (field === 'id' && !value.includes('\0')) id = value;
        else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
