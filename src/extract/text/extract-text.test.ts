import { describe, expect, it } from 'vitest';
import { extractPlainText, splitFrontMatter } from './extract-text.js';

const formats = new Set(['text', 'markdown', 'links'] as const);

describe('Markdown a site serves', () => {
  it('takes title, description and author from the front matter and keeps the Markdown without it', () => {
    const doc = extractPlainText(
      '---\ntitle: "Getting started"\ndescription: How to begin\nauthor: Ada\ntags:\n  - a\n---\n\n# Intro\n\nSee [docs](https://example.com/docs).\n',
      {
        url: 'https://example.com/start.md',
        formats,
        mimeType: 'text/markdown',
      },
    );
    expect(doc.title).toBe('Getting started');
    expect(doc.description).toBe('How to begin');
    expect(doc.byline).toBe('Ada');
    expect(doc.markdown).toBe('# Intro\n\nSee [docs](https://example.com/docs).');
    expect(doc.links).toEqual(['https://example.com/docs']);
    expect(doc.metadata).toEqual({ source: 'site-markdown' });
    expect(doc.extractor).toBe('markdown');
  });

  it('takes the first heading as the title without front matter', () => {
    const doc = extractPlainText('Some words first\n\n## The heading\n', {
      url: 'https://example.com/',
      formats,
      mimeType: 'text/markdown',
    });
    expect(doc.title).toBe('The heading');
  });

  it('leaves a text that only starts with a rule alone, and plain text unmarked', () => {
    expect(splitFrontMatter('---\n\nno closing rule').frontMatter).toEqual({});
    const text = extractPlainText('---\ntitle: x\n---\nbody', {
      url: 'https://example.com/',
      formats,
      mimeType: 'text/plain',
    });
    expect(text.metadata).toEqual({});
    expect(text.title).toBe('---');
  });
});
