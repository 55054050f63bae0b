import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

async function extract(html: string, url: string): Promise<ExtractedDocument> {
  return extractDocument({ url, contentType: 'text/html; charset=utf-8', body: Buffer.from(html, 'utf8') });
}

const PROSE =
  'Our walking boots are made from full-grain leather, stitched by hand in a small workshop, and resoled for free for as long as you own them. ';

describe('engine cleaning', () => {
  it('keeps the text of collapsed accordions, tab panels and carousel slides, and still drops hidden chrome', async () => {
    const html = `<html><head><title>Hill Boot</title></head><body>
<main><h1>Hill Boot</h1><p>${PROSE.repeat(3)}</p>
<div class="accordion"><button>Materials</button>
<div class="accordion-content" style="display:none"><p>Upper in waxed leather from a tannery in Tuscany, lining in undyed cotton canvas.</p></div></div>
<div role="tabpanel" hidden><p>Sizes run true to length; choose half a size up for thick winter socks.</p></div>
<ul class="carousel"><li class="carousel-item" aria-hidden="true"><p>Second slide: the winter edition with a shearling lining and a studded sole.</p></li></ul>
<div class="mobile-menu" style="display:none"><p>Hidden menu copy that never shows on a desktop screen at all.</p></div>
</main></body></html>`;
    const document = await extract(html, 'https://shop.example.com/boots/hill');
    expect(document.text).toContain('Upper in waxed leather from a tannery in Tuscany');
    expect(document.text).toContain('Sizes run true to length');
    expect(document.text).toContain('the winter edition with a shearling lining');
    expect(document.text).not.toContain('Hidden menu copy');
  });

  it('drops cookie-consent banners and dialogs, and keeps a recipe that talks about cookies', async () => {
    const html = `<html><head><title>Oat cookies</title></head><body>
<div id="onetrust-consent-sdk"><div id="onetrust-banner-sdk"><p>We use cookies to improve your experience and for marketing. Accept all or manage your preferences in our centre.</p></div></div>
<div id="CybotCookiebotDialog" role="dialog"><p>This website uses cookies. We use cookies to personalise content and ads and to analyse our traffic.</p></div>
<div class="cookieWrapper"><div class="cookieText"><p>By continuing to browse you agree to our use of cookies and similar technologies on this site.</p></div></div>
<main><article class="recipe"><h1>Oat cookies</h1><p>These oat cookies need only butter, sugar, oats and flour. ${PROSE}</p>
<p>Bake the cookies for twelve minutes until golden at the edges, then let them cool on a rack before you store them.</p></article></main>
</body></html>`;
    const document = await extract(html, 'https://food.example.com/oat-cookies');
    expect(document.text).toContain('Bake the cookies for twelve minutes');
    expect(document.text).not.toContain('We use cookies');
    expect(document.text).not.toContain('This website uses cookies');
    expect(document.text).not.toContain('By continuing to browse');
  });

  it('drops a consent dialog that is most of the page, leaving no content rather than the dialog', async () => {
    const html = `<html><head><title>Forum</title></head><body><div id="app"></div>
<div role="dialog" aria-label="Privacy"><h2>Your privacy</h2><p>We and our 800 partners store and access information on your device, such as cookies, to measure audiences and personalise ads. You can accept or refuse.</p></div>
</body></html>`;
    const document = await extract(html, 'https://forum.example.com/t/thread/1');
    expect(document.text).not.toContain('800 partners');
  });

  it('drops recommendation rails of a product page and keeps its description', async () => {
    const html = `<html><head><title>Hill Boot</title><meta property="og:type" content="product"></head><body>
<main><h1>Hill Boot</h1><p>${PROSE.repeat(2)}</p>
<section><h2>Customers also bought</h2><ul><li>Trail sock in merino wool, three pairs in a pack</li><li>Leather balm for waxed boots and bags</li></ul></section>
<section><h2>Care</h2><p>Brush the mud off once it is dry, feed the leather with balm twice a season, and dry the boots away from a fire.</p></section>
</main></body></html>`;
    const document = await extract(html, 'https://shop.example.com/boots/hill');
    expect(document.text).toContain('Brush the mud off once it is dry');
    expect(document.text).not.toContain('Trail sock in merino wool');
  });

  it('drops customer reviews, review lists and questions inside a product container, and keeps questions on an article', async () => {
    const product = `<html><head><title>Hill Boot</title><meta property="og:type" content="product"></head><body>
<main><div class="product"><h1>Hill Boot</h1><p class="price">£189.00</p><p>${PROSE.repeat(2)}</p>
<section><h2>Specifications</h2><table><tr><th>Upper</th><td>Waxed full-grain leather</td></tr><tr><th>Sole</th><td>Stitched rubber lug sole</td></tr></table></section>
<section class="reviews"><h2>Customer reviews</h2><div><p>Five stars. Wore them across the fells all summer and my feet never blistered once.</p><p>Verified buyer, last week</p></div></section>
<div class="product-reviews"><div><p>Great boots, a bit stiff at first but comfortable after a week of walking.</p></div></div>
<div><h3>Frequently asked questions</h3><div><p>Do they run small? Most buyers take their usual size, half a size up for thick socks.</p></div></div>
</div></main></body></html>`;
    const document = await extract(product, 'https://shop.example.com/boots/hill');
    expect(document.text).toContain('Waxed full-grain leather');
    expect(document.text).toContain('resoled for free');
    expect(document.text).not.toContain('my feet never blistered');
    expect(document.text).not.toContain('Most buyers take their usual size');
    expect(document.text).not.toContain('a bit stiff at first');

    const article = `<html><head><title>How to choose walking boots</title><meta property="og:type" content="article"></head><body>
<main><article><h1>How to choose walking boots</h1><p>${PROSE.repeat(3)}</p>
<h2>Frequently asked questions</h2><p>Do leather boots need breaking in? A few short walks around town soften the ankle before a long day out.</p>
</article></main></body></html>`;
    const guide = await extract(article, 'https://blog.example.com/choosing-boots');
    expect(guide.text).toContain('A few short walks around town soften the ankle');
  });

  it('keeps the content when a script hides most of the page until it runs', async () => {
    const html = `<html><head><title>Hill Boot</title></head><body><nav><a href="/">Home</a></nav>
<div class="anti-flicker" style="display:none"><main><h1>Hill Boot</h1><p>${PROSE.repeat(3)}</p></main></div>
<footer><p>Shop address and opening hours</p></footer></body></html>`;
    const document = await extract(html, 'https://shop.example.com/boots/hill');
    expect(document.text).toContain('resoled for free for as long as you own them');
  });
});
