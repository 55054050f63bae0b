import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';
import { runEngine } from '../../src/extract/html/engine/extract-engine.js';
import { parseTree } from '../../src/extract/html/engine/tree.js';

// Hostile HTML ends in a document within time and memory limits: the parser flattens nesting past
// its depth cap, stops at its node budget, and cuts attribute values, so every later pass is
// linear in a bounded tree. Times are CPU time, generous for a shared machine.

function cpuMs<T>(run: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

const run = (html: string) =>
  runEngine(html, { url: 'https://example.com/', wantsMarkdown: true, wantsLinks: true });

describe('the engine on hostile HTML', () => {
  it('flattens 100,000 nested elements under the depth cap and keeps their text', () => {
    const html = `<body>${'<div>'.repeat(100_000)}deep text${'</div>'.repeat(100_000)}<p>after</p></body>`;
    const { result, ms } = cpuMs(() => run(html));
    expect(result.text.text).toContain('deep text');
    expect(result.text.text).toContain('after');
    expect(ms).toBeLessThan(5000);
    const tree = parseTree(html);
    expect(tree.isFlattened).toBe(true);
    expect(tree.elementCount).toBeLessThan(300);
  });

  it('stays linear with 100,000 stray closing tags at depth', () => {
    const html = `${'<span>'.repeat(100_000)}x${'</div>'.repeat(100_000)}`;
    const { result, ms } = cpuMs(() => run(html));
    expect(result.text.text).toBe('x');
    expect(ms).toBeLessThan(5000);
  });

  it('cuts a 10 MB attribute and still extracts the page', () => {
    const html = `<body><div class="${'a'.repeat(10_000_000)}" title="${'b'.repeat(10_000_000)}"><p>${'Words of the page. '.repeat(30)}</p></div></body>`;
    const { result, ms } = cpuMs(() => run(html));
    expect(result.text.text).toContain('Words of the page.');
    expect(ms).toBeLessThan(10_000);
    const tree = parseTree(html);
    const div = tree.body.children[0];
    expect(typeof div !== 'string' && div!.attrs!.class!.length).toBeLessThanOrEqual(4096);
  });

  it('stops at the node budget on millions of nodes and marks the tree truncated', () => {
    const html = `<body>${'<p>word</p>'.repeat(1_500_000)}</body>`;
    const { result, ms } = cpuMs(() => run(html));
    expect(result.isTruncated).toBe(true);
    expect(result.text.text.startsWith('word')).toBe(true);
    expect(ms).toBeLessThan(20_000);
  }, 60_000);

  it('gives a document for broken encodings, stray bytes and unclosed markup', async () => {
    const bytes = Buffer.concat([
      Buffer.from(
        '<html><head><meta charset="utf-8"><title>Broken \xff\xfe</title></head><body><p>Valid text before ',
        'latin1',
      ),
      Buffer.from([0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc, 0x00]),
      Buffer.from(
        ' and after the bad bytes, long enough to be the main content of this page.<div><table><tr><td><![CDATA[ <p>unclosed <b><i>tags <a href="x',
        'latin1',
      ),
    ]);
    const document = await extractDocument({
      url: 'https://example.com/',
      contentType: 'text/html',
      body: bytes,
    });
    expect(document.text).toContain('Valid text before');
    expect(document.text).toContain('and after the bad bytes');
  });

  it('keeps content after a stray <![CDATA[ in the body (browsers end it at the first >)', () => {
    const result = run('<body><![CDATA[ oops ><p>The content after the stray marker is kept.</p></body>');
    expect(result.text.text).toContain('The content after the stray marker is kept.');
  });

  it('caps colspan and rowspan so a table cannot blow up the Markdown', () => {
    const html = `<body><p>${'Text of the page. '.repeat(20)}</p><table><tr><th colspan="100000000">a</th><th>b</th></tr><tr><td rowspan="100000000">c</td><td>d</td></tr></table></body>`;
    const { result, ms } = cpuMs(() => run(html));
    expect(result.markdown!.length).toBeLessThan(2000);
    expect(ms).toBeLessThan(2000);
  });
});

describe('extractDocument on hostile HTML', () => {
  it('never hands a page the engine had to bound to the Readability fallback', async () => {
    const html = `<body>${'<div>'.repeat(100_000)}short${'</div>'.repeat(100_000)}</body>`;
    const start = process.cpuUsage();
    const document = await extractDocument({
      url: 'https://example.com/',
      contentType: 'text/html',
      body: Buffer.from(html),
    });
    const used = process.cpuUsage(start);
    expect(document.text).toBe('short');
    expect(document.extractor).toBe('html-main');
    expect((used.user + used.system) / 1000).toBeLessThan(5000);
  });
});
