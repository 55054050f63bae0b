import { describe, expect, it } from 'vitest';
import { PermanentError, RateLimitedError, RetryableError } from '../lib/errors.js';
import {
  BlockedAddressError,
  ConnectionError,
  createHttpStatusError,
  DecodingError,
  DnsError,
  DnsNotFoundError,
  FETCH_ERROR_CODES,
  FetchTimeoutError,
  HostRateLimitedError,
  HttpRateLimitedError,
  InvalidUrlError,
  isHttpStatusError,
  MAX_RETRY_AFTER_MS,
  parseRetryAfterMs,
  PermanentHttpStatusError,
  RetryableHttpStatusError,
  RobotsDisallowedError,
  TlsError,
  TooLargeError,
  TooManyRedirectsError,
} from './errors.js';

describe('fetch errors', () => {
  it.each([
    [new FetchTimeoutError('http://a/', 'total', 30_000), 'timeout', RetryableError],
    [new DnsError('a.example', 'EAI_AGAIN'), 'dns_error', RetryableError],
    [new DnsNotFoundError('a.example', 'ENOTFOUND'), 'dns_error', PermanentError],
    [new ConnectionError('http://a/', 'reset'), 'connection_error', RetryableError],
    [new TlsError('https://a/', 'expired'), 'tls_error', PermanentError],
    [new RetryableHttpStatusError('http://a/', 503), 'http_error', RetryableError],
    [new PermanentHttpStatusError('http://a/', 404), 'http_error', PermanentError],
    [new HttpRateLimitedError('http://a/', 429, 1000), 'http_error', RateLimitedError],
    [new DecodingError('http://a/', 'corrupt'), 'decoding_error', PermanentError],
    [new TooLargeError('http://a/', 10, 'big'), 'too_large', PermanentError],
    [new TooManyRedirectsError('http://a/', 5), 'too_many_redirects', PermanentError],
    [new BlockedAddressError('a', '10.0.0.1', 'private'), 'blocked_address', PermanentError],
    [new RobotsDisallowedError('http://a/', 'distill'), 'robots_disallowed', PermanentError],
    [new InvalidUrlError('ftp://a/', 'scheme'), 'invalid_url', PermanentError],
    [new HostRateLimitedError('a', 500), 'host_rate_limited', RateLimitedError],
  ])('%s has code and consequence', (error, code, consequence) => {
    expect(error.code).toBe(code);
    expect(error).toBeInstanceOf(consequence);
    expect(FETCH_ERROR_CODES).toContain(code);
    expect(error.name).toBe(error.constructor.name);
  });

  it('marks remote and local rate limits', () => {
    expect(new HttpRateLimitedError('http://a/', 429, 7000).isRemote).toBe(true);
    expect(new HostRateLimitedError('a', 7000).isRemote).toBe(false);
  });

  it('says what, which and why, and names the allow-list entry that permits it', () => {
    expect(new BlockedAddressError('10.0.0.1', '10.0.0.1', 'private').message).toBe(
      'Refused to connect to 10.0.0.1: the address is private, not public. To permit it, add 10.0.0.1 to DISTILL_FETCH_ALLOW (or --fetch-allow)',
    );
    expect(new BlockedAddressError('127.0.0.1', '127.0.0.1', 'loopback', { port: 8765 }).message).toBe(
      'Refused to connect to 127.0.0.1: the address is loopback, not public. To permit it, add 127.0.0.1:8765 to DISTILL_FETCH_ALLOW (or --fetch-allow)',
    );
    // What a name resolved to stays out of the message (it reaches API clients and stored items).
    const named = new BlockedAddressError('vm', '127.0.0.1', 'loopback');
    expect(named.message).toBe(
      'Refused to connect to vm: the name resolves to a loopback address, not a public one. To permit it, add vm to DISTILL_FETCH_ALLOW (or --fetch-allow)',
    );
    expect(named.message).not.toContain('127.0.0.1');
    expect(named.address).toBe('127.0.0.1');
    expect(new TooLargeError('http://a/', 10, 'Content-Length is 50 bytes').message).toContain('http://a/');
  });
});

describe('createHttpStatusError', () => {
  it.each([408, 425, 429, 500, 502, 503, 504, 520, 524])('treats %i as retryable', (status) => {
    const error = createHttpStatusError('http://a/', status);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toBeInstanceOf(RetryableHttpStatusError);
    expect(error.status).toBe(status);
    expect(isHttpStatusError(error)).toBe(true);
  });

  it.each([400, 401, 403, 404, 410, 451, 501, 505])('treats %i as permanent', (status) => {
    const error = createHttpStatusError('http://a/', status);
    expect(error).toBeInstanceOf(PermanentHttpStatusError);
    expect(error.code).toBe('http_error');
  });

  it('turns 429 and 503 with Retry-After into HttpRateLimitedError', () => {
    const error = createHttpStatusError('http://a/', 429, '7');
    expect(error).toBeInstanceOf(HttpRateLimitedError);
    expect((error as HttpRateLimitedError).retryAfterMs).toBe(7000);
    expect(createHttpStatusError('http://a/', 503, '120')).toBeInstanceOf(HttpRateLimitedError);
    expect(createHttpStatusError('http://a/', 500, '7')).toBeInstanceOf(RetryableHttpStatusError);
    expect(createHttpStatusError('http://a/', 429, 'soon')).toBeInstanceOf(RetryableHttpStatusError);
  });
});

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it('parses seconds and HTTP-dates, caps at an hour, and rejects junk', () => {
    expect(parseRetryAfterMs('0', now)).toBe(0);
    expect(parseRetryAfterMs(' 7 ', now)).toBe(7000);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 23:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('999999', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfterMs('-5', now)).toBeUndefined();
    expect(parseRetryAfterMs('1.5', now)).toBeUndefined();
    expect(parseRetryAfterMs('', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });
});
