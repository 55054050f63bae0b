// The HTTP side of `DistillClient` (index.ts): URLs, the API key, JSON and streamed line bodies, and
// error answers turned into `DistillApiError`.
import { DistillApiError } from './errors.js';
import { toAsyncIterator } from './lines.js';

/** Query parameters; undefined ones are left out. */
export type Query = Record<string, string | number | undefined>;

/** Sends the client's requests; see the module comment. */
export class ClientTransport {
  readonly #baseUrl: string;
  readonly #apiKey: string | undefined;
  readonly #fetch: typeof globalThis.fetch;

  constructor(baseUrl: string, apiKey: string | undefined, fetch: typeof globalThis.fetch) {
    this.#baseUrl = baseUrl;
    this.#apiKey = apiKey;
    this.#fetch = fetch;
  }

  /** A JSON request (a JSON body when `init.body` is set), answered with JSON. */
  async json<T>(
    method: string,
    path: string,
    init: {
      body?: unknown;
      query?: Query;
      headers?: Record<string, string>;
      signal?: AbortSignal | undefined;
    } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const response = await this.request(method, path, {
      headers,
      query: init.query,
      signal: init.signal,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return (await response.json()) as T;
  }

  /** A POST of lines (one URL a line), streamed unless already in memory, answered with JSON. */
  async streamLines<T>(
    path: string,
    urls: AsyncIterable<string> | Iterable<string>,
    query: Query,
    headers: Record<string, string>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    if (Array.isArray(urls)) {
      // A batch already in memory goes as one text body: browsers stream a request body only over
      // HTTP/2, and a self-hosted distill is often reached over HTTP/1.1.
      const text = (urls as readonly string[]).map((url) => `${url.replace(/[\r\n]+/g, ' ')}\n`).join('');
      const response = await this.request('POST', path, {
        query,
        headers: { accept: 'application/json', ...headers },
        body: text,
        signal,
      });
      return (await response.json()) as T;
    }
    const encoder = new TextEncoder();
    const iterator = toAsyncIterator(urls);
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        // Up to 1000 lines per chunk: fewer, larger writes without holding the batch.
        let chunk = '';
        for (let i = 0; i < 1000; i++) {
          const next = await iterator.next();
          if (next.done === true) {
            if (chunk !== '') controller.enqueue(encoder.encode(chunk));
            controller.close();
            return;
          }
          chunk += `${next.value.replace(/[\r\n]+/g, ' ')}\n`;
        }
        controller.enqueue(encoder.encode(chunk));
      },
      async cancel() {
        await iterator.return?.();
      },
    });
    const response = await this.request('POST', path, {
      query,
      headers: { accept: 'application/json', ...headers },
      body,
      signal,
    });
    return (await response.json()) as T;
  }

  /** One request to the API; rejects with `DistillApiError` on an error answer. */
  async request(
    method: string,
    path: string,
    init: {
      query?: Query;
      headers?: Record<string, string>;
      body?: string | ReadableStream<Uint8Array> | FormData;
      signal?: AbortSignal | undefined;
    },
  ): Promise<Response> {
    const url = new URL(`${this.#baseUrl}${path}`);
    for (const [key, value] of Object.entries(init.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { ...init.headers };
    if (this.#apiKey !== undefined) headers.authorization = `Bearer ${this.#apiKey}`;
    const requestInit: RequestInit & { duplex?: 'half' } = { method, headers };
    if (init.body !== undefined) requestInit.body = init.body;
    if (typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream)
      requestInit.duplex = 'half';
    if (init.signal) requestInit.signal = init.signal;
    const response = await this.#fetch(url, requestInit);
    if (!response.ok) throw await DistillApiError.fromResponse(response);
    return response;
  }
}
