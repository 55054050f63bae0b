/** Longest URL accepted, in characters (after trimming). Browsers and CDNs cap near 8 KiB too. */
export const MAX_URL_LENGTH = 8192;

/** Why a submitted URL was refused; stable codes returned per entry by the API. */
export type UrlRejection = 'invalid_url' | 'unsupported_scheme' | 'url_too_long' | 'credentials_in_url';

export type NormalizedUrl = { ok: true; url: string } | { ok: false; reason: UrlRejection; message: string };

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/**
 * Percent-encoding normalisation (RFC 3986 §6.2.2): hex digits upper-cased, and escapes of
 * unreserved characters decoded, since `%7E` and `~` name the same resource. Reserved characters
 * stay escaped: `%2F` in a path is not the same as `/`. A `%` that starts no escape can only be
 * data and becomes `%25` (§2.4); left alone, decoding next to it would make a new escape
 * (`%%41a` → `%Aa`) and normalising twice would change the key again.
 */
function normalizePercentEncoding(part: string): string {
  // Most URLs hold no escape at all: skip the regular expression for them.
  if (!part.includes('%')) return part;
  return part.replace(/%([0-9A-Fa-f]{2})?/g, (_match, hex: string | undefined) => {
    if (hex === undefined) return '%25';
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * Normalises a URL so that two spellings of one resource become one key: scheme and host in lower
 * case, IDN hosts in punycode, default port and fragment dropped, an empty path made `/`, path and
 * query kept as given but for percent-encoding normalisation. Numeric IPv4 spellings
 * (`http://0x7f.1/`) become dotted quads through the WHATWG parser. Only http and https are
 * accepted, and never URLs carrying credentials, which would end up in logs and documents.
 */
export function normalizeUrl(input: string): NormalizedUrl {
  const text = input.trim();
  if (text.length === 0) return { ok: false, reason: 'invalid_url', message: 'The URL is empty' };
  if (text.length > MAX_URL_LENGTH) {
    return {
      ok: false,
      reason: 'url_too_long',
      message: `The URL has ${text.length} characters; at most ${MAX_URL_LENGTH} are accepted`,
    };
  }
  const suggestion = withoutScheme(text);
  if (suggestion !== undefined) {
    return { ok: false, reason: 'invalid_url', message: `No scheme: did you mean ${suggestion}?` };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: 'invalid_url', message: `Not an absolute URL: ${preview(text)}` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return {
      ok: false,
      reason: 'unsupported_scheme',
      message: `Only http and https URLs are fetched, got ${url.protocol.slice(0, -1)}:`,
    };
  }
  if (url.hostname === '') return { ok: false, reason: 'invalid_url', message: 'The URL has no host' };
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      reason: 'credentials_in_url',
      message: 'URLs with user names or passwords are refused',
    };
  }
  const path = normalizePercentEncoding(url.pathname);
  const search = normalizePercentEncoding(url.search);
  // The fragment is left out. URL.href already lower-cases scheme and host, applies punycode and drops the default port.
  const normalized = `${url.protocol}//${url.host}${path}${search === '?' ? '' : search}`;
  // Percent-encoding makes the key up to 9 times longer than the input (`中` → `%E4%B8%AD`): the
  // limit holds for what is stored, shown and looked up again, not only for what was sent.
  if (normalized.length > MAX_URL_LENGTH) {
    return {
      ok: false,
      reason: 'url_too_long',
      message: `The URL has ${normalized.length} characters once percent-encoded; at most ${MAX_URL_LENGTH} are accepted`,
    };
  }
  return { ok: true, url: normalized };
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * `example.com/a` or `example.com:8080`, written without a scheme: the https URL it most likely
 * means, for the message; undefined when the text has a scheme or names no plausible host.
 */
function withoutScheme(text: string): string | undefined {
  const hasScheme = /^[a-z][a-z0-9+.-]*:/i.test(text) && !/^[^/:?#]+:\d+(?:[/?#]|$)/.test(text);
  if (hasScheme || text.startsWith('/')) return undefined;
  try {
    const url = new URL(`https://${text}`);
    return url.hostname.includes('.') || url.hostname === 'localhost'
      ? url.href.length > 80
        ? `${url.href.slice(0, 80)}…`
        : url.href
      : undefined;
  } catch {
    return undefined;
  }
}
