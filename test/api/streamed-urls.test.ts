import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StreamedUrls } from '../../src/api/streamed-urls.js';

async function collect(
  chunks: Array<string | Buffer>,
  options: Partial<ConstructorParameters<typeof StreamedUrls>[1]> = {},
) {
  const stream = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
  const urls = new StreamedUrls(stream, { format: 'text', maxLineBytes: 64, maxUrls: 1000, ...options });
  const entries: string[] = [];
  for await (const entry of urls) entries.push(entry);
  return { entries, urls };
}

describe('StreamedUrls', () => {
  it('splits lines across chunk boundaries, multi-byte characters included, and skips blanks and comments', async () => {
    const text = '\uFEFFhttps://a.test/é\r\n\n# note\nhttps://b.test/ü\nhttps://c.test/';
    const bytes = Buffer.from(text);
    const chunks = Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1));
    const { entries } = await collect(chunks);
    expect(entries).toEqual(['https://a.test/é', 'https://b.test/ü', 'https://c.test/']);
  });

  it('turns a line longer than the limit into a refused entry without buffering it, across chunks', async () => {
    const long = 'x'.repeat(50);
    const { entries, urls } = await collect(['https://a.test/\nhttps://', long, long, '\nhttps://b.test/']);
    expect(entries).toEqual(['https://a.test/', '', 'https://b.test/']);
    const merged = urls.mergeInvalid([
      { index: 1, input: '', reason: 'invalid_url', message: 'The URL is empty' },
    ]);
    expect(merged).toEqual([
      {
        index: 1,
        input: `https://${long}${long}`.slice(0, 200),
        reason: 'url_too_long',
        message: 'The line is longer than 64 bytes',
      },
    ]);
  });

  it('stops taking URLs past maxUrls and says so', async () => {
    const { entries, urls } = await collect(['1\n2\n3\n4\n'], { maxUrls: 2 });
    expect(entries).toEqual(['1', '2']);
    expect(urls.truncated).toBe(true);
  });

  it('drains the rest of the body when the reader stops early, instead of destroying it', async () => {
    const stream = Readable.from([
      Buffer.from('https://a.test/\nhttps://b.test/\n'),
      Buffer.from('https://c.test/\n'),
    ]);
    const urls = new StreamedUrls(stream, { format: 'ndjson', maxLineBytes: 64, maxUrls: 10 });
    for await (const entry of urls) {
      expect(entry).toBe('');
      break;
    }
    await new Promise((resolve) => stream.once('end', resolve));
    expect(stream.destroyed || stream.readableEnded).toBe(true);
  });
});
