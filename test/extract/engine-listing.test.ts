import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

async function extract(html: string, url: string): Promise<ExtractedDocument> {
  return extractDocument({ url, contentType: 'text/html; charset=utf-8', body: Buffer.from(html, 'utf8') });
}

const NAMES = [
  'Blue mug',
  'Oat bowl',
  'Tea cup',
  'Jug, 1 l',
  'Red plate',
  'Egg cup',
  'Salt pig',
  'Big mug',
  'Milk jug',
  'Tea pot',
];

/** A shop's collection page: a grid of cards whose names are short links (nothing else in them), and a pager. */
function collectionPage(grid: string): string {
  return `<html><head><title>Stoneware</title></head><body>
<header><a href="/">Home</a> <a href="/collections">Shop</a></header>
<main><h1>Stoneware</h1>${grid}</main>
<footer><p>Potters of the valley since 1972.</p></footer></body></html>`;
}

function cards(): string {
  const items = NAMES.map(
    (name, i) => `<li class="product-card"><a href="/products/item-${i}">${name}</a></li>`,
  ).join('');
  return `<p>Every piece is thrown by hand and glazed in small batches; no two are quite alike.</p>
<ul class="product-grid">${items}</ul>
<div class="links"><a href="?page=1">1</a> <a href="?page=2">2</a> <a href="?page=3">3</a> <a href="?page=4">4</a> <a href="?page=5">5</a></div>`;
}

describe('engine selection on listings and collections', () => {
  it('keeps every card of a grid whose names are short links, and drops the page numbers', async () => {
    const document = await extract(collectionPage(cards()), 'https://shop.example.com/collections/stoneware');
    expect(['collection', 'listing']).toContain(document.pageType);
    for (const name of NAMES) expect(document.text).toContain(name);
    expect(document.text).not.toMatch(/\b1\s+2\s+3\s+4\b/);
  });

  it('keeps a grid the page hides inside its <main> until a script reveals it, and still drops small hidden chrome', async () => {
    const html = collectionPage(
      `<div class="lock-content" style="display:none">${cards()}</div>
<div class="lock-notice" style="display:none"><p>Sign in to see our trade prices.</p></div>`,
    );
    const document = await extract(html, 'https://shop.example.com/collections/stoneware');
    for (const name of NAMES) expect(document.text).toContain(name);
    expect(document.text).not.toContain('trade prices');
  });
});
