import { PDFDocument, PDFName, PDFString, StandardFonts } from 'pdf-lib';
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
    const document = await extractDocument({
      url: 'https://example.org/download?id=7',
      contentType: 'application/octet-stream',
      body,
    });
    expect(document).toMatchObject({
      mimeType: 'application/pdf',
      extractor: 'pdf',
      title: 'Annual Report 2024',
      byline: 'Ada Lovelace',
    });
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
    await expect(
      extractDocument({ url: 'https://example.org/bad.pdf', contentType: 'application/pdf', body }),
    ).rejects.toMatchObject({ code: 'extraction_failed' });
  });
});

/** A report of `pages` pages: a title (24 pt), a section heading (16 pt), two paragraphs of wrapped 11 pt lines, a running header and a page-number footer. */
async function makeStructuredPdf(pages = 3): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let number = 1; number <= pages; number += 1) {
    const page = pdf.addPage([595, 842]);
    page.drawText('ACME Corp quarterly report', { x: 50, y: 810, size: 9, font });
    const topic = ['engines', 'numbers', 'gears', 'levers'][number - 1] ?? 'pages';
    let y = 760;
    const line = (text: string, size: number, step: number): void => {
      page.drawText(text, { x: 50, y, size, font });
      y -= step;
    };
    if (number === 1) line('Engines of the Future', 24, 40);
    line(`Section ${number} results`, 16, 26);
    line(`The first paragraph about ${topic} starts here and it wraps onto a`, 11, 14);
    line('second line, which ends with a hyphen-', 11, 14);
    line('ated word joined again.', 11, 28);
    line('A second paragraph follows after a larger gap between', 11, 14);
    line(`its lines and the first paragraph about ${topic}.`, 11, 14);
    page.drawText(`Page ${number} of ${pages}`, { x: 280, y: 30, size: 9, font });
  }
  return pdf.save();
}

describe('extractDocument on a PDF with structure', () => {
  it('makes headings from font sizes and paragraphs from line gaps, dropping running headers and page numbers', async () => {
    const body = await makeStructuredPdf();
    const document = await extractDocument({
      url: 'https://example.org/report.pdf',
      contentType: 'application/pdf',
      body,
    });
    const markdown = document.markdown ?? '';
    expect(markdown).toMatch(/^# Engines of the Future$/m);
    expect(markdown).toMatch(/^## Section 1 results$/m);
    expect(markdown).toMatch(/^## Section 3 results$/m);
    expect(markdown).toContain(
      '\n\nThe first paragraph about numbers starts here and it wraps onto a second line, which ends with a hyphenated word joined again.\n\nA second paragraph follows after a larger gap between its lines and the first paragraph about numbers.',
    );
    expect(markdown).not.toContain('ACME Corp');
    expect(markdown).not.toMatch(/Page \d of 3/);
    // The text format carries the same content without Markdown markers.
    expect(document.text).toMatch(
      /^Engines of the Future\n\nSection 1 results\n\nThe first paragraph about engines starts here/,
    );
    expect(document.text).not.toContain('#');
    expect(document.text).not.toContain('ACME Corp');
    expect(document.title).toBe('Engines of the Future');
  });

  it('keeps a repeated line when the document has fewer than three pages', async () => {
    const body = await makeStructuredPdf(2);
    const document = await extractDocument({
      url: 'https://example.org/report.pdf',
      contentType: 'application/pdf',
      body,
    });
    expect(document.text).toContain('ACME Corp quarterly report');
  });
});

describe('extractDocument on a PDF with link annotations', () => {
  it('puts the URI of a link annotation into the links list and around its text in the Markdown', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([595, 842]);
    page.drawText('Read the', { x: 50, y: 780, size: 12, font });
    const before = font.widthOfTextAtSize('Read the ', 12);
    page.drawText('engine manual', { x: 50 + before, y: 780, size: 12, font });
    const after = before + font.widthOfTextAtSize('engine manual ', 12);
    page.drawText('before you start.', { x: 50 + after, y: 780, size: 12, font });
    const rect = [50 + before, 776, 50 + before + font.widthOfTextAtSize('engine manual', 12), 792];
    const link = pdf.context.register(
      pdf.context.obj({
        Type: 'Annot',
        Subtype: 'Link',
        Rect: rect,
        Border: [0, 0, 0],
        A: { Type: 'Action', S: 'URI', URI: PDFString.of('https://example.org/manual(v2)') },
      }),
    );
    page.node.set(PDFName.of('Annots'), pdf.context.obj([link]));
    const body = await pdf.save();
    const document = await extractDocument({
      url: 'https://example.org/guide.pdf',
      contentType: 'application/pdf',
      body,
    });
    expect(document.links).toContain('https://example.org/manual(v2)');
    expect(document.markdown).toContain('[engine manual](https://example.org/manual%28v2%29)');
    expect(document.markdown).toMatch(/^Read the \[engine manual\]\(\S+\) before you start\.$/m);
    expect(document.text).toContain('Read the engine manual before you start.');
  });

  it('does not make a whole line a link when the annotation covers only part of it', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([595, 842]);
    page.drawText('Read the engine manual before you start.', { x: 50, y: 780, size: 12, font });
    const link = pdf.context.register(
      pdf.context.obj({
        Type: 'Annot',
        Subtype: 'Link',
        Rect: [100, 776, 180, 792],
        A: { Type: 'Action', S: 'URI', URI: PDFString.of('https://example.org/manual') },
      }),
    );
    page.node.set(PDFName.of('Annots'), pdf.context.obj([link]));
    const document = await extractDocument({
      url: 'https://example.org/guide.pdf',
      contentType: 'application/pdf',
      body: await pdf.save(),
    });
    expect(document.links).toContain('https://example.org/manual');
    expect(document.markdown).toBe('Read the engine manual before you start.');
  });
});

describe('extractDocument on a PDF: headings and escaping', () => {
  it('joins a wrapped title into one heading and escapes HTML and Markdown syntax in the text', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    const page = pdf.addPage([595, 842]);
    page.drawText('A very long title that the author', { x: 50, y: 780, size: 20, font });
    page.drawText('wrapped onto two lines', { x: 50, y: 756, size: 20, font });
    page.drawText('# not a heading <img src=x onerror=alert(1)> and *stars* stay text.', {
      x: 50,
      y: 720,
      size: 11,
      font,
    });
    page.drawText('A second body line keeps the body size the dominant one here.', {
      x: 50,
      y: 706,
      size: 11,
      font,
    });
    const document = await extractDocument({
      url: 'https://example.org/t.pdf',
      contentType: 'application/pdf',
      body: await pdf.save(),
    });
    expect(document.markdown).toMatch(/^# A very long title that the author wrapped onto two lines$/m);
    expect(document.markdown).toContain(
      '\\# not a heading &lt;img src=x onerror=alert(1)&gt; and \\*stars\\* stay text.',
    );
    expect(document.markdown).not.toContain('<img');
    expect(document.text).toContain('# not a heading <img src=x onerror=alert(1)> and *stars* stay text.');
    expect(document.title).toBe('A very long title that the author wrapped onto two lines');
  });
});
