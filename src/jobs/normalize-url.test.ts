import { describe, expect, it } from 'vitest';
import { normalizeUrl, MAX_URL_LENGTH } from './normalize-url.js';

describe('normalizeUrl', () => {
  const accepted: Array<[string, string]> = [
    ['HTTP://Example.COM/Path?Q=1', 'http://example.com/Path?Q=1'],
    ['  https://example.com  ', 'https://example.com/'],
    ['https://example.com:443/a', 'https://example.com/a'],
    ['http://example.com:80/a', 'http://example.com/a'],
    ['http://example.com:8080/a', 'http://example.com:8080/a'],
    ['https://example.com/a#section', 'https://example.com/a'],
    ['https://example.com/a?#x', 'https://example.com/a'],
    ['https://bücher.example/straße', 'https://xn--bcher-kva.example/stra%C3%9Fe'],
    ['https://example.com/%7euser/%2fetc%2F', 'https://example.com/~user/%2Fetc%2F'],
    ['https://example.com/a%20b?x=%3d&y=%41', 'https://example.com/a%20b?x=%3D&y=A'],
    ['https://example.com/a/b/?b=2&a=1', 'https://example.com/a/b/?b=2&a=1'],
    ['http://0x7f.1/', 'http://127.0.0.1/'],
    ['http://2130706433/', 'http://127.0.0.1/'],
    ['http://[::FFFF:127.0.0.1]/', 'http://[::ffff:7f00:1]/'],
    ['https://EXAMPLE.com./x', 'https://example.com./x'],
  ];
  it.each(accepted)('normalises %s to %s', (input, expected) => {
    expect(normalizeUrl(input)).toEqual({ ok: true, url: expected });
  });

  const refused: Array<[string, string]> = [
    ['', 'invalid_url'],
    ['example.com/no-scheme', 'invalid_url'],
    ['ftp://example.com/file', 'unsupported_scheme'],
    ['javascript:alert(1)', 'unsupported_scheme'],
    ['file:///etc/passwd', 'unsupported_scheme'],
    ['data:text/html,hi', 'unsupported_scheme'],
    ['http://user:pass@example.com/', 'credentials_in_url'],
    ['http://exa mple.com/', 'invalid_url'],
    ['http://[::1/', 'invalid_url'],
    [`https://example.com/${'a'.repeat(MAX_URL_LENGTH)}`, 'url_too_long'],
  ];
  it.each(refused)('refuses %j with %s', (input, reason) => {
    const result = normalizeUrl(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.reason).toBe(reason);
      expect(result.message.length).toBeGreaterThan(5);
    }
  });

  it('gives the same key to two spellings of one resource', () => {
    const a = normalizeUrl('HTTPS://Example.com:443/%7Ea?x=1#top');
    const b = normalizeUrl('https://example.com/~a?x=1');
    expect(a).toEqual(b);
  });
});

describe('a URL written without a scheme', () => {
  it.each([
    ['example.com', 'https://example.com/'],
    ['example.com/a?b=1', 'https://example.com/a?b=1'],
    ['www.example.org:8080/x', 'https://www.example.org:8080/x'],
    ['localhost:3000', 'https://localhost:3000/'],
  ])('says why %s is refused, and what was probably meant', (input, meant) => {
    expect(normalizeUrl(input)).toEqual({
      ok: false,
      reason: 'invalid_url',
      message: `No scheme: did you mean ${meant}?`,
    });
  });

  it('keeps the other refusals as they were', () => {
    expect(normalizeUrl('ftp://example.com/')).toMatchObject({ reason: 'unsupported_scheme' });
    expect(normalizeUrl('mailto:someone@example.com')).toMatchObject({ reason: 'unsupported_scheme' });
    expect(normalizeUrl('/just/a/path')).toMatchObject({
      reason: 'invalid_url',
      message: 'Not an absolute URL: "/just/a/path"',
    });
    expect(normalizeUrl('nothing')).toMatchObject({
      reason: 'invalid_url',
      message: 'Not an absolute URL: "nothing"',
    });
  });
});
