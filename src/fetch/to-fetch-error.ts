// How `HttpFetcher` (http-fetcher.ts) names a failed fetch: the caller's abort, the deadline, undici's
// timeouts, TLS and connection errors, each as the documented error class.
import { AbortedError, DistillError, toError } from '../lib/errors.js';
import { ConnectionError, FetchTimeoutError, TlsError } from './errors.js';
import type { FetchScope } from './fetch-scope.js';
import { errorCode, TLS_CODES } from './http-helpers.js';

/** Maps whatever a fetch failed with to the documented error classes. */
export function toFetchError(
  error: unknown,
  url: string,
  scope: FetchScope,
  timeoutMs: number,
  timeouts: { connectTimeoutMs: number; headersTimeoutMs: number },
): DistillError {
  // The caller's abort and our deadline explain any error they caused (undici reports them as
  // aborts or socket errors), so they are checked first.
  if (scope.isCallerAborted) {
    return error instanceof AbortedError
      ? error
      : new AbortedError(`Fetching ${url} was aborted`, { cause: error });
  }
  if (scope.isTimedOut) return new FetchTimeoutError(url, 'total', timeoutMs, { cause: error });
  if (error instanceof DistillError) return error;

  const code = errorCode(error);
  const message = toError(error).message;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new FetchTimeoutError(url, 'connect', timeouts.connectTimeoutMs, { cause: error });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new FetchTimeoutError(url, 'headers', timeouts.headersTimeoutMs, { cause: error });
    case 'UND_ERR_BODY_TIMEOUT':
      return new FetchTimeoutError(url, 'body', timeoutMs, { cause: error });
    default:
      break;
  }
  if (
    code !== undefined &&
    (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_'))
  ) {
    return new TlsError(url, `${message} (${code})`, { cause: error });
  }
  return new ConnectionError(url, code === undefined ? message : `${message} (${code})`, { cause: error });
}
