import type { RequestSecrets } from './request-secrets.js';

/** Options of one fetch. */
export interface FetchOptions {
  /** Aborts the request (cancel, shutdown); the fetch rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** Total time limit for this request, overriding the fetcher's default, in milliseconds. */
  timeoutMs?: number;
  /** Conditional request validators (later issues); sent as If-None-Match / If-Modified-Since. */
  etag?: string;
  lastModified?: string;
  /**
   * The job's own headers and cookies (issue 20): headers sent only to `ownHost`, cookies by their
   * domain and path (request-secrets.ts), on every hop; never to robots.txt.
   */
  secrets?: { secrets: RequestSecrets; ownHost: string } | undefined;
  /** The proxy (by name, from `HttpFetcherOptions.proxies`) this fetch goes through; unset: direct. */
  proxy?: string | undefined;
  /** A domain rule's robots.txt policy (issue 20). @default the fetcher's `respectRobots` */
  robots?: 'respect' | 'ignore' | undefined;
  /** A domain rule's headers (issue 20), sent on every hop whose host `pattern` matches, never to robots.txt. */
  domainHeaders?: { pattern: string; headers: Record<string, string> } | undefined;
}

/** A successful (2xx) response, fully read and decompressed. */
export interface FetchedResponse {
  /** The URL asked for. */
  requestedUrl: string;
  /** The URL of the final response after redirects. */
  finalUrl: string;
  status: number;
  /** The Content-Type header as the server sent it, if any. */
  contentType: string | undefined;
  /** Response headers, lower-cased names. */
  headers: Record<string, string>;
  /** Body bytes after decompression, never more than `maxBodyBytes`. */
  body: Uint8Array;
  /** Number of redirects followed. */
  redirects: number;
  /** Milliseconds from start to the last byte. */
  elapsedMs: number;
  /** The pool and proxy that fetched it (set by the worker), by name. */
  via?: { pool: string; proxy: string };
  /** The pattern of the domain rule that applied (set by the worker). */
  domainRule?: string;
  /** Set when a first try met a bot wall (its reason) and the job's `onBlocked` pool fetched this. */
  blockedFirst?: string;
}

/** Fetches URLs politely and safely; implemented by `HttpFetcher` over undici. */
export interface Fetcher {
  /**
   * Fetches `url`, following redirects, checking every hop against the private-network guard and
   * robots.txt. Resolves with a 2xx response; rejects with a `DistillError` subclass whose `code`
   * is one of the documented item error codes.
   */
  fetch(url: string, options?: FetchOptions): Promise<FetchedResponse>;
  /** Closes the connection pools. Idempotent. */
  close(): Promise<void>;
}
