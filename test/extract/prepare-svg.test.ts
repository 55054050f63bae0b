import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';
import { prepareHtml } from '../../src/extract/html/prepare.js';

describe('prepareHtml and SVG inside attribute values', () => {
  it('keeps the content after an attribute value that contains `<svg`', () => {
    for (const page of [
      '<p><img alt="x <svg y" src="/a.png">Real text after the image.</p>',
      '<p><a href="/x" title="<svg>">Real text</a> of the link.</p>',
      "<p><span data-icon='<svg/>'>Real</span> text.</p>",
    ]) {
      const { html } = prepareHtml(page);
      expect(html, page).toContain('Real');
      expect(html, page).toContain('text');
    }
  });

  it('still strips real svg elements, with their content', () => {
    const { html } = prepareHtml(
      '<p>Before<svg viewBox="0 0 1 1" aria-label="a > b"><text>icon label</text></svg> after.</p><svg/>',
    );
    expect(html).toContain('Before after.');
    expect(html).not.toContain('icon label');
    expect(html).not.toContain('<svg');
  });

  it('keeps the text of the page through extraction', async () => {
    const body = `<html><body><article><h1>Title</h1><p><img alt="chart <svg> of sales" src="/c.png">${'The sales grew in every quarter of the year, as the chart shows in detail. '.repeat(6)}</p></article></body></html>`;
    const document = await extractDocument({
      url: 'https://example.com/a',
      contentType: 'text/html',
      body: Buffer.from(body),
    });
    expect(document.text).toContain('The sales grew in every quarter');
  });
});
