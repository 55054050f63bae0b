/**
 * Every regular expression built at run time in src/ must be on this list, with the reason its
 * source cannot come from a user. JavaScript's `RegExp` backtracks: a pattern (or an input) chosen by
 * a user can block the event loop for minutes (`/(a+)+$/`). User patterns go through RE2 instead
 * (`src/crawls/url-pattern.ts`, the `re2js` package), which matches in linear time.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url).pathname;

/** `file: code` of each allowed site → why its source is not user input. */
const ALLOWED: Record<string, string> = {
  "extract/html/prepare.ts: const pattern = new RegExp(`</${name}\\\\s*>`, 'gi');":
    '`name` is one of the fixed tag names of OPENING (script, style, noscript, ...), never page text',
  "extract/nesting-limit.ts: const pattern = new RegExp(TAG.source, 'g');":
    'a fresh copy of the constant TAG pattern, for its own lastIndex',
  "extract/nesting-limit.ts: const close = new RegExp(`</${name}[\\\\s/>]`, 'gi');":
    '`name` is one of the fixed RAW_TEXT_ELEMENTS (script, style, textarea, title, ...), checked just before',
  'fetch/domain-rules.ts: const HOST_PATTERN = new RegExp(`^(\\\\*\\\\.)?${LABEL}(\\\\.${LABEL})*$`);':
    'built once from the constant LABEL; each repetition starts with a literal dot (no ambiguity), and inputs over 253 characters are refused before it runs',
};

/** A `RegExp` built from a value: `new RegExp(`, `RegExp(` or `new RegExp` through a variable. */
const DYNAMIC = /\bRegExp\s*\(/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(?:ts|tsx|js|mjs)$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}

describe('regular expressions built at run time', () => {
  it('are all on the allow list, each with the reason its source is not user input', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (DYNAMIC.test(line)) found.push(`${relative(SRC, file)}: ${line.trim()}`);
      }
    }
    const unlisted = found.filter((site) => !(site in ALLOWED));
    expect(
      unlisted,
      'Build user patterns with RE2 (src/crawls/url-pattern.ts), or add the site to ALLOWED with a reason',
    ).toEqual([]);
    // A site that went away leaves its entry behind: keep the list honest.
    expect(Object.keys(ALLOWED).filter((site) => !found.includes(site))).toEqual([]);
  });
});
