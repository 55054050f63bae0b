/**
 * Small pieces of `HttpFetcher` (http-fetcher.ts): option checks, header access, URL parsing and
 * throwing away bodies we do not read.
 */
import type { Dispatcher } from 'undici';
import { InvalidUrlError } from './errors.js';

export const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Bodies of redirects and errors up to this size are drained to keep the connection; larger ones close it. */
export const DRAIN_LIMIT_BYTES = 64 * 1024;
/** Longest wait for draining such a body, in milliseconds. */
export const DRAIN_TIMEOUT_MS = 1000;

export const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'HOSTNAME_MISMATCH',
  'EPROTO',
]);

export function integerOption(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    const what = min === 0 ? 'a non-negative integer' : 'a positive integer';
    throw new TypeError(`Expected \`${name}\` to be ${what}, got \`${String(value)}\``);
  }
  return value;
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function headerValue(
  headers: Record<string, string | string[] | undefined>,
  name: string,
): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

/** Parses a URL we are asked to fetch (or redirected to); only http(s), no credentials, no fragment. */
export function parseFetchUrl(text: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch (error) {
    throw new InvalidUrlError(text, 'not a valid absolute URL', { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidUrlError(url.href, `scheme \`${url.protocol}\` is not supported (only http and https)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidUrlError(
      url.href,
      'URLs with credentials are not fetched (they would be sent to every redirect target)',
    );
  }
  if (url.hostname === '') throw new InvalidUrlError(url.href, 'the URL has no host');
  url.hash = '';
  return url;
}

export function portOf(url: URL): number {
  return url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
}

/**
 * Destroys a body we will not read (closing its connection). undici then emits an "aborted"
 * error on it; without a listener that error would be an uncaught exception.
 */
export function destroyBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {
    // Expected: we destroyed the body ourselves.
  });
  body.destroy();
}

/**
 * Throws away a body we do not need, keeping the connection when that is cheap: a body declared
 * larger than `DRAIN_LIMIT_BYTES` closes the connection at once; any other (including no body, as
 * with 304, and bodies of unknown length) is drained for at most that many bytes and
 * `DRAIN_TIMEOUT_MS`, then the connection is closed if it has not ended.
 */
export async function discardBody(
  body: Dispatcher.ResponseData['body'],
  contentLength: string | undefined,
): Promise<void> {
  if (Number(contentLength) > DRAIN_LIMIT_BYTES) {
    destroyBody(body);
    return;
  }
  try {
    await body.dump({ limit: DRAIN_LIMIT_BYTES, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) });
  } catch {
    // A body that will not drain quickly is not worth its connection.
    destroyBody(body);
  }
}
