import { describe, expect, it } from 'vitest';
import { SecretBox } from '../lib/secret-box.js';
import {
  domainMatches,
  InvalidRequestSecretError,
  openRequestSecrets,
  parseRequestSecrets,
  pathMatches,
  requestSecretsFor,
  sealRequestSecrets,
} from './request-secrets.js';

describe('parseRequestSecrets', () => {
  it.each([
    'Host',
    'content-length',
    'Connection',
    'Transfer-Encoding',
    'Proxy-Authorization',
    'TE',
    'Upgrade',
    'Keep-Alive',
    'Accept-Encoding',
  ])('refuses the forbidden header %s', (name) => {
    expect(() => parseRequestSecrets({ headers: { [name]: 'x' } })).toThrow(InvalidRequestSecretError);
  });

  it('refuses header injection and bad names, never echoing the value', () => {
    let error: unknown;
    try {
      parseRequestSecrets({ headers: { 'X-Token': 'secret-value\r\nX-Evil: 1' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRequestSecretError);
    expect((error as Error).message).not.toContain('secret-value');
    expect((error as InvalidRequestSecretError).field).toBe('/options/headers/X-Token');
    expect(() => parseRequestSecrets({ headers: { 'Bad Name': 'x' } })).toThrow(/not a valid header name/);
    expect(() => parseRequestSecrets({ headers: { 'X-A': '1', 'x-a': '2' } })).toThrow(/twice/);
  });

  it('normalises cookie domains and defaults the path, refusing bad cookies', () => {
    const { cookies } = parseRequestSecrets({
      cookies: [{ name: 'sid', value: 'abc', domain: '.Example.COM' }],
    });
    expect(cookies).toEqual([{ name: 'sid', value: 'abc', domain: 'example.com', path: '/', secure: false }]);
    expect(() =>
      parseRequestSecrets({ cookies: [{ name: 'sid', value: 'a;b', domain: 'example.com' }] }),
    ).toThrow(/cookie-octet/);
    expect(() =>
      parseRequestSecrets({ cookies: [{ name: 'sid', value: 'a', domain: 'exa mple.com' }] }),
    ).toThrow(/not a host name/);
    expect(() =>
      parseRequestSecrets({ cookies: [{ name: 'sid', value: 'a', domain: 'example.com', path: 'x' }] }),
    ).toThrow(/cookie path/);
  });
});

describe('cookie matching (RFC 6265)', () => {
  it('matches a domain and its subdomains, not look-alikes', () => {
    expect(domainMatches('example.com', 'example.com')).toBe(true);
    expect(domainMatches('www.example.com', 'example.com')).toBe(true);
    expect(domainMatches('badexample.com', 'example.com')).toBe(false);
    expect(domainMatches('example.com.evil.test', 'example.com')).toBe(false);
    expect(domainMatches('127.0.0.1', '0.0.1')).toBe(false);
  });

  it('matches paths at segment boundaries', () => {
    expect(pathMatches('/account/settings', '/account')).toBe(true);
    expect(pathMatches('/account', '/account')).toBe(true);
    expect(pathMatches('/accounting', '/account')).toBe(false);
    expect(pathMatches('/a/b', '/a/')).toBe(true);
  });
});

describe('requestSecretsFor', () => {
  const secrets = parseRequestSecrets({
    headers: { Authorization: 'Bearer t', 'User-Agent': 'mine' },
    cookies: [
      { name: 'sid', value: '1', domain: 'example.com' },
      { name: 'deep', value: '2', domain: 'example.com', path: '/app' },
      { name: 'tls', value: '3', domain: 'example.com', secure: true },
    ],
  });

  it("sends headers only to the job's own host, cookies by domain, path and scheme", () => {
    expect(requestSecretsFor(new URL('http://example.com/app/x'), secrets, 'example.com')).toEqual({
      authorization: 'Bearer t',
      'user-agent': 'mine',
      cookie: 'deep=2; sid=1',
    });
    // A redirect to a subdomain: the cookie's domain covers it, the headers stay behind.
    expect(requestSecretsFor(new URL('https://www.example.com/'), secrets, 'example.com')).toEqual({
      cookie: 'sid=1; tls=3',
    });
    expect(requestSecretsFor(new URL('https://other.test/'), secrets, 'example.com')).toEqual({});
  });
});

describe('sealRequestSecrets', () => {
  it('keeps names readable and values only in the box', () => {
    const box = new SecretBox('c'.repeat(64));
    const sealed = sealRequestSecrets(box, {
      headers: { Authorization: 'Bearer hunter2' },
      cookies: [{ name: 'sid', value: 's3cr3t', domain: 'example.com' }],
    });
    expect(JSON.stringify(sealed)).not.toMatch(/hunter2|s3cr3t/);
    expect(sealed.headerNames).toEqual(['Authorization']);
    expect(sealed.cookies).toEqual([{ name: 'sid', domain: 'example.com', path: '/' }]);
    expect(openRequestSecrets(box, sealed).headers['Authorization']).toBe('Bearer hunter2');
  });
});
