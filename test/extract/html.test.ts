import { describe, expect, it } from 'vitest';
import { type DocumentFormat, extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

const URL_ = 'https://news.example.com/2024/05/story.html';

async function extract(html: string, formats?: DocumentFormat[]): Promise<ExtractedDocument> {
  return extractDocument({
    url: URL_,
    contentType: 'text/html; charset=utf-8',
    body: Buffer.from(html, 'utf8'),
    formats,
  });
}

const paragraph = (n: number): string =>
  `<p>Paragraph ${n} of the story explains, in several full sentences, what happened in the town council meeting on Tuesday evening, who spoke, and why the vote on the new bridge matters to residents.</p>`;

const ARTICLE = `<!DOCTYPE html>
<html lang="en-GB">
<head>
  <title>Council approves the bridge | Example News</title>
  <meta name="description" content="The council voted for the new bridge.">
  <meta property="og:site_name" content="Example News">
  <meta name="author" content="Jane Reporter">
  <link rel="canonical" href="/2024/05/bridge">
  <script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Council approves the bridge","datePublished":"2024-05-02T10:00:00+02:00"}</script>
  <style>p { color: red }</style>
</head>
<body>
  <nav><a href="/">Home</a> <a href="/world">World</a> <a href="/sport">Sport</a></nav>
  <article>
    <h1>Council approves the bridge</h1>
    ${paragraph(1)}
    <h2>What the vote means</h2>
    ${paragraph(2)}
    <p>Read the <a href="/docs/minutes.pdf">minutes</a> and the <a href="https://other.example.org/report#page2">independent report</a>, or the <a href="/docs/minutes.pdf">minutes again</a>.</p>
    <ul><li>First point about costs</li><li>Second point about timing</li></ul>
    <ol><li>Step one</li><li>Step two</li></ol>
    <pre><code class="language-js">const bridge = build();
console.log(bridge);</code></pre>
    <table>
      <tr><th>Option</th><th>Cost</th></tr>
      <tr><td>Bridge</td><td>10 | 12 M</td></tr>
      <tr><td>Tunnel</td><td>30 M</td></tr>
    </table>
    ${paragraph(3)}
    ${paragraph(4)}
  </article>
  <div id="comments"><div class="comment-body"><p>Great article! I have been saying this for years and years and years, the bridge is long overdue and everyone here knows it.</p></div></div>
  <footer>© Example News</footer>
  <script>document.write('tracking')</script>
</body>
</html>`;

describe('extractDocument on HTML', () => {
  it('reads title and metadata from meta tags and JSON-LD', async () => {
    const document = await extract(ARTICLE);
    expect(document).toMatchObject({
      title: 'Council approves the bridge',
      byline: 'Jane Reporter',
      description: 'The council voted for the new bridge.',
      siteName: 'Example News',
      lang: 'en-GB',
      publishedTime: '2024-05-02T08:00:00.000Z',
      canonicalUrl: 'https://news.example.com/2024/05/bridge',
      mimeType: 'text/html',
      extractor: 'html-main',
    });
    expect(document.quality).toMatchObject({ path: 'main', wall: null });
  });

  it('keeps the article text in paragraphs and drops navigation, comments and scripts', async () => {
    const { text, wordCount } = await extract(ARTICLE);
    expect(text).toContain('Paragraph 1 of the story');
    expect(text).toMatch(
      /town council meeting on Tuesday evening, who spoke, and why the vote on the new bridge matters to residents\.\n\nWhat the vote means\n\nParagraph 2/,
    );
    expect(text).not.toContain('Great article');
    expect(text).not.toContain('tracking');
    expect(text).not.toContain('World');
    expect(wordCount).toBeGreaterThan(100);
  });

  it('writes Markdown with headings, lists, code blocks and tables', async () => {
    const { markdown } = await extract(ARTICLE);
    expect(markdown).toContain('## What the vote means');
    expect(markdown).toContain('- First point about costs\n- Second point about timing');
    expect(markdown).toContain('1. Step one\n2. Step two');
    expect(markdown).toContain('```js\nconst bridge = build();\nconsole.log(bridge);\n```');
    expect(markdown).toContain(
      '| Option | Cost |\n| --- | --- |\n| Bridge | 10 \\| 12 M |\n| Tunnel | 30 M |',
    );
    expect(markdown).toContain('[minutes](https://news.example.com/docs/minutes.pdf)');
  });

  it('returns absolute, unique links from the main content only', async () => {
    const { links } = await extract(ARTICLE);
    expect(links).toEqual(['https://news.example.com/docs/minutes.pdf', 'https://other.example.org/report']);
  });

  it('skips the outputs that were not asked for', async () => {
    const document = await extract(ARTICLE, ['text']);
    expect(document.markdown).toBeNull();
    expect(document.html).toBeNull();
    expect(document.links).toEqual([]);
    expect(document.text).toContain('Paragraph 1');
    const withHtml = await extract(ARTICLE, ['html']);
    expect(withHtml.text).toBe('');
    expect(withHtml.html).toContain('href="https://news.example.com/docs/minutes.pdf"');
  });

  it('extracts a page that has no <body> tag', async () => {
    const html = `<html><head><title>No body here</title></head>
      <div class="main">${paragraph(1)}${paragraph(2)}${paragraph(3)}${paragraph(4)}</div></html>`;
    const document = await extract(html);
    expect(document.title).toBe('No body here');
    expect(document.text).toContain('Paragraph 4 of the story');
  });

  it('falls back to heuristics on an empty page', async () => {
    const document = await extract('<html><head><title>Empty</title></head><body></body></html>');
    expect(document).toMatchObject({ extractor: 'html-fallback', text: '', wordCount: 0, title: 'Empty' });
    expect(document.quality.path).toBe('fallback');
  });

  it('keeps the few words of a very short page', async () => {
    const document = await extract('<html><body><div><span>Closed on Monday.</span></div></body></html>');
    expect(document.text).toBe('Closed on Monday.');
    expect(document.wordCount).toBe(3);
  });

  it('flags a login wall and a cookie wall', async () => {
    const login =
      await extract(`<html><head><title>Sign in</title></head><body><form><h1>Sign in to continue</h1>
      <p>Please log in to your account to read this page. Forgot your password?</p></form></body></html>`);
    expect(login.quality.wall).toBe('login');
    const cookie = await extract(`<html><head><title>Before you continue</title></head><body><div>
      <p>We use cookies and data to deliver and maintain our services. If you choose to Accept all, we will also use cookies to personalise ads.</p>
      <button>Accept all</button></div></body></html>`);
    expect(cookie.quality.wall).toBe('cookie');
    const article = await extract(ARTICLE);
    expect(article.quality.wall).toBeNull();
  });

  it('flags an error page', async () => {
    const document = await extract(
      '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>',
    );
    expect(document.quality.wall).toBe('error');
  });
});
