/**
 * The page's access to the distill HTTP API: same origin, JSON in and out, problems
 * (`application/problem+json`) turned into `ApiProblem`, and the API key (when the server asks for
 * one) sent as `Authorization: Bearer <key>` from localStorage.
 */
import type {
  DocumentView,
  ItemStateName,
  ItemView,
  JobOptionsInput,
  JobView,
  PageView,
  ProblemDetails,
  ResultView,
  SearchHitView,
  SubmitResponse,
} from '../client/types.js';

const API_KEY_STORAGE = 'distill.apiKey';

/** Most URLs the API takes in one JSON body; more are sent as text/plain, which it streams. */
export const MAX_JSON_URLS = 100_000;

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

/** An error answer of the API, with its problem body (or one made up for a non-problem answer). */
export class ApiProblem extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ProblemDetails;

  constructor(problem: ProblemDetails) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiProblem';
    this.status = problem.status;
    this.code = problem.code;
    this.problem = problem;
  }

  /** The server wants an API key (none was sent, or the one sent is wrong). */
  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** Listeners told when the API answers 401, so the page can ask for a key. */
const unauthorizedListeners = new Set<(problem: ApiProblem) => void>();

/** Calls `listener` whenever the API answers 401; returns the unsubscribe function. */
export function onUnauthorized(listener: (problem: ApiProblem) => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/** Headers of every request: the API key when one is stored. */
export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** Reads the problem of a failed response; a body that is not a problem still gives one. */
export async function problemOf(response: Response): Promise<ApiProblem> {
  let problem: ProblemDetails | null = null;
  const type = response.headers.get('content-type') ?? '';
  if (/json/i.test(type)) {
    try {
      const body = (await response.json()) as Partial<ProblemDetails>;
      if (typeof body === 'object' && body !== null) {
        problem = {
          type: body.type ?? 'about:blank',
          title: body.title ?? response.statusText,
          status: body.status ?? response.status,
          code: body.code ?? `http_${response.status}`,
          ...body,
        };
      }
    } catch {
      problem = null; // Not JSON after all: fall through to the generic problem.
    }
  }
  problem ??= {
    type: 'about:blank',
    title: response.statusText || `HTTP ${response.status}`,
    status: response.status,
    code: `http_${response.status}`,
    detail: `The server answered ${response.status} ${response.statusText}`.trim(),
  };
  const error = new ApiProblem(problem);
  if (error.isUnauthorized) for (const listener of unauthorizedListeners) listener(error);
  return error;
}

/** Sends a request to the API; resolves with the response when it is 2xx, else throws `ApiProblem`. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(authHeaders())) headers.set(name, value);
  if (!headers.has('accept')) headers.set('accept', 'application/json');
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new Error('The server could not be reached; check your connection and that distill is running', {
      cause: error,
    });
  }
  if (!response.ok) throw await problemOf(response);
  return response;
}

async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const response = await request(path, signal ? { signal } : {});
  return (await response.json()) as T;
}

function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}

const jobPath = (jobId: string): string => `/v1/jobs/${encodeURIComponent(jobId)}`;

/**
 * A random key for `Idempotency-Key`. `crypto.randomUUID` exists only in secure contexts (https,
 * localhost), and a self-hosted distill is often reached over plain http on a LAN address.
 */
export function randomKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * `POST /v1/jobs`: JSON up to `MAX_JSON_URLS` URLs, else streamed as text/plain. The same
 * `idempotencyKey` for a retried submission (the answer was lost) returns the same job.
 */
export async function submitJob(
  urls: readonly string[],
  options: JobOptionsInput,
  idempotencyKey: string,
): Promise<SubmitResponse> {
  const headers: Record<string, string> = { 'idempotency-key': idempotencyKey };
  const init: RequestInit =
    urls.length <= MAX_JSON_URLS
      ? {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify({ urls, ...(Object.keys(options).length > 0 ? { options } : {}) }),
        }
      : {
          method: 'POST',
          headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' },
          body: urls.join('\n'),
        };
  const path =
    urls.length <= MAX_JSON_URLS
      ? '/v1/jobs'
      : `/v1/jobs${query({ maxAge: options.maxAge, formats: options.formats?.join(',') })}`;
  const response = await request(path, init);
  return (await response.json()) as SubmitResponse;
}

/** `GET /v1/jobs`: recent jobs, newest first. */
export function listJobs(
  options: { cursor?: string | null; limit?: number; signal?: AbortSignal } = {},
): Promise<PageView<JobView>> {
  return getJson(`/v1/jobs${query({ cursor: options.cursor, limit: options.limit })}`, options.signal);
}

/** `GET /v1/jobs/:id`. */
export function getJob(jobId: string, signal?: AbortSignal): Promise<JobView> {
  return getJson(jobPath(jobId), signal);
}

/** `GET /v1/jobs/:id/items`, optionally of one state. */
export function listItems(
  jobId: string,
  options: {
    state?: ItemStateName | null;
    cursor?: string | null;
    limit?: number;
    signal?: AbortSignal;
  } = {},
): Promise<PageView<ItemView>> {
  return getJson(
    `${jobPath(jobId)}/items${query({ state: options.state, cursor: options.cursor, limit: options.limit })}`,
    options.signal,
  );
}

/** Fields of the results list: enough to show and search a row, without the large text fields. */
const RESULT_LIST_FIELDS = 'id,url,finalUrl,title,siteName,wordCount,fetchedAt';

/** `GET /v1/jobs/:id/results`, a page of documents with the list fields only. */
export function listResults(
  jobId: string,
  options: { cursor?: string | null; limit?: number; signal?: AbortSignal } = {},
): Promise<PageView<ResultView>> {
  return getJson(
    `${jobPath(jobId)}/results${query({ cursor: options.cursor, limit: options.limit, fields: RESULT_LIST_FIELDS })}`,
    options.signal,
  );
}

/** `GET /v1/jobs/:id/documents/search`: a page of the job's documents that match `q`, best first. */
export function searchJobDocuments(
  jobId: string,
  q: string,
  options: { cursor?: string | null; limit?: number; signal?: AbortSignal } = {},
): Promise<PageView<SearchHitView>> {
  return getJson(
    `${jobPath(jobId)}/documents/search${query({ q, cursor: options.cursor, limit: options.limit })}`,
    options.signal,
  );
}

/** Every result of a job as NDJSON (`Accept: application/x-ndjson`), as a Blob to download. */
export async function downloadResultsNdjson(jobId: string, signal?: AbortSignal): Promise<Blob> {
  const response = await request(`${jobPath(jobId)}/results`, {
    headers: { accept: 'application/x-ndjson' },
    ...(signal ? { signal } : {}),
  });
  return await response.blob();
}

/** `POST /v1/jobs/:id/cancel` (idempotent). */
export async function cancelJob(jobId: string): Promise<JobView> {
  const response = await request(`${jobPath(jobId)}/cancel`, { method: 'POST' });
  return (await response.json()) as JobView;
}

/** `GET /v1/documents/:id`. */
export function getDocument(documentId: string, signal?: AbortSignal): Promise<DocumentView> {
  return getJson(`/v1/documents/${encodeURIComponent(documentId)}`, signal);
}

/** The path of a job's event stream. */
export function eventsPath(jobId: string): string {
  return `${jobPath(jobId)}/events`;
}
