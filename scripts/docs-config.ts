/**
 * Writes the README's configuration table from the option table (src/config/options.ts):
 * `npm run docs:config`. test/readme.test.ts fails while the README differs from what this writes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { withConfigTable } from '../src/config/index.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const before = readFileSync(readmeUrl, 'utf8');
const after = withConfigTable(before);
if (after === before) {
  console.log('README.md: the configuration table is up to date');
} else {
  writeFileSync(readmeUrl, after);
  console.log('README.md: wrote the configuration table');
}
