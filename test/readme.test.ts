import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES } from '../src/api/index.js';
import { flagOf, OPTIONS } from '../src/config.js';
import { ITEM_ERROR_CODES } from '../src/worker/error-codes.js';

// The README is the user's door: these keep its tables in step with the code.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration option with its variable and flag', () => {
    for (const option of OPTIONS) {
      expect(readme, option.env).toContain(`| \`${option.env}\` | \`${flagOf(option)}\` |`);
    }
  });

  it('documents every error code a failed item can carry', () => {
    for (const code of ITEM_ERROR_CODES) expect(readme, code).toMatch(new RegExp(`\\| \`${code}\` \\|`));
  });

  it('documents every API problem code', () => {
    for (const code of API_ERROR_CODES) expect(readme, code).toContain(`\`${code}\``);
  });
});
