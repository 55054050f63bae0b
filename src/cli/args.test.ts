import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './args.js';

describe('parseCommandLine', () => {
  it('separates positionals, flags with values, and help', () => {
    expect(parseCommandLine(['extract', 'https://a.test/', '-o', 'out', '--max-age=0', '-h'])).toEqual({
      flags: new Map([
        ['-o', 'out'],
        ['--max-age', '0'],
      ]),
      positionals: ['extract', 'https://a.test/'],
      isHelp: true,
    });
  });
});
