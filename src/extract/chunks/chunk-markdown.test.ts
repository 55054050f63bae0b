import { describe, expect, it } from 'vitest';
import { chunkMarkdown, checkChunkSettings } from './chunk-markdown.js';
import { countTokens } from './count-tokens.js';

const sentence = (n: number): string =>
  `Sentence number ${n} talks about the subject at some length, with a few more words.`;
const paragraph = (from: number, count: number): string =>
  Array.from({ length: count }, (_, i) => sentence(from + i)).join(' ');

describe('chunkMarkdown', () => {
  it('splits at headings and gives each chunk its heading path', () => {
    const markdown = [
      'Intro text.',
      '# Guide',
      'About the guide.',
      '## Install',
      'Run the installer.',
      '## Use',
      'Open it.',
      '# Other',
      'Else.',
    ].join('\n\n');
    const chunks = chunkMarkdown(markdown, { documentId: 'doc1', maxTokens: 512 });
    expect(chunks.map((c) => c.headings)).toEqual([
      [],
      ['Guide'],
      ['Guide', 'Install'],
      ['Guide', 'Use'],
      ['Other'],
    ]);
    expect(chunks[2]!.text).toBe('## Install\n\nRun the installer.');
    expect(chunks.map((c) => c.index)).toEqual([0, 1, 2, 3, 4]);
  });

  it('keeps chunks within the budget, cutting long paragraphs between sentences', () => {
    const markdown = `# Long\n\n${paragraph(0, 60)}\n\n${paragraph(100, 60)}`;
    const chunks = chunkMarkdown(markdown, { documentId: 'd', maxTokens: 128, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(5);
    for (const chunk of chunks) {
      expect(chunk.tokens).toBeLessThanOrEqual(128);
      expect(chunk.tokens).toBe(countTokens(chunk.text));
      // Whole sentences only: every chunk ends at the end of one.
      expect(chunk.text).toMatch(/\.$/);
    }
    // Nothing lost: every sentence is in some chunk.
    for (let i = 0; i < 60; i++) expect(chunks.some((c) => c.text.includes(sentence(100 + i)))).toBe(true);
  });

  it('repeats the end of the previous chunk as overlap, in whole sentences', () => {
    const chunks = chunkMarkdown(paragraph(0, 40), { documentId: 'd', maxTokens: 128, overlapTokens: 40 });
    expect(chunks.length).toBeGreaterThan(2);
    const sentencesOf = (text: string): string[] => text.split(/(?<=\.) /);
    for (let i = 1; i < chunks.length; i++) {
      const previous = sentencesOf(chunks[i - 1]!.text);
      const current = sentencesOf(chunks[i]!.text);
      // The next chunk starts with the previous one's last whole sentences (about 40 tokens: two).
      expect(current.slice(0, 2)).toEqual(previous.slice(-2));
      expect(chunks[i]!.tokens).toBeLessThanOrEqual(128);
    }
    const none = chunkMarkdown(paragraph(0, 40), { documentId: 'd', maxTokens: 128, overlapTokens: 0 });
    expect(none.map((c) => c.text).join(' ')).toBe(paragraph(0, 40));
  });

  it('never cuts inside a code block: a big one is split between lines, each part fenced again', () => {
    const code = Array.from({ length: 120 }, (_, i) => `const value${i} = compute(${i}, "text");`);
    const markdown = `Before.\n\n\`\`\`ts\n${code.join('\n')}\n\`\`\`\n\nAfter.`;
    const chunks = chunkMarkdown(markdown, { documentId: 'd', maxTokens: 200, overlapTokens: 20 });
    const parts = chunks.filter((c) => c.text.includes('```'));
    expect(parts.length).toBeGreaterThan(2);
    const seen: string[] = [];
    for (const part of parts) {
      const fenced = part.text.slice(part.text.indexOf('```ts'));
      expect(fenced).toMatch(/^```ts\n[\s\S]*\n```/);
      for (const line of fenced.split('\n')) if (line.startsWith('const')) seen.push(line);
      expect(part.tokens).toBeLessThanOrEqual(200);
    }
    expect(seen).toEqual(code);
    const small = chunkMarkdown('```\nx = 1\n\ny = 2\n```', { documentId: 'd' });
    expect(small).toHaveLength(1);
    expect(small[0]!.text).toBe('```\nx = 1\n\ny = 2\n```');
  });

  it('never cuts inside a table row and repeats the header row in each part', () => {
    const rows = Array.from({ length: 80 }, (_, i) => `| row ${i} | some value ${i} | another cell ${i} |`);
    const markdown = `| Name | Value | Note |\n| --- | --- | --- |\n${rows.join('\n')}`;
    const chunks = chunkMarkdown(markdown, { documentId: 'd', maxTokens: 150, overlapTokens: 0 });
    expect(chunks.length).toBeGreaterThan(3);
    const seen: string[] = [];
    for (const chunk of chunks) {
      const lines = chunk.text.split('\n');
      expect(lines.slice(0, 2)).toEqual(['| Name | Value | Note |', '| --- | --- | --- |']);
      seen.push(...lines.slice(2));
      expect(chunk.tokens).toBeLessThanOrEqual(150);
    }
    expect(seen).toEqual(rows);
  });

  it('gives stable ids from the document id, the index and the content', () => {
    const markdown = `# A\n\n${paragraph(0, 30)}`;
    const first = chunkMarkdown(markdown, { documentId: 'doc-7', maxTokens: 100, overlapTokens: 10 });
    const again = chunkMarkdown(markdown, { documentId: 'doc-7', maxTokens: 100, overlapTokens: 10 });
    expect(again.map((c) => c.id)).toEqual(first.map((c) => c.id));
    expect(first[0]!.id).toMatch(/^doc-7:0:[0-9a-f]{12}$/);
    const edited = chunkMarkdown(markdown.replace('Sentence number 0', 'Sentence number zero'), {
      documentId: 'doc-7',
      maxTokens: 100,
      overlapTokens: 10,
    });
    expect(edited[0]!.id).not.toBe(first[0]!.id);
    expect(new Set(first.map((c) => c.id)).size).toBe(first.length);
  });

  it('counts text that spells a special token as plain text', () => {
    const chunks = chunkMarkdown('The marker <|endoftext|> appears in this page.', { documentId: 'd' });
    expect(chunks[0]!.tokens).toBeGreaterThan(5);
  });

  it('cuts a sentence longer than the budget at words, and one huge word at characters', () => {
    const words = Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ');
    const huge = 'x'.repeat(5000);
    for (const text of [words, huge]) {
      const chunks = chunkMarkdown(text, { documentId: 'd', maxTokens: 64, overlapTokens: 0 });
      for (const chunk of chunks) expect(chunk.tokens).toBeLessThanOrEqual(64);
      expect(chunks.map((c) => c.text).join(text === huge ? '' : ' ')).toBe(text);
    }
  });

  it('refuses settings out of range', () => {
    expect(() => checkChunkSettings(10, 0)).toThrow(/chunkTokens/);
    expect(() => checkChunkSettings(100_000, 0)).toThrow(/chunkTokens/);
    expect(() => checkChunkSettings(512, 300)).toThrow(/chunkOverlap/);
    expect(() => checkChunkSettings(512, -1)).toThrow(/chunkOverlap/);
    expect(() => checkChunkSettings(512, 256)).not.toThrow();
  });
});
