import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

// Each construct on a page written here: an article long enough to be taken as content, with the
// construct in the middle.
const FILLER =
  '<p>This paragraph of filler text is here so that the page has enough words to be taken as the main content of an article page.</p>'.repeat(
    3,
  );

async function extractBody(body: string): Promise<ExtractedDocument> {
  const html = `<html><head><title>T</title></head><body><nav><a href="/">Home</a></nav><article><h1>Title of the page</h1>${FILLER}${body}${FILLER}</article></body></html>`;
  return extractDocument({
    url: 'https://example.com/2024/05/a-page-about-things',
    contentType: 'text/html; charset=utf-8',
    body: Buffer.from(html, 'utf8'),
  });
}

describe('Markdown of the engine', () => {
  it('keeps heading levels and drops permalinks and edit links, keeping the heading text', async () => {
    const { markdown, text } = await extractBody(
      '<h2>Second <a class="headerlink" href="#x">¶</a></h2><h3>Third<span class="mw-editsection">[<a href="/e">edit</a>]</span></h3><h4><a href="#y" class="anchor">#</a>Fourth</h4>',
    );
    expect(markdown).toContain('# Title of the page\n\n');
    expect(markdown).toContain('\n## Second\n\n### Third\n\n#### Fourth\n');
    expect(text).toContain('\n\nSecond\n\nThird\n\nFourth\n\n');
    expect(markdown).not.toMatch(/¶|edit|\]\(#/);
  });

  it('nests lists and keeps the start of an ordered list', async () => {
    const { markdown } = await extractBody(
      '<ul><li>one<ul><li>nested a</li><li>nested b<ol><li>deep</li></ol></li></ul></li><li>two</li></ul><ol start="3"><li>three</li><li>four</li></ol>',
    );
    expect(markdown).toContain('- one\n  - nested a\n  - nested b\n    1. deep\n- two');
    expect(markdown).toContain('3. three\n4. four');
  });

  it('writes GFM tables with the header row, colspan and rowspan on a grid, and escaped pipes', async () => {
    const { markdown, text } = await extractBody(
      '<table><thead><tr><th>A</th><th colspan="2">B and C</th></tr></thead><tbody><tr><td rowspan="2">r1</td><td>x</td><td>y</td></tr><tr><td>z</td><td>w|v</td></tr></tbody></table>',
    );
    expect(markdown).toContain('| A | B and C |  |\n| --- | --- | --- |\n| r1 | x | y |\n|  | z | w\\|v |');
    expect(text).toContain('A B and C\n\nr1 x y\nz w|v');
  });

  it('fences code with its language, keeps <br> lines in <pre>, and keeps highlighter "comment" spans', async () => {
    const { markdown, text } = await extractBody(
      '<pre><code class="language-python">def f():<br>    return 1 &lt; 2</code></pre><pre class="hljs"><span class="hljs-comment"># a comment</span>\n<span class="token comment">// another</span></pre>',
    );
    expect(markdown).toContain('```python\ndef f():\n    return 1 < 2\n```');
    expect(markdown).toContain('```\n# a comment\n// another\n```');
    expect(text).toContain('def f():\n    return 1 < 2');
    expect(text).toContain('# a comment\n// another');
  });

  it('quotes blockquotes paragraph by paragraph', async () => {
    const { markdown } = await extractBody(
      '<blockquote><p>Quoted words here.</p><p>Second quoted paragraph.</p></blockquote>',
    );
    expect(markdown).toContain('> Quoted words here.\n>\n> Second quoted paragraph.');
  });

  it('writes images with alt text and absolute URLs, and figure captions', async () => {
    const { markdown, text } = await extractBody(
      '<figure><img src="/img/a (1).png" alt="A [cat] picture"><figcaption>The caption of the cat</figcaption></figure>',
    );
    expect(markdown).toContain(
      '![A \\[cat\\] picture](https://example.com/img/a%20%281%29.png)\n\n_The caption of the cat_',
    );
    expect(text).toContain('The caption of the cat');
  });

  it('escapes text so page text never becomes HTML or Markdown syntax, and passes no raw HTML', async () => {
    const { markdown, text } = await extractBody(
      '<p>&lt;img src=x onerror=alert(1)&gt; and *stars* and _under_ and [brackets](x) and `tick` &amp; more</p><p># looks like heading</p><p>1. not a list</p><p><b>bold</b> raw <script>alert(1)</script><span>&lt;b&gt;</span><iframe src="https://evil.example/"></iframe></p>',
    );
    expect(markdown).toContain(
      '&lt;img src=x onerror=alert(1)&gt; and \\*stars\\* and \\_under\\_ and \\[brackets\\](x) and \\`tick\\` &amp; more',
    );
    expect(markdown).toContain('\n\\# looks like heading\n');
    expect(markdown).toContain('\n\\1. not a list\n');
    expect(markdown).toContain('**bold** raw &lt;b&gt;');
    expect(markdown).not.toMatch(/<(?!\/?[a-z]*:)/i);
    expect(markdown).not.toContain('alert(1)</');
    expect(text).toContain('<img src=x onerror=alert(1)> and *stars*');
  });

  it('links, keeping the space between adjacent links only where the source had one', async () => {
    const { markdown, text, links } = await extractBody(
      '<p><a href="/a">first</a> <a href="/b">second</a><a href="/c">third</a> and <a href="javascript:alert(1)">js</a></p>',
    );
    expect(markdown).toContain(
      '[first](https://example.com/a) [second](https://example.com/b)[third](https://example.com/c) and js',
    );
    expect(text).toContain('first secondthird and js');
    expect(links).toEqual(['https://example.com/a', 'https://example.com/b', 'https://example.com/c']);
  });

  it('keeps definition list terms', async () => {
    const { markdown, text } = await extractBody(
      '<dl><dt>Term one</dt><dd>Definition one</dd><dt>Term two</dt><dd>Definition two</dd></dl>',
    );
    expect(markdown).toContain('**Term one**\n\nDefinition one\n\n**Term two**\n\nDefinition two');
    expect(text).toContain('Term one\nDefinition one\nTerm two\nDefinition two');
  });

  it('fills byline and publishedTime from itemprop author and <time itemprop="datePublished">', async () => {
    const document = await extractBody(
      '<p>By <span itemprop="author">Ada Lovelace</span> on <time itemprop="datePublished" datetime="2024-03-01T10:00:00Z">1 March</time></p>',
    );
    expect(document.byline).toBe('Ada Lovelace');
    expect(document.publishedTime).toBe('2024-03-01T10:00:00.000Z');
  });

  it('writes text and Markdown from the same blocks', async () => {
    const { markdown, text } = await extractBody(
      '<p>Unique sentence number one.</p><aside class="related"><a href="/x">Related story</a></aside>',
    );
    expect(text).toContain('Unique sentence number one.');
    expect(markdown).toContain('Unique sentence number one.');
    expect(text).not.toContain('Related story');
    expect(markdown).not.toContain('Related story');
  });
});
