import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES } from '../src/api/index.js';
import { flagOf, OPTIONS, withConfigTable } from '../src/config/index.js';
import { ITEM_ERROR_CODES } from '../src/worker/error-codes.js';

// The README is the user's door: these keep its tables in step with the code.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it('documents every configuration option with its variable and flag', () => {
    for (const option of OPTIONS) {
      expect(readme, option.env).toContain(`| \`${option.env}\` | \`${flagOf(option)}\` |`);
    }
  });

  it('has the configuration table the option table generates (`npm run docs:config` writes it)', () => {
    expect(readme).toBe(withConfigTable(readme));
  });

  it('documents every error code a failed item can carry', () => {
    for (const code of ITEM_ERROR_CODES) expect(readme, code).toMatch(new RegExp(`\\| \`${code}\` \\|`));
  });

  it('documents every API problem code', () => {
    for (const code of API_ERROR_CODES) expect(readme, code).toContain(`\`${code}\``);
  });
});
