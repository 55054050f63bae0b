import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

async function extract(html: string, url: string): Promise<ExtractedDocument> {
  return extractDocument({ url, contentType: 'text/html; charset=utf-8', body: Buffer.from(html, 'utf8') });
}

const PROSE =
  'Our walking boots are made from full-grain leather, stitched by hand in a small workshop, and resoled for free for as long as you own them. ';

describe('engine cleaning', () => {
  it('keeps the text of collapsed accordions and tab panels, and still drops hidden chrome', async () => {
    const html = `<html><head><title>Hill Boot</title></head><body>
<main><h1>Hill Boot</h1><p>${PROSE.repeat(3)}</p>
<div class="accordion"><button>Materials</button>
<div class="accordion-content" style="display:none"><p>Upper in waxed leather from a tannery in Tuscany, lining in undyed cotton canvas.</p></div></div>
<div role="tabpanel" hidden><p>Sizes run true to length; choose half a size up for thick winter socks.</p></div>
<div class="mobile-menu" style="display:none"><p>Hidden menu copy that never shows on a desktop screen at all.</p></div>
</main></body></html>`;
    const document = await extract(html, 'https://shop.example.com/boots/hill');
    expect(document.text).toContain('Upper in waxed leather from a tannery in Tuscany');
    expect(document.text).toContain('Sizes run true to length');
    expect(document.text).not.toContain('Hidden menu copy');
  });
});
