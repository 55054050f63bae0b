import { PDFDocument, StandardFonts } from 'pdf-lib';
import { describe, expect, it } from 'vitest';
import { extractDocument } from '../../src/extract/index.js';

async function makePdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  pdf.setTitle('Annual Report 2024');
  pdf.setAuthor('Ada Lovelace');
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const lines = [
    ['The first page talks about engines.', 'See https://example.org/engines for more.'],
    ['The second page talks about numbers.'],
    ['The third page ends the report.'],
  ];
  for (const pageLines of lines) {
    const page = pdf.addPage([595, 842]);
    pageLines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 20, size: 12, font }));
  }
  return pdf.save();
}

describe('extractDocument on PDF', () => {
  it('extracts text, title, author and page count', async () => {
    const body = await makePdf();
    // Served as octet-stream from a URL without an extension: sniffed from the bytes.
    const document = await extractDocument({ url: 'https://example.org/download?id=7', contentType: 'application/octet-stream', body });
    expect(document).toMatchObject({ mimeType: 'application/pdf', extractor: 'pdf', title: 'Annual Report 2024', byline: 'Ada Lovelace' });
    expect(document.metadata).toMatchObject({ author: 'Ada Lovelace', pageCount: 3 });
    expect(document.text).toContain('The first page talks about engines.');
    expect(document.text).toMatch(/engines[\s\S]*numbers[\s\S]*ends the report/);
    expect(document.links).toContain('https://example.org/engines');
    expect(document.quality).toMatchObject({ path: 'whole', wall: null });
  });

  it('leaves the caller’s buffer intact', async () => {
    const body = await makePdf();
    const copy = Uint8Array.from(body);
    await extractDocument({ url: 'https://example.org/a.pdf', contentType: 'application/pdf', body });
    expect(body).toEqual(copy);
  });

  it('fails a corrupt PDF with extraction_failed', async () => {
    const body = Buffer.from('%PDF-1.7\nthis is not really a pdf\n%%EOF');
    await expect(extractDocument({ url: 'https://example.org/bad.pdf', contentType: 'application/pdf', body })).rejects.toMatchObject({ code: 'extraction_failed' });
  });
});
