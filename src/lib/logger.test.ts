import { describe, expect, it } from 'vitest';
import { chooseLogFormat, LOG_SERIALIZERS, redactUrl } from './logger.js';

describe('chooseLogFormat', () => {
  it.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['json', false, 'json'],
    ['pretty', true, 'pretty'],
    ['pretty', false, 'pretty'],
  ] as const)('%s with a terminal=%s writes %s', (format, isTty, expected) => {
    expect(chooseLogFormat(format, isTty)).toBe(expected);
  });
});

describe('redactUrl', () => {
  it('hides user information and credential-like query values, and keeps the rest', () => {
    expect(redactUrl('https://user:pa55@example.com/a?b=1')).toBe('https://[redacted]@example.com/a?b=1');
    expect(redactUrl('/v1/jobs/1/events?api_key=k1&after=3&token=t2')).toBe(
      '/v1/jobs/1/events?api_key=[redacted]&after=3&token=[redacted]',
    );
    expect(redactUrl('https://cdn.example/f.pdf?X-Amz-Signature=abc&x=1#top')).toBe(
      'https://cdn.example/f.pdf?X-Amz-Signature=[redacted]&x=1#top',
    );
    expect(redactUrl('https://example.com/path/with@sign')).toBe('https://example.com/path/with@sign');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('leaves the request serializer without headers', () => {
    const logged = LOG_SERIALIZERS.req({
      method: 'GET',
      url: '/v1/jobs?key=abc',
      host: 'h',
      ip: '127.0.0.1',
      headers: { authorization: 'Bearer x' },
      socket: { remotePort: 5 },
    });
    expect(logged).toEqual({
      method: 'GET',
      url: '/v1/jobs?key=[redacted]',
      version: undefined,
      host: 'h',
      remoteAddress: '127.0.0.1',
      remotePort: 5,
    });
  });
});
