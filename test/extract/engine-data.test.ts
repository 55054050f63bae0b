import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';
import { readScriptData } from '../../src/extract/html/engine/script-data.js';
import { parseTree } from '../../src/extract/html/engine/tree.js';

// Pages whose content exists only in their JavaScript data (a shell the browser fills in) or in
// JSON-LD: the engine builds its blocks from that data when the HTML shows little of it.

async function extract(html: string, url = 'https://app.example.com/posts/1'): Promise<ExtractedDocument> {
  return extractDocument({
    url,
    contentType: 'text/html; charset=utf-8',
    body: Buffer.from(html, 'utf8'),
    formats: ['text', 'markdown'],
  });
}

function cpuMs<T>(run: () => T): { result: T; ms: number } {
  const start = process.cpuUsage();
  const result = run();
  const used = process.cpuUsage(start);
  return { result, ms: (used.user + used.system) / 1000 };
}

const PARAGRAPHS: [string, string, string] = [
  'The harbour wall was rebuilt in granite after the storm of 1872, and the lifeboat station moved to the north quay.',
  'Fishing boats still land crab and lobster there every morning, and the auction starts at seven in the shed by the slipway.',
  'In summer the ferry to the islands leaves twice a day; in winter it runs on Saturdays only, weather permitting.',
];

describe('content from page data', () => {
  it('reads an article body that only __NEXT_DATA__ holds, as text and Markdown', async () => {
    const data = {
      props: {
        pageProps: {
          nav: [
            { label: 'Home', url: '/' },
            { label: 'News', url: '/news' },
          ],
          post: { title: 'The harbour', body: PARAGRAPHS.map((p) => `<p>${p}</p>`).join('') },
        },
      },
      buildId: 'abc123',
    };
    const html = `<html><head><title>The harbour</title></head><body><div id="__next"><p>Loading…</p></div>
<script id="__NEXT_DATA__" type="application/json">${JSON.stringify(data)}</script></body></html>`;
    const document = await extract(html);
    for (const paragraph of PARAGRAPHS) expect(document.text).toContain(paragraph);
    expect(document.markdown).toContain(PARAGRAPHS[1]);
    expect(document.text).not.toContain('abc123');
  });

  it('reads the posts of a thread from a global assigned a JSON literal, and skips code', async () => {
    const state = {
      thread: { title: 'Harbour ferry times' },
      posts: PARAGRAPHS.map((text, i) => ({ id: i, author: `user${i}`, content: text })),
      sidebar: { blurb: 'Short label' },
    };
    const html = `<html><head><title>Ferry</title></head><body><div id="app"></div>
<script>window.__APOLLO_STATE__ = ${JSON.stringify(state)};</script>
<script>window.config = (function(){ return { secret: "The code of a function is never evaluated nor read as text by the engine" }; })();</script>
</body></html>`;
    const document = await extract(html, 'https://forum.example.com/t/ferry/9');
    for (const paragraph of PARAGRAPHS) expect(document.text).toContain(paragraph);
    expect(document.text).not.toContain('never evaluated');
  });

  it('uses the articleBody of JSON-LD when the visible page is a shell', async () => {
    const ld = {
      '@context': 'https://schema.org',
      '@type': 'NewsArticle',
      headline: 'The harbour',
      articleBody: PARAGRAPHS.join('\n\n'),
    };
    const html = `<html><head><title>The harbour</title><script type="application/ld+json">${JSON.stringify(ld)}</script></head>
<body><div id="root">Please wait</div></body></html>`;
    const document = await extract(html);
    for (const paragraph of PARAGRAPHS) expect(document.text).toContain(paragraph);
  });

  it('keeps the visible article when the page shows it, without adding its data copy twice', async () => {
    const body = PARAGRAPHS.map((p) => `<p>${p}</p>`).join('');
    const html = `<html><head><title>The harbour</title></head><body><article><h1>The harbour</h1>${body.repeat(3)}</article>
<script id="__NEXT_DATA__" type="application/json">${JSON.stringify({ props: { post: { body, related: 'Another story about the coast and its many villages, told at length for the reader.' } } })}</script></body></html>`;
    const document = await extract(html);
    expect(document.text).toContain(PARAGRAPHS[0]);
    expect(document.text).not.toContain('Another story about the coast');
  });

  it('ignores broken JSON in data scripts', async () => {
    const html = `<html><body><div id="app"><p>Short shell.</p></div>
<script id="__NEXT_DATA__" type="application/json">{"props": {"body": "${PARAGRAPHS[0]}"</script></body></html>`;
    const document = await extract(html);
    expect(document.text).not.toContain('harbour wall');
  });
});

describe('page data on hostile input', () => {
  it('drops a 10 MB __NEXT_DATA__ unread and still extracts the page', async () => {
    const big = JSON.stringify({
      props: {
        items: Array.from({ length: 100_000 }, (_, i) => `item number ${i} of a very long list of things`),
      },
    });
    expect(big.length).toBeGreaterThan(4_000_000);
    const padded = big.slice(0, -1) + `,"pad":"${'x'.repeat(10_000_000 - big.length)}"}`;
    const html = `<html><body><p>Tiny shell page.</p><script id="__NEXT_DATA__" type="application/json">${padded}</script></body></html>`;
    const tree = parseTree(html);
    expect(tree.dataScripts).toEqual([]);
    const { ms } = cpuMs(() => parseTree(html));
    expect(ms).toBeLessThan(5000);
    const document = await extract(html);
    expect(document.text).toContain('Tiny shell page.');
  });

  it('walks deeply nested JSON without recursion and within bounds', () => {
    const depth = 100_000;
    const nested = `${'{"a":'.repeat(depth)}"${PARAGRAPHS[0]}"${'}'.repeat(depth)}`;
    const arrays = `${'['.repeat(depth)}"${PARAGRAPHS[1]}"${']'.repeat(depth)}`;
    const { result, ms } = cpuMs(() => readScriptData([nested, arrays, `window.__STATE__ = ${nested};`]));
    // Past the depth cap the text is not reached; nothing throws.
    expect(result).toEqual([]);
    expect(ms).toBeLessThan(5000);
  });

  it('visits a bounded number of values in a huge flat array', () => {
    const many = JSON.stringify(
      Array.from({ length: 500_000 }, () => 'the ferry leaves the harbour at seven every morning'),
    );
    const { result, ms } = cpuMs(() => readScriptData([many]));
    expect(result.length).toBe(1); // identical strings are one text
    expect(ms).toBeLessThan(5000);
  });
});
