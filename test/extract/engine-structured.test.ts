import { describe, expect, it } from 'vitest';
import { extractDocument, type ExtractedDocument } from '../../src/extract/index.js';

async function extract(html: string, url: string): Promise<ExtractedDocument> {
  return extractDocument({ url, contentType: 'text/html; charset=utf-8', body: Buffer.from(html, 'utf8') });
}

const PRODUCT = `<html><head><title>Trail Shoe X | Shop</title>
<meta property="og:type" content="product">
<script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"Product","name":"Trail Shoe X","sku":"TSX-42",
"description":"A light trail running shoe with a grippy sole, a breathable mesh upper and a rock plate for rough ground.",
"brand":{"@type":"Brand","name":"Acme"},"aggregateRating":{"@type":"AggregateRating","ratingValue":"4.6","reviewCount":"128"},
"offers":{"@type":"Offer","price":"129.90","priceCurrency":"EUR","availability":"https://schema.org/InStock"}}]}</script>
</head><body><nav><a href="/">Home</a><a href="/shoes">Shoes</a></nav>
<main><h1>Trail Shoe X</h1><p class="price">€129.90</p><button>Add to cart</button><ul><li>Weight 240 g</li><li>Drop 6 mm</li></ul></main>
<footer><a href="/about">About us</a></footer></body></html>`;

const FAQ = `<html><head><title>FAQ</title><script type="application/ld+json">{"@context":"https://schema.org","@type":"FAQPage","mainEntity":[
{"@type":"Question","name":"How long does delivery take?","acceptedAnswer":{"@type":"Answer","text":"Delivery takes two to four working days within the country, and up to ten days abroad."}}]}</script></head>
<body><main><h1>Questions</h1><p>Answers to the questions our customers ask most often, collected by our support team over the years.</p></main></body></html>`;

describe('structured data', () => {
  it('fills metadata.structured with the product and adds its description to the content', async () => {
    const document = await extract(PRODUCT, 'https://shop.example.com/products/trail-shoe-x');
    expect(document.metadata.structured?.product).toEqual({
      name: 'Trail Shoe X',
      price: '129.90',
      currency: 'EUR',
      availability: 'InStock',
      sku: 'TSX-42',
      brand: 'Acme',
      rating: 4.6,
      reviewCount: 128,
    });
    expect(document.metadata.structured?.types).toContain('Product');
    expect(document.text).toContain('Trail Shoe X');
    expect(document.text).toContain('A light trail running shoe with a grippy sole');
    expect(document.text).not.toContain('About us');
    expect(document.pageType).toBe('product');
  });

  it('adds FAQ answers that the page keeps only in JSON-LD', async () => {
    const document = await extract(FAQ, 'https://shop.example.com/faq');
    expect(document.metadata.structured?.faq).toEqual([
      {
        question: 'How long does delivery take?',
        answer: 'Delivery takes two to four working days within the country, and up to ten days abroad.',
      },
    ]);
    expect(document.text).toContain('Delivery takes two to four working days');
  });

  it('ignores broken JSON-LD', async () => {
    const document = await extract(
      PRODUCT.replace('"@graph":[', '"@graph":[[['),
      'https://shop.example.com/products/trail-shoe-x',
    );
    // The JSON-LD block is unreadable; Open Graph still says it is a product, with no price.
    expect(document.metadata.structured?.types).toEqual([]);
    expect(document.metadata.structured?.product?.price).toBeNull();
    expect(document.text).toContain('Trail Shoe X');
  });
});

describe('page types and selection profiles', () => {
  it('keeps every post of a forum thread', async () => {
    const post = (n: number) =>
      `<article class="post"><div class="author">user${n}</div><div class="message-body"><p>Post number ${n} of the thread says something useful about the question, with enough words to count as a real reply.</p></div></article>`;
    const html = `<html><head><title>Thread</title></head><body><nav><a href="/">Forums</a></nav><main><h1>How do I fix my bike chain?</h1>${[1, 2, 3, 4, 5].map(post).join('')}</main></body></html>`;
    const document = await extract(html, 'https://forum.example.com/t/how-do-i-fix-my-bike-chain/123');
    expect(document.pageType).toBe('forum');
    for (const n of [1, 2, 3, 4, 5]) expect(document.text).toContain(`Post number ${n} of the thread`);
  });

  it('keeps every card of a listing', async () => {
    const card = (n: number) =>
      `<li class="card"><a href="/events/${n}"><h3>Community event number ${n} in the park</h3></a><p>Saturday ${n} June, 10:00</p></li>`;
    const html = `<html><head><title>Events</title></head><body><nav><a href="/">Home</a></nav><main><h1>Upcoming events</h1><ul class="grid">${[1, 2, 3, 4, 5, 6].map(card).join('')}</ul></main></body></html>`;
    const document = await extract(html, 'https://city.example.org/events/');
    for (const n of [1, 2, 3, 4, 5, 6])
      expect(document.text).toContain(`Community event number ${n} in the park`);
  });
});
