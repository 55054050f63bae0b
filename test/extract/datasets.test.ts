import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';

// Real pages are read from the shared evaluation folder at test time and never copied here
// (their licence allows internal evaluation only).
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const datasets = path.resolve(process.env.DISTILL_DATASETS ?? path.resolve(repoRoot, '../shared/datasets'));
const testPages = path.join(datasets, 'readability-test-pages');
const hasDatasets = fs.existsSync(testPages) && fs.existsSync(path.join(datasets, 'dragnet'));

async function extractPage(file: string, url: string) {
  return extractDocument({ url, contentType: 'text/html; charset=utf-8', body: fs.readFileSync(file) });
}

describe.skipIf(!hasDatasets)(`extraction of real pages (needs ${datasets}; skipped when absent)`, () => {
  it('extracts a Wikipedia article with its title, text and links', async () => {
    const document = await extractPage(
      path.join(testPages, 'wikipedia', 'source.html'),
      'http://fakehost/test/page.html',
    );
    const expected = JSON.parse(
      fs.readFileSync(path.join(testPages, 'wikipedia', 'expected-metadata.json'), 'utf8'),
    ) as { title: string };
    expect(document.title).toBe(expected.title);
    expect(document.text).toContain(
      '\n\nMozilla is a free-software community, created in 1998 by members of Netscape.',
    );
    expect(document.links.length).toBeGreaterThan(20);
    expect(document.links.every((link) => /^https?:\/\//.test(link))).toBe(true);
    expect(new Set(document.links).size).toBe(document.links.length);
    expect(document.quality).toMatchObject({ path: 'main', wall: null });
  });

  it('extracts a news article with byline and Markdown headings', async () => {
    const document = await extractPage(
      path.join(testPages, 'nytimes-1', 'source.html'),
      'http://fakehost/test/page.html',
    );
    const expected = JSON.parse(
      fs.readFileSync(path.join(testPages, 'nytimes-1', 'expected-metadata.json'), 'utf8'),
    ) as { title: string };
    expect(document.title).toBe(expected.title);
    expect(document.wordCount).toBeGreaterThan(500);
    expect(document.markdown).toMatch(/\n\n\S/);
  });

  it('keeps a short photo post instead of its comment thread (dragnet R728)', async () => {
    const document = await extractPage(
      path.join(datasets, 'dragnet', 'R728.html'),
      'https://dragnet.example/R728.html',
    );
    expect(document.text).toContain(
      'Leelee Sobieski looks like she’s walked out of the pages of a vintage Vogue magazine',
    );
    expect(document.text).not.toContain('Permalink');
  });
});
