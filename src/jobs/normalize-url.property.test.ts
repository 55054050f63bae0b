import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_URL_LENGTH, normalizeUrl, type NormalizedUrl, type UrlRejection } from './normalize-url.js';

/**
 * Property tests of `normalizeUrl`: whatever the string, it answers a result (never throws), an
 * accepted URL is a short, clean http(s) URL that normalises to itself, and spellings of one
 * resource share one key. fast-check prints the seed and the shrunk input of a failure; replay it
 * with `fc.assert(..., { seed, path })`.
 */

const REASONS: readonly UrlRejection[] = [
  'invalid_url',
  'unsupported_scheme',
  'url_too_long',
  'credentials_in_url',
];
const UNRESERVED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~';

/** Any UTF-16 code unit, lone surrogates included: what a JSON string can carry. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n));

/** Percent-escapes, valid or not, in either case. */
const percentEscape = fc.oneof(
  fc.integer({ min: 0, max: 255 }).chain((n) => {
    const hex = n.toString(16).padStart(2, '0');
    return fc.constantFrom(`%${hex.toLowerCase()}`, `%${hex.toUpperCase()}`);
  }),
  fc.constantFrom('%', '%%', '%2', '%zz', '%g0', '%25', '%2541', '%%41'),
);

/** Path and query pieces that parsers get wrong: dot segments (plain and encoded), separators, escapes, Unicode. */
const oddPiece = fc.oneof(
  fc.constantFrom(
    '.',
    '..',
    '%2e',
    '%2E',
    '.%2e',
    '%2e%2E',
    '/',
    '//',
    '\\',
    ';',
    '?',
    '#',
    '&',
    '=',
    '@',
    ':',
    '[',
    ']',
    '|',
  ),
  fc.constantFrom(
    ' ',
    '\t',
    '\n',
    '"',
    "'",
    '<',
    '>',
    '`',
    '^',
    '{',
    '}',
    'é',
    '中',
    '😀',
    '\u0000',
    '\u200b',
    '\ufeff',
  ),
  percentEscape,
  fc.webSegment(),
  fc.string({ unit: codeUnit, maxLength: 4 }),
);

const scheme = fc.constantFrom(
  'http',
  'https',
  'HTTP',
  'hTTpS',
  'ftp',
  'ws',
  'file',
  'javascript',
  'data',
  'mailto',
  'h t t p',
  '',
);

const mixedCase = (text: string, flips: boolean[]): string =>
  [...text].map((c, i) => (flips[i % Math.max(flips.length, 1)] ? c.toUpperCase() : c)).join('');

const host = fc.oneof(
  fc.domain(),
  fc
    .tuple(fc.domain(), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }))
    .map(([d, flips]) => mixedCase(d, flips)),
  fc.ipV4(),
  fc.ipV4Extended(),
  fc.ipV6().map((ip) => `[${ip}]`),
  fc.ipV6().map((ip) => `[${ip.toUpperCase()}]`),
  fc.constantFrom(
    'bücher.example',
    'BÜCHER.example',
    'xn--bcher-kva.example',
    'example.com.',
    'ex%41mple.com',
    'a%2eb',
  ),
  fc.constantFrom('[::1', '[fe80::1%25eth0]', '0x7f.1', '2130706433', '256.1.1.1', 'exa mple.com', '', '%00'),
);

const port = fc.oneof(
  fc.constant(''),
  fc.integer({ min: 0, max: 70_000 }).map((p) => `:${p}`),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map((p) => `:${p}`),
  fc.constantFrom(':', ':80', ':443', ':0080', ':-1', ':8a'),
);

const userInfo = fc.constantFrom('', '', '', 'user@', 'user:pass@', ':pw@', ':@', '@', 'a%40b@');

const path = fc.array(oddPiece, { maxLength: 12 }).map((pieces) => `/${pieces.join('')}`);
const query = fc.oneof(
  fc.constant(''),
  fc.array(oddPiece, { maxLength: 6 }).map((p) => `?${p.join('')}`),
);
const fragment = fc.oneof(
  fc.constant(''),
  fc.webFragments().map((f) => `#${f}`),
);
const blank = fc.constantFrom('', ' ', '\t', '\n', '\u00a0', '\u3000');

/** URL-shaped strings built from odd parts: most are valid, many are not. */
const urlLike = fc
  .tuple(blank, scheme, userInfo, host, port, path, query, fragment, blank)
  .map(([before, s, u, h, p, pa, q, f, after]) => `${before}${s}://${u}${h}${p}${pa}${q}${f}${after}`);

/** Every kind of input at once: garbage, fast-check's own web URLs, and URLs with odd parts. */
const anyInput = fc.oneof(
  fc.string({ unit: codeUnit, maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.webUrl({
    validSchemes: ['http', 'https', 'ftp'],
    withQueryParameters: true,
    withFragments: true,
    authoritySettings: {
      withIPv4: true,
      withIPv4Extended: true,
      withIPv6: true,
      withPort: true,
      withUserInfo: true,
    },
  }),
  urlLike,
);

/** A valid http(s) URL without credentials, as parts, so that each part can be respelled. */
const validParts = fc.record({
  isHttps: fc.boolean(),
  host: fc.oneof(
    fc.domain(),
    fc.ipV4(),
    fc.ipV6().map((ip) => `[${ip}]`),
  ),
  port: fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }),
  segments: fc.array(fc.webSegment(), { maxLength: 5 }),
  query: fc.option(fc.webQueryParameters(), { nil: undefined }),
});
type ValidParts = typeof validParts extends fc.Arbitrary<infer T> ? T : never;

function spell(
  parts: ValidParts,
  variant: { upper?: boolean; explicitPort?: boolean; fragment?: string } = {},
): string {
  const scheme = parts.isHttps ? 'https' : 'http';
  const defaultPort = parts.isHttps ? 443 : 80;
  const port = parts.port ?? (variant.explicitPort ? defaultPort : undefined);
  const authority = `${parts.host}${port === undefined ? '' : `:${port}`}`;
  const head = variant.upper ? `${scheme}://${authority}`.toUpperCase() : `${scheme}://${authority}`;
  const query = parts.query === undefined ? '' : `?${parts.query}`;
  return `${head}/${parts.segments.join('/')}${query}${variant.fragment ?? ''}`;
}

function expectWellFormed(result: NormalizedUrl): void {
  if (result.ok) {
    expect(typeof result.url).toBe('string');
  } else {
    expect(REASONS).toContain(result.reason);
    expect(typeof result.message).toBe('string');
    expect(result.message.length).toBeGreaterThan(0);
  }
}

describe('normalizeUrl (properties)', () => {
  it('answers a result, never an exception, for any string', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        expectWellFormed(normalizeUrl(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts only clean http(s) URLs under the length limit: no credentials, no fragment, lower-case scheme and host', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const result = normalizeUrl(input);
        if (!result.ok) return;
        expect(result.url.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
        expect(result.url).toMatch(/^https?:\/\/[^/?#]+\//);
        const parsed = new URL(result.url);
        expect(['http:', 'https:']).toContain(parsed.protocol);
        expect({ username: parsed.username, password: parsed.password, hash: parsed.hash }).toEqual({
          username: '',
          password: '',
          hash: '',
        });
        expect(result.url.includes('#')).toBe(false);
        const authority = result.url.slice(parsed.protocol.length + 2).split('/')[0]!;
        expect(authority).toBe(authority.toLowerCase());
        expect(parsed.port).not.toBe(parsed.protocol === 'https:' ? '443' : '80');
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: a normalised URL normalises to itself', () => {
    fc.assert(
      fc.property(anyInput, (input) => {
        const first = normalizeUrl(input);
        if (!first.ok) return;
        expect(normalizeUrl(first.url)).toEqual(first);
      }),
      // The examples were found by this property: a stray `%` beside a decoded escape.
      {
        numRuns: 3000,
        examples: [['http://0.0.0.0/%%41a?'], ['http://a/%4%31'], ['http://a/x?%%34%31'], ['http://a/100%']],
      },
    );
  });

  // Found by the idempotence property: `%%41a` became `%Aa`, a new escape, and then `%AA`, so one
  // URL had two keys depending on how often it was normalised (a resubmitted item URL, say).
  it('encodes a % that starts no escape as %25, so that decoding never makes a new escape', () => {
    expect(normalizeUrl('http://a/%%41a')).toEqual({ ok: true, url: 'http://a/%25Aa' });
    expect(normalizeUrl('http://a/%4%31?q=100%')).toEqual({ ok: true, url: 'http://a/%2541?q=100%25' });
    expect(normalizeUrl('http://a/%25Aa')).toEqual({ ok: true, url: 'http://a/%25Aa' });
  });

  it('gives one key to spellings that differ in scheme and host case, default port, fragment and surrounding blanks', () => {
    fc.assert(
      fc.property(validParts, fc.webFragments(), blank, (parts, hash, pad) => {
        const plain = normalizeUrl(spell(parts));
        expect(plain.ok).toBe(true);
        const variants = [
          spell(parts, { upper: true }),
          spell(parts, { explicitPort: true }),
          spell(parts, { fragment: `#${hash}` }),
          `${pad}${spell(parts, { upper: true, explicitPort: true, fragment: '#' })}${pad}`,
        ];
        for (const variant of variants) expect(normalizeUrl(variant)).toEqual(plain);
      }),
      { numRuns: 1000 },
    );
  });

  it('gives one key to a path whose unreserved characters are percent-encoded, in either hex case', () => {
    const unreserved = fc.string({ unit: fc.constantFrom(...UNRESERVED), minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(
        unreserved,
        fc.array(fc.boolean(), { minLength: 1, maxLength: 30 }),
        fc.boolean(),
        (text, encodeAt, isLower) => {
          const encoded = [...text]
            .map((c, i) => {
              if (!encodeAt[i % encodeAt.length]) return c;
              const hex = c.charCodeAt(0).toString(16).toUpperCase();
              return `%${isLower ? hex.toLowerCase() : hex}`;
            })
            .join('');
          // A segment of dots alone is a dot segment, which the parser removes however it is spelled.
          const segment = /^\.+$/.test(text) ? `x${text}` : text;
          const respelled = /^\.+$/.test(text) ? `x${encoded}` : encoded;
          expect(normalizeUrl(`https://example.com/${respelled}?q=${encoded}`)).toEqual(
            normalizeUrl(`https://example.com/${segment}?q=${text}`),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('refuses URLs with credentials and other schemes with their own reason', () => {
    fc.assert(
      fc.property(
        validParts,
        fc.constantFrom('user@', 'user:pass@', ':secret@', 'a%40b:c@'),
        (parts, credentials) => {
          const url = spell(parts).replace('://', `://${credentials}`);
          expect(normalizeUrl(url)).toMatchObject({ ok: false, reason: 'credentials_in_url' });
        },
      ),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(validParts, fc.constantFrom('ftp', 'ws', 'wss', 'gopher', 'x-custom'), (parts, other) => {
        const url = spell(parts).replace(/^https?/, other);
        expect(normalizeUrl(url)).toMatchObject({ ok: false, reason: 'unsupported_scheme' });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses with url_too_long what is over the limit as sent or once percent-encoded', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('a', 'é', '中', '😀', ' ', '%41'),
        fc.integer({ min: 1, max: MAX_URL_LENGTH }),
        (char, repeat) => {
          const input = `https://example.com/${char.repeat(repeat)}`;
          const result = normalizeUrl(input);
          if (result.ok) expect(result.url.length).toBeLessThanOrEqual(MAX_URL_LENGTH);
          else expect(result.reason).toBe('url_too_long');
        },
      ),
      {
        numRuns: 200,
        examples: [
          ['é', 1400],
          ['中', 1000],
          ['a', MAX_URL_LENGTH],
        ],
      },
    );
  });

  // Found by the property above: `é` is 1 character in the input and 6 (`%C3%A9`) in the key, so
  // a URL well under the limit was accepted with a 8,400-character key that
  // `GET /v1/documents?url=` then refused.
  it('refuses a short URL whose percent-encoded form is over the limit', () => {
    const input = `http://a/${'é'.repeat(1400)}`;
    expect(input.length).toBeLessThan(MAX_URL_LENGTH);
    expect(normalizeUrl(input)).toMatchObject({ ok: false, reason: 'url_too_long' });
  });
});
