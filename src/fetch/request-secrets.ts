/**
 * Per-job request headers and cookies (issue 20): what a client may set, and which request each
 * is sent with.
 *
 * - Headers go only to the job's own hosts: the host of the URL the item asked for. A redirect to
 *   another host drops them (as browsers drop Authorization across origins), and robots.txt is
 *   fetched without them.
 * - Cookies follow RFC 6265's matching: a cookie for `example.com` goes to `example.com` and its
 *   subdomains (domain-match, §5.1.3), only under its `path` (path-match, §5.1.4), and a `secure`
 *   one only over https. They are not limited to the job's hosts: their domain is their scope.
 * - Forbidden headers are refused at submission: the ones the fetcher or the connection owns
 *   (Host, Content-Length, Accept-Encoding) and the hop-by-hop ones (RFC 9110 §7.6.1), which
 *   would speak for our connection, not for the request.
 */
import type { SecretBox } from '../lib/secret-box.js';
import { isIpLiteral } from './address-guard.js';

/** One cookie a job sends. */
export interface RequestCookie {
  name: string;
  value: string;
  /** The host the cookie belongs to, lower-case, without a leading dot; its subdomains match too. */
  domain: string;
  /** @default '/' */
  path: string;
  /** Only over https. @default false */
  secure: boolean;
}

/** A job's request secrets, opened. */
export interface RequestSecrets {
  /** Header name (as given) → value. */
  headers: Record<string, string>;
  cookies: RequestCookie[];
}

/** A job's secrets as a client sends them (cookies' `path` and `secure` optional). */
export interface RequestSecretsInput {
  headers?: Record<string, string> | undefined;
  cookies?:
    | Array<{
        name: string;
        value: string;
        domain: string;
        path?: string | undefined;
        secure?: boolean | undefined;
      }>
    | undefined;
}

/** Most headers and most cookies per job. */
export const MAX_REQUEST_HEADERS = 50;
export const MAX_REQUEST_COOKIES = 50;

/** Headers a job may not set (lower-case). */
export const FORBIDDEN_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'accept-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'http2-settings',
]);

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}$/;
/** Visible ASCII, space and tab, and UTF-8 beyond ASCII; no CR, LF or NUL (header injection). */
const HEADER_VALUE = /^[\t\x20-\x7e\u0080-\uffff]{0,8192}$/;
/** RFC 6265 cookie-octet, optionally in double quotes. */
const COOKIE_VALUE =
  /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,4096}|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]{0,4096}")$/;
const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const PATH = /^\/[\x21-\x3a\x3c-\x7e]{0,1023}$/;

/** A header or cookie a job may not send; `field` is the JSON pointer of the offending member. */
export class InvalidRequestSecretError extends TypeError {
  readonly code = 'invalid_request_secret';
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'InvalidRequestSecretError';
    this.field = field;
  }
}

/** Checks and normalises a client's headers and cookies; throws `InvalidRequestSecretError`. Values never appear in messages. */
export function parseRequestSecrets(input: RequestSecretsInput): RequestSecrets {
  const headers: Record<string, string> = {};
  const seen = new Set<string>();
  const headerEntries = Object.entries(input.headers ?? {});
  if (headerEntries.length > MAX_REQUEST_HEADERS) {
    throw new InvalidRequestSecretError(
      '/options/headers',
      `has ${headerEntries.length} headers; at most ${MAX_REQUEST_HEADERS} are allowed`,
    );
  }
  for (const [name, value] of headerEntries) {
    const field = `/options/headers/${name}`;
    if (!TOKEN.test(name))
      throw new InvalidRequestSecretError(field, `\`${name.slice(0, 64)}\` is not a valid header name`);
    const lower = name.toLowerCase();
    if (FORBIDDEN_REQUEST_HEADERS.has(lower)) {
      throw new InvalidRequestSecretError(
        field,
        `\`${name}\` may not be set: the fetcher and the connection own it (Host, Content-Length, Accept-Encoding and hop-by-hop headers are refused)`,
      );
    }
    if (seen.has(lower))
      throw new InvalidRequestSecretError(
        field,
        `\`${name}\` is given twice (header names are case-insensitive)`,
      );
    seen.add(lower);
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new InvalidRequestSecretError(
        field,
        `the value of \`${name}\` must be a string of at most 8192 characters without CR, LF or NUL`,
      );
    }
    headers[name] = value;
  }
  const cookieInputs = input.cookies ?? [];
  if (cookieInputs.length > MAX_REQUEST_COOKIES) {
    throw new InvalidRequestSecretError(
      '/options/cookies',
      `has ${cookieInputs.length} cookies; at most ${MAX_REQUEST_COOKIES} are allowed`,
    );
  }
  const cookies = cookieInputs.map((cookie, index): RequestCookie => {
    const field = `/options/cookies/${index}`;
    if (!TOKEN.test(cookie.name))
      throw new InvalidRequestSecretError(
        `${field}/name`,
        `\`${cookie.name.slice(0, 64)}\` is not a valid cookie name`,
      );
    if (!COOKIE_VALUE.test(cookie.value)) {
      throw new InvalidRequestSecretError(
        `${field}/value`,
        `the value of cookie \`${cookie.name}\` has characters a cookie may not carry (RFC 6265 cookie-octet: no spaces, quotes inside, commas, semicolons or backslashes)`,
      );
    }
    const domain = cookie.domain.trim().toLowerCase().replace(/^\./, '');
    if (!(DOMAIN.test(domain) && domain.length <= 253) && !isIpLiteral(domain)) {
      throw new InvalidRequestSecretError(
        `${field}/domain`,
        `\`${cookie.domain.slice(0, 64)}\` is not a host name`,
      );
    }
    const path = cookie.path ?? '/';
    if (!PATH.test(path))
      throw new InvalidRequestSecretError(
        `${field}/path`,
        `\`${path.slice(0, 64)}\` is not a cookie path (it starts with /)`,
      );
    return { name: cookie.name, value: cookie.value, domain, path, secure: cookie.secure ?? false };
  });
  return { headers, cookies };
}

/** RFC 6265 §5.1.3: does `host` domain-match `domain`? (IP addresses match only themselves.) */
export function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === domain) return true;
  return !isIpLiteral(h) && h.endsWith(`.${domain}`);
}

/** RFC 6265 §5.1.4: does `requestPath` path-match `cookiePath`? */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

/**
 * The headers and `Cookie` of one request to `url` (one hop) of a job whose own host is
 * `ownHost`: headers only when `url`'s host is `ownHost`, cookies by their domain, path and
 * `secure`. Header names are lower-cased; a `Cookie` header of the job's own is joined with its
 * cookies.
 */
export function requestSecretsFor(
  url: URL,
  secrets: RequestSecrets,
  ownHost: string,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (url.host.toLowerCase() === ownHost.toLowerCase()) {
    for (const [name, value] of Object.entries(secrets.headers)) out[name.toLowerCase()] = value;
  }
  const cookies = secrets.cookies
    .filter(
      (c) =>
        domainMatches(url.hostname, c.domain) &&
        pathMatches(url.pathname, c.path) &&
        (!c.secure || url.protocol === 'https:'),
    )
    // RFC 6265 §5.4: longer paths first.
    .sort((a, b) => b.path.length - a.path.length)
    .map((c) => `${c.name}=${c.value}`);
  if (cookies.length > 0)
    out['cookie'] =
      out['cookie'] === undefined ? cookies.join('; ') : `${out['cookie']}; ${cookies.join('; ')}`;
  return out;
}

/**
 * A job's secrets as stored (the same shape as `SealedRequestSecrets` of jobs/types.ts, which the
 * domain declares for itself): the box, and the names the API may show.
 */
export interface SealedRequestSecrets {
  /** AES-256-GCM box (lib/secret-box.ts) of the JSON of `RequestSecrets`. */
  box: string;
  headerNames: string[];
  cookies: Array<{ name: string; domain: string; path: string }>;
}

/** Checks `input` (`parseRequestSecrets`) and seals it with `box`. */
export function sealRequestSecrets(box: SecretBox, input: RequestSecretsInput): SealedRequestSecrets {
  const secrets = parseRequestSecrets(input);
  return {
    box: box.seal(JSON.stringify(secrets)),
    headerNames: Object.keys(secrets.headers),
    cookies: secrets.cookies.map(({ name, domain, path }) => ({ name, domain, path })),
  };
}

/** Opens what `sealRequestSecrets` sealed; throws `SecretUnreadableError` for a box of another key. */
export function openRequestSecrets(box: SecretBox, sealed: SealedRequestSecrets): RequestSecrets {
  return JSON.parse(box.open(sealed.box)) as RequestSecrets;
}
