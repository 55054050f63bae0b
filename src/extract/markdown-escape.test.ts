import { marked } from 'marked';
import { describe, expect, it } from 'vitest';
import {
  escapeMarkdownLineStarts,
  escapeMarkdownText,
  markdownCodeFence,
  markdownCodeSpan,
  markdownLinkTitle,
  markdownUrl,
} from './markdown-escape.js';

/** What a Markdown renderer (marked, CommonMark + GFM, raw HTML on) makes of `markdown`. */
const render = (markdown: string): string => marked.parse(markdown, { async: false });
/** The text a browser shows for rendered HTML: tags dropped, the common references decoded. */
const shown = (html: string): string =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();

describe('escapeMarkdownText', () => {
  it('escapes the characters that would make HTML', () => {
    expect(escapeMarkdownText('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeMarkdownText('</pre><script>alert(1)</script>')).toBe(
      '&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;',
    );
  });

  it('escapes an ampersand only where it would start a character reference', () => {
    expect(escapeMarkdownText('AT&T & co')).toBe('AT&T & co');
    expect(escapeMarkdownText('write &lt; or &#60; or &#x3c;')).toBe(
      'write &amp;lt; or &amp;#60; or &amp;#x3c;',
    );
  });

  it('backslashes Markdown punctuation', () => {
    expect(escapeMarkdownText('a *b* _c_ [d] `e` \\f')).toBe('a \\*b\\* \\_c\\_ \\[d\\] \\`e\\` \\\\f');
  });

  it('renders as exactly the text it was given, with no element', () => {
    for (const text of [
      '<img src=x onerror=alert(1)>',
      '</pre><script>alert(1)</script>',
      '<!-- c --> <?php ?> <![CDATA[x]]>',
      'a &lt; b &amp; c',
      'x < y > z',
      '<https://example.com>',
      '*not* _emphasis_ [nor](a link)',
    ]) {
      const html = render(escapeMarkdownText(text));
      // Only paragraphs, and the link GFM makes of a bare URL: never an element from the text.
      expect(html, text).not.toMatch(/<(?!\/?(?:p|a)[\s>])/);
      expect(shown(html), text).toBe(text);
    }
  });
});

describe('escapeMarkdownLineStarts', () => {
  it('backslashes heading, quote and list markers at the start of lines', () => {
    expect(escapeMarkdownLineStarts('# one\n- two\n1. three\n> four\n2) five\nsix - seven')).toBe(
      '\\# one\n\\- two\n1\\. three\n\\> four\n2\\) five\nsix - seven',
    );
    for (const line of ['# one', '- two', '1. three', '> four', '2) five'])
      expect(shown(render(escapeMarkdownLineStarts(line))), line).toBe(line);
  });
});

describe('markdownCodeSpan', () => {
  it('uses a delimiter longer than any backtick run inside', () => {
    expect(markdownCodeSpan('a`b')).toBe('``a`b``');
    expect(markdownCodeSpan('x `` <img src=x onerror=alert(1)> `` y')).toBe(
      '```x `` <img src=x onerror=alert(1)> `` y```',
    );
    expect(markdownCodeSpan('`tick')).toBe('`` `tick ``');
  });

  it('renders code that cannot break out into HTML', () => {
    for (const code of [
      'x `` <img src=x onerror=alert(1)> `` y',
      '` <script>alert(1)</script> `',
      '</code><script>alert(1)</script>',
    ]) {
      const html = render(`Code: ${markdownCodeSpan(code)}`);
      expect(html, code).not.toMatch(/<(img|script)/);
      expect(shown(html), code).toBe(`Code: ${code}`);
    }
  });
});

describe('markdownCodeFence', () => {
  it('fences with more backticks than any run inside, at least three', () => {
    expect(markdownCodeFence('plain')).toBe('```\nplain\n```');
    expect(markdownCodeFence('a\n````\nb', 'js')).toBe('`````js\na\n````\nb\n`````');
    expect(markdownCodeFence('x', 'c`<b>')).toBe('```cb\nx\n```');
  });

  it('keeps `</pre><script>` inside the block', () => {
    const code = '```\n</pre><script>alert(1)</script>\n````';
    const html = render(markdownCodeFence(code));
    expect(html).not.toMatch(/<script/);
    expect(html).toContain('&lt;/pre&gt;&lt;script&gt;');
  });
});

describe('markdownLinkTitle and markdownUrl', () => {
  it('keeps a hostile title inside the link', () => {
    const title = 'a "quoted" <img src=x onerror=alert(1)> \\';
    const html = render(`[text](https://example.com/ ${markdownLinkTitle(title)})`);
    expect(html).not.toMatch(/<img/);
    expect(html.trim()).toMatch(/^<p><a href="https:\/\/example.com\/" title="[^"]*">text<\/a><\/p>$/);
  });

  it('encodes characters that would end or break a destination', () => {
    expect(markdownUrl('https://example.com/a (b)<c>\\d')).toBe('https://example.com/a%20%28b%29%3Cc%3E%5Cd');
  });
});
