import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

// Precision rules of the engine's cleaning: teaser rails beside an article, the poster chrome
// around forum posts, and repeated text (a duplicate render against an author's own repeat).

async function extract(html: string, url: string): Promise<ExtractedDocument> {
  return extractDocument({ url, contentType: 'text/html; charset=utf-8', body: Buffer.from(html, 'utf8') });
}

const STORY: [string, string, string] = [
  'The council voted on Tuesday to rebuild the old harbour wall in granite, after two winters of storms opened a breach near the lifeboat station.',
  'Work starts in April and should take eighteen months; the fishing fleet will land its catch at the north quay while the south basin is closed.',
  'Residents asked for the promenade to stay open, and the contractor agreed to keep a path along the sea front for the whole of the works.',
];

function article(rail: string): string {
  return `<html><head><title>Harbour wall</title><meta property="og:type" content="article"></head><body>
<article><h1>Harbour wall to be rebuilt</h1><p class="date">12 March 2026</p>${STORY.map((p) => `<p>${p}</p>`).join('')}
${STORY.map((p) => `<p>${p.replace('The', 'Meanwhile the')}</p>`).join('')}
${STORY.map((p) => `<p>${p.replace('The', 'Last year the')}</p>`).join('')}
${rail}</article></body></html>`;
}

function teaser(href: string, title: string): string {
  return `<div class="item"><h3><a href="${href}">${title}</a></h3><span>11 March 2026</span>
<p>A short excerpt of that other story, two lines that the reader sees before clicking through to read it.</p></div>`;
}

describe('teaser rails on article pages', () => {
  it('drops a rail of teasers that link to other articles of the site', async () => {
    const rail = `<div class="grid">${teaser('/news/ferry', 'Ferry timetable changes for the summer')}${teaser('https://www.news.example.com/news/market', 'Fish market moves to the quay')}${teaser('/news/lifeboat', 'Lifeboat crew honoured at the palace')}</div>`;
    const document = await extract(article(rail), 'https://news.example.com/news/harbour-wall');
    expect(document.text).toContain(STORY[1]);
    expect(document.text).not.toContain('Ferry timetable changes');
    expect(document.text).not.toContain('A short excerpt of that other story');
  });

  it('keeps a round-up whose headings link to other sites, and headings that link to their own anchors', async () => {
    const items = ['https://boats.example.org/a', 'https://sails.example.net/b', 'https://oars.example.io/c'];
    const roundup = `<div class="list">${items.map((href, i) => teaser(href, `Project number ${i + 1} of the round-up`)).join('')}</div>
<div class="toc">${['one', 'two', 'three'].map((id) => `<section><h2><a href="#${id}">Section ${id} of the guide</a></h2><p>${STORY[0]}</p></section>`).join('')}</div>`;
    const document = await extract(article(roundup), 'https://news.example.com/news/harbour-wall');
    expect(document.text).toContain('Project number 2 of the round-up');
  });
});

describe('poster chrome around forum posts', () => {
  it('drops user titles, join dates, signatures and reaction bars, and keeps every post', async () => {
    const post = (
      user: string,
      text: string,
    ) => `<article class="message"><div class="message-userDetails"><h4 class="message-name"><a class="username">${user}</a></h4>
<h5 class="userTitle message-userTitle">Well-known member</h5><div class="message-userExtras"><dl><dt>Joined</dt><dd>Feb 16, 2015</dd></dl></div></div>
<div class="message-content"><div class="message-body">${text}</div><div class="message-signature">My rig: two oars, one boat, and a thermos of tea for the crossing.</div>
<div class="reactions-bar">3 people like this</div></div></article>`;
    const html = `<html><head><title>Which oars?</title></head><body><main><h1>Which oars?</h1>
${post('rower1', STORY[0])}${post('sailor2', STORY[1])}${post('ferryman', STORY[2])}</main></body></html>`;
    const document = await extract(html, 'https://forum.example.com/threads/which-oars.12/');
    for (const text of STORY) expect(document.text).toContain(text);
    expect(document.text).not.toContain('Well-known member');
    expect(document.text).not.toContain('Feb 16, 2015');
    expect(document.text).not.toContain('thermos of tea');
  });
});

describe('repeated text', () => {
  it('keeps a paragraph the author repeats in the next section, and drops a duplicate render', async () => {
    const refrain =
      'Keep the path along the sea front open, whatever the weather and whatever the cost of the works.';
    const html = `<html><head><title>Harbour</title></head><body><article><h1>Harbour</h1>
<div><p>${STORY[0]}</p><p>${refrain}</p></div><h2>Later</h2><div><p>${STORY[1]}</p><p>${refrain}</p></div>
<div class="desktop"><div><p>${STORY[2]}</p></div></div><div class="mobile"><div><p>${STORY[2]}</p></div></div>
</article></body></html>`;
    const document = await extract(html, 'https://news.example.com/harbour');
    expect(document.text.split(refrain).length - 1).toBe(2);
    expect(document.text.split(STORY[2]).length - 1).toBe(1);
  });
});
