import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';

const url = 'https://files.test/layout.pdf';

async function onePage(draw: (page: PDFPage, font: PDFFont) => void): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  draw(pdf.addPage([595, 842]), font);
  return pdf.save();
}

async function markdownOf(body: Uint8Array): Promise<{ text: string; markdown: string }> {
  const doc = await extractDocument({
    url,
    contentType: 'application/pdf',
    body,
    formats: ['text', 'markdown'],
  });
  return { text: doc.text, markdown: doc.markdown ?? '' };
}

describe('PDF reading order', () => {
  it('reads a two-column page column by column, even when the file draws it row by row', async () => {
    const body = await onePage((page, font) => {
      page.drawText('Harbour Almanac', { x: 50, y: 790, size: 18, font });
      for (let row = 0; row < 12; row++) {
        const y = 750 - row * 14;
        // Interleaved, as many writers emit it: left line, right line, next left line...
        page.drawText(`Left column line ${row} speaks of the tides.`, { x: 50, y, size: 10, font });
        page.drawText(`Right column line ${row} speaks of ships.`, { x: 320, y, size: 10, font });
      }
    });
    const { text } = await markdownOf(body);
    expect(text.startsWith('Harbour Almanac')).toBe(true);
    const lastLeft = text.lastIndexOf('Left column line 11');
    const firstRight = text.indexOf('Right column line 0');
    expect(lastLeft).toBeGreaterThan(0);
    expect(firstRight).toBeGreaterThan(lastLeft);
    // Each column's lines stay one paragraph, in order.
    expect(text).toContain('Left column line 0 speaks of the tides. Left column line 1 speaks of the tides.');
    expect(text).toContain('Right column line 10 speaks of ships. Right column line 11 speaks of ships.');
  });

  it('leaves a one-column page with a wide gap in a single line alone', async () => {
    const body = await onePage((page, font) => {
      for (let row = 0; row < 8; row++)
        page.drawText(`An ordinary line of prose number ${row} that runs across the page.`, {
          x: 50,
          y: 780 - row * 14,
          size: 10,
          font,
        });
      page.drawText('Total', { x: 50, y: 640, size: 10, font });
      page.drawText('12', { x: 400, y: 640, size: 10, font });
    });
    const { text } = await markdownOf(body);
    expect(text).toContain('number 0 that runs across the page. An ordinary line of prose number 1');
  });
});

describe('PDF lists', () => {
  it('makes bulleted and numbered lines with hanging indents Markdown lists', async () => {
    const body = await onePage((page, font) => {
      page.drawText('Before you sail, check these:', { x: 50, y: 780, size: 11, font });
      page.drawText('•', { x: 60, y: 760, size: 11, font });
      page.drawText('The weather forecast for the', { x: 72, y: 760, size: 11, font });
      page.drawText('whole trip.', { x: 72, y: 746, size: 11, font });
      page.drawText('•', { x: 60, y: 732, size: 11, font });
      page.drawText('The fuel and the water.', { x: 72, y: 732, size: 11, font });
      page.drawText('Then follow the steps:', { x: 50, y: 700, size: 11, font });
      page.drawText('1. Cast off the lines.', { x: 60, y: 680, size: 11, font });
      page.drawText('2. Leave the harbour slowly.', { x: 60, y: 666, size: 11, font });
      page.drawText('a) Keep to starboard.', { x: 60, y: 652, size: 11, font });
      page.drawText('Safe travels to every crew that reads this far.', { x: 50, y: 620, size: 11, font });
    });
    const { markdown, text } = await markdownOf(body);
    expect(markdown).toContain(
      'Before you sail, check these:\n\n- The weather forecast for the whole trip.\n- The fuel and the water.',
    );
    expect(markdown).toContain(
      'Then follow the steps:\n\n1. Cast off the lines.\n2. Leave the harbour slowly.\n- a) Keep to starboard.',
    );
    expect(markdown).toContain('\n\nSafe travels to every crew');
    expect(text).toContain('• The weather forecast for the whole trip.');
  });
});

describe('PDF tables', () => {
  it('makes rows whose cells line up a GFM table, and keeps prose around it', async () => {
    const rows = [
      ['Vessel', 'Berth', 'Tonnage'],
      ['Aurora', 'North 3', '1200'],
      ['Boreas', 'South 1', '860'],
      ['Cygnus', 'East 7', '2045'],
    ];
    const body = await onePage((page, font) => {
      page.drawText('Berths in use this week are listed below.', { x: 50, y: 790, size: 11, font });
      rows.forEach((cells, r) =>
        cells.forEach((cell, c) => page.drawText(cell, { x: 50 + c * 150, y: 760 - r * 16, size: 11, font })),
      );
      page.drawText('The list is updated every Monday morning.', { x: 50, y: 680, size: 11, font });
    });
    const { markdown, text } = await markdownOf(body);
    expect(markdown).toContain(
      'Berths in use this week are listed below.\n\n| Vessel | Berth | Tonnage |\n| --- | --- | --- |\n| Aurora | North 3 | 1200 |\n| Boreas | South 1 | 860 |\n| Cygnus | East 7 | 2045 |\n\nThe list is updated',
    );
    expect(text).toContain('Aurora\tNorth 3\t1200');
  });

  it('does not make a table of two rows', async () => {
    const body = await onePage((page, font) => {
      page.drawText('Name', { x: 50, y: 780, size: 11, font });
      page.drawText('Value', { x: 250, y: 780, size: 11, font });
      page.drawText('Depth', { x: 50, y: 764, size: 11, font });
      page.drawText('12 m', { x: 250, y: 764, size: 11, font });
    });
    const { markdown } = await markdownOf(body);
    expect(markdown).not.toContain('|');
  });
});
