import { describe, expect, it } from 'vitest';
import { parseSearchQuery } from './search-query.js';

const ok = (input: string) => {
  const parsed = parseSearchQuery(input);
  if (!parsed.ok) throw new Error(`${input}: ${parsed.message}`);
  return parsed.query;
};
const reason = (input: string) => {
  const parsed = parseSearchQuery(input);
  return parsed.ok ? 'ok' : parsed.reason;
};

describe('parseSearchQuery', () => {
  it('reads words as AND, quotes as phrases, OR inside a group, - as exclusion and * as prefix', () => {
    expect(ok('quick "brown fox" jumps OR leaps -lazy extract*')).toEqual({
      groups: [
        [{ kind: 'word', text: 'quick' }],
        [{ kind: 'phrase', text: 'brown fox' }],
        [
          { kind: 'word', text: 'jumps' },
          { kind: 'word', text: 'leaps' },
        ],
        [{ kind: 'prefix', text: 'extract' }],
      ],
      excluded: [{ kind: 'word', text: 'lazy' }],
    });
  });

  it('keeps operator characters of the engines as plain text, and drops terms of punctuation alone', () => {
    expect(ok('NEAR(a b) title:x AND ^ +++')).toEqual({
      groups: [
        [{ kind: 'word', text: 'NEAR(a' }],
        [{ kind: 'word', text: 'b)' }],
        [{ kind: 'word', text: 'title:x' }],
        [{ kind: 'word', text: 'AND' }],
      ],
      excluded: [],
    });
  });

  it('refuses what cannot be searched, each with its reason', () => {
    expect(reason('')).toBe('empty');
    expect(reason('  ... ')).toBe('empty');
    expect(reason('"unclosed phrase')).toBe('unbalanced_quote');
    expect(reason('-only -excluded')).toBe('only_excluded');
    expect(reason('OR fox')).toBe('misplaced_or');
    expect(reason('fox OR')).toBe('misplaced_or');
    expect(reason('fox OR OR dog')).toBe('misplaced_or');
    expect(reason('fox OR -dog')).toBe('misplaced_or');
    expect(reason('ex-tract*')).toBe('bad_prefix');
    expect(reason('*')).toBe('bad_prefix');
    expect(reason(Array.from({ length: 33 }, (_, i) => `w${i}`).join(' '))).toBe('too_many_terms');
    expect(reason('x'.repeat(101))).toBe('term_too_long');
    expect(reason('x '.repeat(300))).toBe('query_too_long');
  });
});
