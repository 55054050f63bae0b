/**
 * The page's access to the distill HTTP API: the typed client (`distill/client`, the one users
 * get) on the page's own origin. What is the page's own is here: the API key kept in localStorage
 * and sent with every request, a 401 told to the page so it can ask for a key, and a network
 * failure described for a person.
 */
import { DistillApiError, DistillClient } from '../client/index.js';
import type { DocumentField } from '../client/types.js';

export { DistillApiError } from '../client/index.js';

const API_KEY_STORAGE = 'distill.apiKey';

/** Most URLs the API takes in one JSON body; more are sent as text/plain, which it streams. */
export const MAX_JSON_URLS = 100_000;

/** Fields of the results list: enough to show and search a row, without the large text fields. */
export const RESULT_LIST_FIELDS: readonly DocumentField[] = [
  'id',
  'url',
  'finalUrl',
  'title',
  'siteName',
  'wordCount',
  'fetchedAt',
];

/** The stored API key, or null. */
export function getApiKey(): string | null {
  try {
    return localStorage.getItem(API_KEY_STORAGE);
  } catch {
    // Storage can be disabled (privacy settings): the page then works without a key.
    return null;
  }
}

/** Stores the API key (an empty key removes it). */
export function setApiKey(key: string): void {
  try {
    if (key === '') localStorage.removeItem(API_KEY_STORAGE);
    else localStorage.setItem(API_KEY_STORAGE, key);
  } catch (error) {
    throw new Error('This browser does not allow the page to store the key (localStorage is disabled)', {
      cause: error,
    });
  }
}

/** Listeners told when the API answers 401, so the page can ask for a key. */
const unauthorizedListeners = new Set<(problem: DistillApiError) => void>();

/** Calls `listener` whenever the API answers 401; returns the unsubscribe function. */
export function onUnauthorized(listener: (problem: DistillApiError) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * `fetch` with the stored key (read at each request: the key can change while the page is open),
 * a 401 told to the listeners, and a network failure worded for a person. Aborts pass through.
 */
export async function pageFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const key = getApiKey();
  if (key) headers.set('authorization', `Bearer ${key}`);
  let response: Response;
  try {
    response = await fetch(input, { ...init, headers });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new Error('The server could not be reached; check your connection and that distill is running', {
      cause: error,
    });
  }
  if (response.status === 401) {
    const problem = await DistillApiError.fromResponse(response.clone());
    for (const listener of unauthorizedListeners) listener(problem);
  }
  return response;
}

/** The page's client of the API. */
export const api = new DistillClient({ baseUrl: window.location.origin, fetch: pageFetch });

/**
 * A random key for `Idempotency-Key`. `crypto.randomUUID` exists only in secure contexts (https,
 * localhost), and a self-hosted distill is often reached over plain http on a LAN address.
 */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Every result of a job as NDJSON, as a Blob to download (read one document at a time). */
export async function downloadResultsNdjson(jobId: string, signal?: AbortSignal): Promise<Blob> {
  const lines: string[] = [];
  for await (const doc of api.results(jobId, signal ? { signal } : {}))
    lines.push(`${JSON.stringify(doc)}\n`);
  return new Blob(lines, { type: 'application/x-ndjson' });
}

/** How far an upload's body has gone, in bytes. */
export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

/**
 * A `fetch` over XMLHttpRequest that reports how much of the request body is sent: `fetch` has
 * no upload progress. It does what `pageFetch` does (the key, a 401 told to the listeners, a
 * network failure worded for a person), so the typed client can use it unchanged.
 */
export function progressFetch(onProgress: UploadProgress): typeof globalThis.fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      const url = input instanceof Request ? input.url : String(input);
      xhr.open(init.method ?? 'GET', url);
      xhr.responseType = 'arraybuffer';
      new Headers(init.headers).forEach((value, name) => xhr.setRequestHeader(name, value));
      const key = getApiKey();
      if (key) xhr.setRequestHeader('authorization', `Bearer ${key}`);
      xhr.upload.addEventListener('progress', (event) =>
        onProgress(event.loaded, event.lengthComputable ? event.total : 0),
      );
      const signal = init.signal;
      const onAbort = (): void => xhr.abort();
      signal?.addEventListener('abort', onAbort, { once: true });
      xhr.addEventListener('loadend', () => signal?.removeEventListener('abort', onAbort));
      xhr.addEventListener('abort', () => reject(new DOMException('The upload was stopped', 'AbortError')));
      xhr.addEventListener('error', () =>
        reject(
          new Error('The server could not be reached; check your connection and that distill is running'),
        ),
      );
      xhr.addEventListener('load', () => {
        const headers = new Headers();
        for (const line of xhr
          .getAllResponseHeaders()
          .trim()
          .split(/[\r\n]+/)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
        }
        const response = new Response(xhr.status === 204 ? null : (xhr.response as ArrayBuffer), {
          status: xhr.status,
          headers,
        });
        if (response.status === 401) {
          void DistillApiError.fromResponse(response.clone()).then((problem) => {
            for (const listener of unauthorizedListeners) listener(problem);
          });
        }
        resolve(response);
      });
      if (signal?.aborted) {
        xhr.abort();
        return;
      }
      xhr.send((init.body ?? null) as XMLHttpRequestBodyInit | null);
    });
}

/** A client whose requests report their upload progress to `onProgress` (for `uploadFile`). */
export function uploadClient(onProgress: UploadProgress): DistillClient {
  return new DistillClient({ baseUrl: window.location.origin, fetch: progressFetch(onProgress) });
}
