import { describe, expect, it } from 'vitest';
import { parseUrls } from './parse-urls.js';

describe('parseUrls', () => {
  it('takes a line that is one URL whole, commas and brackets included', () => {
    const text =
      'https://example.com/a,b\nhttps://en.wikipedia.org/wiki/Fish_(food)\n\nhttps://example.com/a,b';
    expect(parseUrls(text)).toEqual({
      urls: ['https://example.com/a,b', 'https://en.wikipedia.org/wiki/Fish_(food)'],
      duplicates: 1,
      ignoredLines: 0,
    });
  });

  it('finds http(s) links inside prose and trims the punctuation around them', () => {
    const text =
      'Read (https://example.com/x). Also see https://example.org/y, then ftp://nope and mailto:a@b.c\njust a note';
    expect(parseUrls(text)).toEqual({
      urls: ['https://example.com/x', 'https://example.org/y'],
      duplicates: 0,
      ignoredLines: 1,
    });
  });

  it('reads the first CSV column, quoted or not, and other URL columns', () => {
    const csv =
      'url,title\n"https://example.com/q?a=1,2",First\nhttps://example.com/b;Second;https://example.com/c\n';
    expect(parseUrls(csv, { isCsv: true })).toEqual({
      urls: ['https://example.com/q?a=1,2', 'https://example.com/b', 'https://example.com/c'],
      duplicates: 0,
      ignoredLines: 1,
    });
  });
});
