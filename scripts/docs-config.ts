/**
 * Writes the configuration table of docs/configuration.md from the option table (src/config/options.ts):
 * `npm run docs:config`. test/readme.test.ts fails while docs/configuration.md differs from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config/index.js';

const tableUrl = new URL('../docs/configuration.md', import.meta.url);
const before = readFileSync(tableUrl, 'utf8');
const after = withConfigTable(before);
if (after === before) {
  console.log('docs/configuration.md: the configuration table is up to date');
} else {
  writeFileSync(tableUrl, after);
  console.log('docs/configuration.md: wrote the configuration table');
}
