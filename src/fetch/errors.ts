/**
 * Errors thrown by the fetcher, each extending the consequence that fits (lib/errors.ts) and carrying
 * one of the stable item error codes of ARCHITECTURE.md. The worker decides by `instanceof`
 * (`RetryableError`, `PermanentError`, `RateLimitedError`), never by parsing messages.
 *
 * Where one code needs two consequences (`http_error`, `dns_error`) there is one class per
 * consequence; `isHttpStatusError()` recognises all three HTTP status classes.
 */
import { PermanentError, RateLimitedError, RetryableError } from '../lib/errors.js';

/** Every error code a fetch can fail with (besides `aborted`, which is a cancel, not a failure). */
export const FETCH_ERROR_CODES = [
  'timeout',
  'dns_error',
  'connection_error',
  'tls_error',
  'http_error',
  'decoding_error',
  'too_large',
  'too_many_redirects',
  'blocked_address',
  'robots_disallowed',
  'invalid_url',
  'host_rate_limited',
  'proxy_error',
  'blocked_by_site',
  'login_required',
  'proxy_unavailable',
  'proxy_pool_unknown',
] as const;

/** One of `FETCH_ERROR_CODES`. */
export type FetchErrorCode = (typeof FETCH_ERROR_CODES)[number];

/** Which part of a request ran out of time. */
export type TimeoutPhase = 'dns' | 'connect' | 'headers' | 'body' | 'total';

/** A time limit ran out (DNS, connect, headers or the total limit including the body). */
export class FetchTimeoutError extends RetryableError {
  readonly url: string;
  readonly phase: TimeoutPhase;
  /** The limit that ran out, in milliseconds. */
  readonly timeoutMs: number;

  constructor(url: string, phase: TimeoutPhase, timeoutMs: number, options?: { cause?: unknown }) {
    const what =
      phase === 'total'
        ? 'did not finish'
        : phase === 'headers'
          ? 'sent no response headers'
          : phase === 'body'
            ? 'stalled while sending the body'
            : phase === 'dns'
              ? 'could not be resolved'
              : 'could not be connected to';
    super('timeout', `Fetching ${url} timed out: the server ${what} within ${timeoutMs} ms`, options);
    this.url = url;
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The host name could not be resolved for a reason that may pass (resolver down, SERVFAIL,
 * EAI_AGAIN). A name that does not exist is a `DnsNotFoundError` instead.
 */
export class DnsError extends RetryableError {
  readonly hostname: string;
  /** The resolver's error code (`EAI_AGAIN`, `ESERVFAIL`, ...), if any. */
  readonly dnsCode: string | undefined;

  constructor(hostname: string, dnsCode: string | undefined, options?: { cause?: unknown }) {
    super(
      'dns_error',
      `Could not resolve host ${hostname}: ${dnsCode ?? 'lookup failed'} (may be temporary)`,
      options,
    );
    this.hostname = hostname;
    this.dnsCode = dnsCode;
  }
}

/**
 * The host name does not exist (NXDOMAIN / ENOTFOUND, or no address at all). Permanent: a name that
 * does not resolve now will almost never resolve within the item's retry window, and retrying a typo
 * only delays the answer the user is waiting for.
 */
export class DnsNotFoundError extends PermanentError {
  readonly hostname: string;
  readonly dnsCode: string | undefined;

  constructor(hostname: string, dnsCode: string | undefined, options?: { cause?: unknown }) {
    super('dns_error', `Host ${hostname} does not exist: DNS returned ${dnsCode ?? 'no address'}`, options);
    this.hostname = hostname;
    this.dnsCode = dnsCode;
  }
}

/** The connection was refused, reset, or cut before the body ended. */
export class ConnectionError extends RetryableError {
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('connection_error', `Connection for ${url} failed: ${reason}`, options);
    this.url = url;
  }
}

/**
 * A proxy of the job's pool failed (unreachable, refused the CONNECT, 407): retried, and the pool
 * counts it against that proxy (ejected after repeated failures), so the retry goes elsewhere.
 * Names the proxy, never its URL or credentials.
 */
export class ProxyError extends RetryableError {
  readonly proxy: string;
  /** The proxy's answer to CONNECT, when it gave one. */
  readonly status: number | undefined;

  constructor(proxy: string, reason: string, options?: { cause?: unknown; status?: number }) {
    super('proxy_error', `Proxy \`${proxy}\` ${reason}`, options);
    this.proxy = proxy;
    this.status = options?.status;
  }
}

/**
 * The site answered with a bot challenge, a wall or a captcha instead of the page (block-detection.ts).
 * Permanent for this fetch: the job's `onBlocked` may try again another way.
 */
export class BlockedBySiteError extends PermanentError {
  readonly url: string;
  /** Which wall: `cloudflare_challenge`, `captcha`, ... */
  readonly reason: string;
  readonly httpStatus: number;

  constructor(url: string, httpStatus: number, reason: string, hint: string) {
    super('blocked_by_site', `${url} is behind a bot wall (${reason}, HTTP ${httpStatus}): ${hint}`);
    this.url = url;
    this.reason = reason;
    this.httpStatus = httpStatus;
  }
}

/** The site wants a login (a redirect to a login page, or 401). */
export class LoginRequiredError extends PermanentError {
  readonly url: string;
  readonly reason: string;
  readonly httpStatus: number;

  constructor(url: string, httpStatus: number, reason: string, hint: string) {
    super('login_required', `${url} needs a login (${reason}): ${hint}`);
    this.url = url;
    this.reason = reason;
    this.httpStatus = httpStatus;
  }
}

/** Every proxy of the pool is ejected or at its limits: the item is rescheduled without using an attempt. */
export class ProxyUnavailableError extends RateLimitedError {
  constructor(pool: string, reason: string, retryAfterMs: number) {
    super('proxy_unavailable', `No proxy of pool \`${pool}\` is usable now: ${reason}`, retryAfterMs);
  }
}

/** The job names a proxy pool this process does not know. */
export class ProxyPoolUnknownError extends PermanentError {
  constructor(pool: string) {
    super('proxy_pool_unknown', `No proxy pool is named \`${pool}\` (DISTILL_PROXY_POOLS)`);
  }
}

/**
 * TLS failed: an invalid, expired or self-signed certificate, a name mismatch, or a handshake the
 * server cannot complete. Permanent: these are configuration problems of the site that a retry
 * minutes later does not fix.
 */
export class TlsError extends PermanentError {
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('tls_error', `TLS for ${url} failed: ${reason}`, options);
    this.url = url;
  }
}

/** Statuses worth retrying: the server is busy, restarting, or a gateway in front of it failed. */
export const RETRYABLE_HTTP_STATUSES: ReadonlySet<number> = new Set([
  408, 425, 429, 500, 502, 503, 504,
  // Cloudflare's origin errors (unknown error, origin down, connect timeout, unreachable, timeout).
  520, 521, 522, 523, 524,
]);

/** A non-2xx status that may go away: 408, 425, 429, 500, 502, 503, 504, 520-524. */
export class RetryableHttpStatusError extends RetryableError {
  readonly url: string;
  readonly status: number;

  constructor(url: string, status: number, options?: { cause?: unknown }) {
    super(
      'http_error',
      `Fetching ${url} failed: the server answered HTTP ${status} (may be temporary)`,
      options,
    );
    this.url = url;
    this.status = status;
  }
}

/** A non-2xx status that will not go away by retrying (404, 410, 403, 501, ...). */
export class PermanentHttpStatusError extends PermanentError {
  readonly url: string;
  readonly status: number;

  constructor(url: string, status: number, options?: { cause?: unknown }) {
    super('http_error', `Fetching ${url} failed: the server answered HTTP ${status}`, options);
    this.url = url;
    this.status = status;
  }
}

/** The server answered 429 or 503 with a Retry-After header: reschedule after `retryAfterMs`. */
export class HttpRateLimitedError extends RateLimitedError {
  readonly url: string;
  readonly status: number;

  constructor(url: string, status: number, retryAfterMs: number, options?: { cause?: unknown }) {
    super(
      'http_error',
      `Fetching ${url} failed: the server answered HTTP ${status} and asked us to retry after ${retryAfterMs} ms`,
      retryAfterMs,
      { ...options, isRemote: true },
    );
    this.url = url;
    this.status = status;
  }
}

/** Any of the three `http_error` classes; all have `status` and `url`. */
export type HttpStatusError = RetryableHttpStatusError | PermanentHttpStatusError | HttpRateLimitedError;

/** True for any of the `http_error` classes. */
export function isHttpStatusError(error: unknown): error is HttpStatusError {
  return (
    error instanceof RetryableHttpStatusError ||
    error instanceof PermanentHttpStatusError ||
    error instanceof HttpRateLimitedError
  );
}

/** Longest Retry-After we honour; a server asking for more is rescheduled after this. */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/**
 * Parses a Retry-After header (delay in seconds or an HTTP-date) into milliseconds, capped at
 * `MAX_RETRY_AFTER_MS`. Returns `undefined` when the header is absent or malformed.
 */
export function parseRetryAfterMs(value: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  let delayMs: number;
  if (/^\d+$/.test(text)) {
    delayMs = Number(text) * 1000;
  } else {
    // An HTTP-date names its month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse alone would also
    // accept things like "-5" or "1.5" as dates.
    const dateMs = /[a-z]{3}/i.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(dateMs)) return undefined;
    delayMs = dateMs - nowMs;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.ceil(delayMs)));
}

/**
 * Builds the error for a non-2xx final status: `HttpRateLimitedError` for 429/503 with a usable
 * Retry-After, else the retryable or permanent status error.
 */
export function createHttpStatusError(
  url: string,
  status: number,
  retryAfterHeader?: string,
  nowMs: number = Date.now(),
): HttpStatusError {
  if (status === 429 || status === 503) {
    const retryAfterMs = parseRetryAfterMs(retryAfterHeader, nowMs);
    if (retryAfterMs !== undefined) return new HttpRateLimitedError(url, status, retryAfterMs);
  }
  return RETRYABLE_HTTP_STATUSES.has(status)
    ? new RetryableHttpStatusError(url, status)
    : new PermanentHttpStatusError(url, status);
}

/** The compressed body could not be decoded (corrupt data, unsupported Content-Encoding). */
export class DecodingError extends PermanentError {
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('decoding_error', `Could not decode the body of ${url}: ${reason}`, options);
    this.url = url;
  }
}

/** The body (after decompression) or its declared Content-Length exceeds `maxBodyBytes`. */
export class TooLargeError extends PermanentError {
  readonly url: string;
  readonly maxBodyBytes: number;

  constructor(url: string, maxBodyBytes: number, detail: string, options?: { cause?: unknown }) {
    super(
      'too_large',
      `The body of ${url} is larger than the limit of ${maxBodyBytes} bytes: ${detail}`,
      options,
    );
    this.url = url;
    this.maxBodyBytes = maxBodyBytes;
  }
}

/** More redirects than `maxRedirects`, or a loop. */
export class TooManyRedirectsError extends PermanentError {
  readonly url: string;
  readonly maxRedirects: number;

  constructor(url: string, maxRedirects: number, options?: { cause?: unknown }) {
    super('too_many_redirects', `Fetching ${url} needed more than ${maxRedirects} redirects`, options);
    this.url = url;
    this.maxRedirects = maxRedirects;
  }
}

/**
 * The host is, or resolves to, an address the private-network guard refuses. The message names the
 * host and the class of address but never the address a name resolved to: it reaches API clients
 * and stored items, and internal resolutions (`vm` → 10.1.2.3) are the operator's to know. The
 * address stays on the error (`address`) for logs.
 */
export class BlockedAddressError extends PermanentError {
  readonly host: string;
  /** The refused address; not in the message when `host` is a name. */
  readonly address: string;
  /** The guard's class of the address, e.g. `private` or `loopback`. */
  readonly addressClass: string;

  /**
   * `port`, when known, makes the hint name the exact allow-list entry (`127.0.0.1:8765`): the
   * deliberate opening for one local service, not its whole host.
   */
  constructor(
    host: string,
    address: string,
    addressClass: string,
    options?: { cause?: unknown; port?: number },
  ) {
    const why =
      host.replace(/^\[(.*)\]$/, '$1') === address
        ? `the address is ${addressClass}, not public`
        : `the name resolves to ${addressClass === 'invalid' ? 'an invalid' : `a ${addressClass}`} address, not a public one`;
    const entry = options?.port === undefined ? host : `${host}:${options.port}`;
    super(
      'blocked_address',
      `Refused to connect to ${host}: ${why}. To permit it, add ${entry} to DISTILL_FETCH_ALLOW (or --fetch-allow)`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.host = host;
    this.address = address;
    this.addressClass = addressClass;
  }
}

/** robots.txt of the URL's origin disallows it for our user-agent token. */
export class RobotsDisallowedError extends PermanentError {
  readonly url: string;

  constructor(url: string, userAgentToken: string, options?: { cause?: unknown }) {
    super('robots_disallowed', `robots.txt disallows ${url} for user-agent ${userAgentToken}`, options);
    this.url = url;
  }
}

/** The URL cannot be fetched as written: unparsable, not http(s), or carrying credentials. */
export class InvalidUrlError extends PermanentError {
  readonly url: string;

  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('invalid_url', `Cannot fetch ${JSON.stringify(url)}: ${reason}`, options);
    this.url = url;
  }
}

/**
 * Our own per-host limiter said "later" for longer than the caller wanted to wait; the item is
 * rescheduled without using up an attempt.
 */
export class HostRateLimitedError extends RateLimitedError {
  readonly host: string;

  constructor(host: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(
      'host_rate_limited',
      `Host ${host} is at its politeness limit; try again in ${retryAfterMs} ms`,
      retryAfterMs,
      { ...options, isRemote: false },
    );
    this.host = host;
  }
}
