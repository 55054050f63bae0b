import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';
import { limitNesting } from '../../src/extract/nesting-limit.js';

const nested = (depth: number, tag = 'div'): string =>
  `<html><body>${`<${tag}>`.repeat(depth)}<p>The deepest paragraph holds the text of this page, several words long.</p>${`</${tag}>`.repeat(depth)}</body></html>`;

const cpuMs = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

describe('limitNesting', () => {
  it('drops the tags of elements nested past the cap and keeps their text', () => {
    const { html, droppedTags } = limitNesting(`${'<div>'.repeat(5)}deep${'</div>'.repeat(5)}`, {
      maxDepth: 2,
    });
    expect(html).toBe('<div><div>deep</div></div>');
    expect(droppedTags).toBe(6);
  });

  it('returns a page within the limits unchanged', () => {
    const page = '<ul><li>one<li>two<li>three</ul><div><p>a<p>b<br>c</div><img src=x alt="a > b">';
    expect(limitNesting(page, { maxDepth: 3 })).toEqual({ html: page, droppedTags: 0 });
  });

  it('counts depth as the parser builds it: implied ends, void and raw-text elements, stray end tags', () => {
    // 300 unclosed <li> and <p> are siblings, not 300 levels; </span> without a <span> closes nothing.
    const page = `<ul>${'<li>item'.repeat(300)}</ul>${'<p>para'.repeat(300)}${'</span>'.repeat(50)}${'<br><img src=x>'.repeat(300)}<title><div><div><div></title>`;
    expect(limitNesting(page, { maxDepth: 3 }).droppedTags).toBe(0);
  });

  it('reads `>` and `<` inside quoted attribute values as part of the tag', () => {
    const page = `<div title="a > <div> b"><div data-x='<div>'>text</div></div>`;
    expect(limitNesting(page, { maxDepth: 2 }).droppedTags).toBe(0);
  });

  it('drops the tags after the element budget, keeping their text', () => {
    expect(limitNesting('<b>one</b> <i>two</i> <u>three</u> <br>four', { maxElements: 2 }).html).toBe(
      '<b>one</b> <i>two</i> three four',
    );
  });

  it('keeps a deep page linear: one pass and the same output size', () => {
    const source = `${'<div class="x">'.repeat(100_000)}end${'</div>'.repeat(100_000)}`;
    const { html } = limitNesting(source);
    expect(html.match(/<div/g)).toHaveLength(128);
    expect(html).toContain('end');
  });

  it('refuses limits that are not positive integers', () => {
    expect(() => limitNesting('', { maxDepth: 0 })).toThrow(TypeError);
  });
});

describe('extraction of deeply nested pages', () => {
  // Before the cap, 1,000 nested divs cost 4.8-12 s of CPU and 2,000 over 30 s (cubic, in
  // Readability); now each of these takes well under a second. The bound is generous on purpose.
  for (const depth of [1000, 5000, 100_000]) {
    it(`extracts ${depth.toLocaleString('en')} nested elements cheaply`, { timeout: 60_000 }, async () => {
      const started = process.cpuUsage();
      const document = await extractDocument({
        url: 'https://example.com/deep',
        contentType: 'text/html',
        body: Buffer.from(nested(depth)),
      });
      expect(document.text).toContain('The deepest paragraph holds the text of this page');
      expect(document.markdown).toContain('The deepest paragraph');
      expect(cpuMs(started)).toBeLessThan(10_000);
    });
  }

  it('caps every kind of element, not only divs', { timeout: 60_000 }, async () => {
    const document = await extractDocument({
      url: 'https://example.com/deep',
      contentType: 'text/html',
      body: Buffer.from(nested(20_000, 'blockquote')),
    });
    expect(document.text).toContain('The deepest paragraph');
  });
});
