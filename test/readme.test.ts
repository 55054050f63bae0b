import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_ERROR_CODES } from '../src/api/index.js';
import { flagOf, OPTIONS, withConfigTable } from '../src/config/index.js';
import { ITEM_ERROR_CODES } from '../src/worker/error-codes.js';

// The README is the user's door and docs/ the house: these keep their tables in step with the code.
const doc = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');
const configuration = doc('docs/configuration.md');
const errors = doc('docs/errors.md');

describe('docs', () => {
  it('documents every configuration option with its variable and flag', () => {
    for (const option of OPTIONS) {
      expect(configuration, option.env).toContain(`| \`${option.env}\` | \`${flagOf(option)}\` |`);
    }
  });

  it('has the configuration table the option table generates (`npm run docs:config` writes it)', () => {
    expect(configuration).toBe(withConfigTable(configuration));
  });

  it('documents every error code a failed item can carry', () => {
    for (const code of ITEM_ERROR_CODES) expect(errors, code).toMatch(new RegExp(`\\| \`${code}\` \\|`));
  });

  it('documents every API problem code', () => {
    for (const code of API_ERROR_CODES) expect(errors, code).toContain(`\`${code}\``);
  });

  it('links only to files and headings that exist', () => {
    const anchor = (heading: string) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replaceAll(' ', '-');
    const pages = [
      'README.md',
      ...[
        'configuration',
        'api',
        'errors',
        'events',
        'features',
        'operations',
        'security',
        'architecture',
        'performance',
        'development',
      ].map((name) => `docs/${name}.md`),
    ];
    for (const page of pages) {
      const dir = page.includes('/') ? 'docs/' : '';
      for (const [, target] of doc(page).matchAll(/\]\(((?!https?:)[^)\s]+)\)/g)) {
        const [file = '', hash] = target!.split('#');
        const path = file === '' ? page : new URL(file, `file:///${dir}`).pathname.slice(1);
        const text = doc(path);
        if (hash !== undefined) {
          const anchors = [...text.matchAll(/^#{1,4} (.*)$/gm)].map((m) => anchor(m[1]!));
          expect(anchors, `${page} → ${target}`).toContain(hash);
        }
      }
    }
  });
});
