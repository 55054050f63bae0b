import { describe, expect, it } from 'vitest';
import { canonicalRequestTarget, isApiPath } from './canonical-target.js';

describe('canonicalRequestTarget', () => {
  it.each([
    ['/v1/jobs', '/v1/jobs'],
    ['/%76%31/jobs', '/v1/jobs'],
    ['/%56%31/jobs?x=%76', '/V1/jobs?x=%76'],
    ['/v1/jobs/a%2fb', '/v1/jobs/a%2Fb'],
    ['//v1///jobs', '/v1/jobs'],
    ['/x/../v1/jobs', '/v1/jobs'],
    ['/%2e%2e/v1/./jobs/', '/v1/jobs/'],
    ['/v1/jobs/..', '/v1/'],
    ['/../../v1', '/v1'],
    ['http://127.0.0.1:3000/v1/events', '/v1/events'],
    ['HTTPS://example.com', '/'],
    ['http://example.com?x=1', '/?x=1'],
    ['*', '*'],
  ])('spells %s as %s', (target, canonical) => {
    expect(canonicalRequestTarget(target)).toBe(canonical);
  });

  it('keeps the query string as it came, dots and slashes included', () => {
    expect(canonicalRequestTarget('/v1/documents?url=https://a.example//../b%2e')).toBe(
      '/v1/documents?url=https://a.example//../b%2e',
    );
  });
});

describe('isApiPath', () => {
  it('is true for /v1 and below in any letter case, and for nothing else', () => {
    expect(['/v1', '/v1/', '/V1/jobs', '/v1?x', '/v1/jobs/:id'].map(isApiPath)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['/', '/v10/jobs', '/healthz', '/docs/v1/', '/v1jobs'].map(isApiPath)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
