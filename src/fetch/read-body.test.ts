import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DecodingError, TooLargeError } from './errors.js';
import { parseContentEncoding, readBody } from './read-body.js';

function chunks(...parts: Buffer[]): Readable {
  return Readable.from(parts);
}

describe('parseContentEncoding', () => {
  it('lists codings in applied order, ignoring identity and case', () => {
    expect(parseContentEncoding(undefined, 'u')).toEqual([]);
    expect(parseContentEncoding('identity', 'u')).toEqual([]);
    expect(parseContentEncoding('GZIP, br', 'u')).toEqual(['gzip', 'br']);
  });

  it('refuses unknown and over-stacked codings', () => {
    expect(() => parseContentEncoding('zstd', 'u')).toThrow(DecodingError);
    expect(() => parseContentEncoding('gzip, gzip, gzip, gzip', 'u')).toThrow(/stacks 4 codings/);
  });
});

describe('readBody', () => {
  it('decodes stacked codings in reverse order', async () => {
    const body = zlib.brotliCompressSync(zlib.gzipSync('twice'));
    const result = await readBody(chunks(body), {
      url: 'u',
      contentEncoding: 'gzip, br',
      maxBytes: 100,
      onLimit: 'fail',
    });
    expect(Buffer.from(result.body).toString()).toBe('twice');
  });

  it('accepts a body of exactly the limit and refuses one byte more', async () => {
    const exact = await readBody(chunks(Buffer.alloc(10)), {
      url: 'u',
      contentEncoding: undefined,
      maxBytes: 10,
      onLimit: 'fail',
    });
    expect(exact.body.byteLength).toBe(10);
    await expect(
      readBody(chunks(Buffer.alloc(6), Buffer.alloc(5)), {
        url: 'u',
        contentEncoding: undefined,
        maxBytes: 10,
        onLimit: 'fail',
      }),
    ).rejects.toBeInstanceOf(TooLargeError);
  });

  it('truncates at the limit when asked to', async () => {
    const result = await readBody(chunks(Buffer.alloc(6, 1), Buffer.alloc(6, 2)), {
      url: 'u',
      contentEncoding: undefined,
      maxBytes: 10,
      onLimit: 'truncate',
    });
    expect(result.isTruncated).toBe(true);
    expect(Buffer.from(result.body)).toEqual(Buffer.concat([Buffer.alloc(6, 1), Buffer.alloc(4, 2)]));
  });

  it('passes an upstream failure through unchanged', async () => {
    const failure = new Error('socket closed');
    const body = new Readable({ read() {} });
    body.push(zlib.gzipSync('x'.repeat(1000)).subarray(0, 20));
    setTimeout(() => body.destroy(failure), 10);
    await expect(
      readBody(body, { url: 'u', contentEncoding: 'gzip', maxBytes: 10_000, onLimit: 'fail' }),
    ).rejects.toBe(failure);
  });

  it('stops reading an undecoded body when aborted, and destroys it; a failure of such a body passes through', async () => {
    const controller = new AbortController();
    const body = new Readable({ read() {} });
    body.push(Buffer.alloc(100, 1));
    const reading = readBody(body, {
      url: 'u',
      contentEncoding: undefined,
      maxBytes: 10_000,
      onLimit: 'fail',
      signal: controller.signal,
    });
    const reason = new Error('cancelled');
    setImmediate(() => controller.abort(reason));
    await expect(reading).rejects.toBe(reason);
    expect(body.destroyed).toBe(true);

    const failing = new Readable({ read() {} });
    const failure = new Error('socket closed');
    setImmediate(() => failing.destroy(failure));
    await expect(
      readBody(failing, { url: 'u', contentEncoding: undefined, maxBytes: 10, onLimit: 'fail' }),
    ).rejects.toBe(failure);
  });
});
