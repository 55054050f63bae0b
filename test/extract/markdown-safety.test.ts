import { parseHTML } from 'linkedom';
import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';

/** The HTML a Markdown renderer (marked: CommonMark + GFM, raw HTML passed through) makes. */
const render = (markdown: string): string => marked.parse(markdown, { async: false });

const filler =
  '<p>This paragraph gives the article enough ordinary words, in full sentences, to be read as its main content.</p>'.repeat(
    4,
  );
const page = (content: string): string =>
  `<html><head><title>Escaping</title></head><body><article><h1>Escaping</h1>${filler}${content}</article></body></html>`;

async function markdownOf(body: string, contentType = 'text/html; charset=utf-8'): Promise<string> {
  const document = await extractDocument({
    url: 'https://example.com/post',
    contentType,
    body: Buffer.from(body),
    formats: ['markdown'],
  });
  return document.markdown ?? '';
}

/**
 * Fails when the rendered Markdown holds an element that came from the page's text: any script,
 * iframe or svg, any event-handler attribute, any image but the page's own (absolute) images.
 */
function expectNoInjectedHtml(markdown: string): void {
  const { document } = parseHTML(`<!DOCTYPE html><html><body>${render(markdown)}</body></html>`);
  const elements = [...document.body.querySelectorAll('*')];
  for (const element of elements) {
    expect(['SCRIPT', 'IFRAME', 'SVG', 'OBJECT'], markdown).not.toContain(element.tagName);
    for (const attribute of element.getAttributeNames()) expect(attribute, markdown).not.toMatch(/^on/i);
    if (element.tagName === 'IMG')
      expect(element.getAttribute('src'), markdown).toMatch(/^https:\/\/example\.com\//);
  }
}

describe('Markdown output carries no HTML from the page', () => {
  it('escapes markup written as text in a paragraph', async () => {
    const markdown = await markdownOf(
      page(
        '<p>Try &lt;img src=x onerror=alert(1)&gt; and &lt;script&gt;alert(2)&lt;/script&gt; in a comment.</p>',
      ),
    );
    expectNoInjectedHtml(markdown);
    expect(markdown).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // What a reader sees is the page's text.
    expect(render(markdown)).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('keeps `</pre><script>` inside a code block', async () => {
    const markdown = await markdownOf(
      page('<pre><code>```\n&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;\n````</code></pre>'),
    );
    expectNoInjectedHtml(markdown);
    expect(render(markdown)).toContain('&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('keeps inline code with backtick runs from breaking out', async () => {
    const markdown = await markdownOf(
      page('<p>Run <code>`` &lt;img src=x onerror=alert(1)&gt; ``</code> now.</p>'),
    );
    expectNoInjectedHtml(markdown);
  });

  it('keeps a hostile link title and image alt inside their syntax', async () => {
    const markdown = await markdownOf(
      page(
        '<p><a href="/x" title="&lt;img src=x onerror=alert(1)&gt; \\">the link</a> and <img src="/i.png" alt="&lt;img src=x onerror=alert(2)&gt;"> here.</p>',
      ),
    );
    expectNoInjectedHtml(markdown);
    expect(render(markdown)).toContain('>the link</a>');
  });

  it('escapes markup in plain text turned into Markdown', async () => {
    const markdown = await markdownOf(
      'Notes\n\n<img src=x onerror=alert(1)>\n\n</pre><script>alert(2)</script>\n',
      'text/plain; charset=utf-8',
    );
    expectNoInjectedHtml(markdown);
    expect(markdown).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });
});
