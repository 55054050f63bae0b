import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PDFDocument, PDFHexString, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExtractorPool, extractDocument, imageDimensions } from '../../src/extract/index.js';

/*
 * OCR runs Debian's tesseract and pdftoppm. Without them these tests fail, saying what to install
 * (.ci/run installs them): they never skip, so a CI machine without them cannot pass silently.
 */
const dir = mkdtempSync(join(tmpdir(), 'distill-ocr-test-'));
beforeAll(() => {
  for (const [command, args, packages] of [
    ['tesseract', ['--version'], 'tesseract-ocr tesseract-ocr-eng'],
    ['pdftoppm', ['-v'], 'poppler-utils'],
  ] as const) {
    try {
      execFileSync(command, args, { stdio: 'ignore' });
    } catch {
      throw new Error(
        `The OCR tests need \`${command}\`, which is not installed: apt-get install ${packages} (.ci/run installs it)`,
      );
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SENTENCE = 'The quick brown fox jumps over the lazy dog';
const SCANNED = 'Scanned pages are read by Tesseract today';

/** A one-page PDF with `sentence` drawn in Helvetica: the source of the test's images. */
async function sentencePdf(sentence: string): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  pdf.addPage([620, 160]).drawText(sentence, { x: 30, y: 70, size: 26, font });
  return pdf.save();
}

/** The sentence rendered into an image by pdftoppm (`png`, `jpeg` or `tiff`), at 300 dpi. */
async function sentenceImage(sentence: string, format: 'png' | 'jpeg' | 'tiff'): Promise<Uint8Array> {
  const source = join(dir, `${format}-${sentence.length}.pdf`);
  writeFileSync(source, await sentencePdf(sentence));
  const root = join(dir, `${format}-${sentence.length}`);
  execFileSync('pdftoppm', ['-r', '300', '-gray', `-${format}`, '-singlefile', source, root]);
  return readFileSync(`${root}.${format === 'jpeg' ? 'jpg' : format === 'tiff' ? 'tif' : 'png'}`);
}

/** The sentence as an 8-bit grey raster (pdftoppm's PGM), at 300 dpi. */
async function sentenceGrey(
  sentence: string,
): Promise<{ width: number; height: number; pixels: Uint8Array }> {
  const source = join(dir, `grey-${sentence.length}.pdf`);
  writeFileSync(source, await sentencePdf(sentence));
  const root = join(dir, `grey-${sentence.length}`);
  execFileSync('pdftoppm', ['-r', '300', '-gray', '-singlefile', source, root]);
  const pgm = readFileSync(`${root}.pgm`);
  // "P5\n<width> <height>\n255\n" then one byte per pixel.
  const header = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(pgm.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error('pdftoppm wrote no 8-bit PGM');
  return { width: Number(header[1]), height: Number(header[2]), pixels: pgm.subarray(header[0].length) };
}

/**
 * A GIF of grey frames, written here (Debian has no PNG-to-GIF tool in the packages we install):
 * 128 greys, and LZW with a clear code every 126 pixels, so every code is 8 bits (one byte) and
 * the code table never grows. Valid GIF89a that any decoder reads; large, which does not matter.
 */
function greyGif(frames: Array<{ width: number; height: number; pixels: Uint8Array }>): Uint8Array {
  const { width, height } = frames[0]!;
  const parts: Buffer[] = [];
  const screen = Buffer.alloc(13);
  screen.write('GIF89a', 0, 'latin1');
  screen.writeUInt16LE(width, 6);
  screen.writeUInt16LE(height, 8);
  screen[10] = 0xf6; // a global colour table of 128 entries, 8-bit colour resolution
  parts.push(screen, Buffer.from(Array.from({ length: 128 }, (_, i) => [i * 2, i * 2, i * 2]).flat()));
  for (const frame of frames) {
    const descriptor = Buffer.alloc(10);
    descriptor[0] = 0x2c;
    descriptor.writeUInt16LE(frame.width, 5);
    descriptor.writeUInt16LE(frame.height, 7);
    const codes: number[] = [];
    for (let i = 0; i < frame.pixels.length; i++) {
      if (i % 126 === 0) codes.push(128); // clear
      codes.push(frame.pixels[i]! >> 1);
    }
    codes.push(129); // end of information
    const data = Buffer.from(codes);
    const blocks: Buffer[] = [];
    for (let at = 0; at < data.length; at += 255) {
      const block = data.subarray(at, at + 255);
      blocks.push(Buffer.from([block.length]), block);
    }
    parts.push(descriptor, Buffer.from([7]), ...blocks, Buffer.from([0]));
  }
  parts.push(Buffer.from([0x3b]));
  return Uint8Array.from(Buffer.concat(parts));
}

const words = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z ]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

describe('OCR of images', () => {
  it.each(['png', 'jpeg', 'tiff'] as const)(
    'reads the sentence of a %s image rendered with a known font',
    async (format) => {
      const body = await sentenceImage(SENTENCE, format);
      const document = await extractDocument({
        url: `https://example.org/scan.${format}`,
        contentType: `image/${format}`,
        body,
      });
      expect(document.extractor).toBe('ocr');
      expect(words(document.text)).toContain(words(SENTENCE));
      expect(document.metadata).toMatchObject({ ocrPages: '1', ocrLanguages: 'eng' });
      expect(document.metadata.ocrConfidence).toBeGreaterThan(60);
      expect(document.markdown).toContain('quick brown fox');
    },
  );

  it('reads the sentence of a GIF image, its first frame only', async () => {
    const first = await sentenceGrey(SENTENCE);
    const second = await sentenceGrey(SCANNED);
    const body = greyGif([
      first,
      {
        ...second,
        width: first.width,
        height: first.height,
        pixels: second.pixels.subarray(0, first.width * first.height),
      },
    ]);
    const document = await extractDocument({
      url: 'https://example.org/scan.gif',
      contentType: 'image/gif',
      body,
    });
    expect(document).toMatchObject({ mimeType: 'image/gif', extractor: 'ocr' });
    expect(words(document.text)).toContain(words(SENTENCE));
    expect(words(document.text)).not.toContain('tesseract');
    expect(document.metadata).toMatchObject({ ocrPages: '1', ocrLanguages: 'eng' });
    expect(document.metadata.ocrConfidence).toBeGreaterThan(60);
  });

  it('reads the sentence of a WebP image (lossless, made by cwebp), sniffed when served as octet-stream', async () => {
    try {
      execFileSync('cwebp', ['-version'], { stdio: 'ignore' });
    } catch {
      throw new Error(
        'The WebP OCR test needs `cwebp`, which is not installed: apt-get install webp (.ci/run installs it)',
      );
    }
    const png = join(dir, 'webp-source.png');
    writeFileSync(png, await sentenceImage(SENTENCE, 'png'));
    const webp = join(dir, 'scan.webp');
    execFileSync('cwebp', ['-quiet', '-lossless', png, '-o', webp]);
    const body = Uint8Array.from(readFileSync(webp));
    const document = await extractDocument({
      url: 'https://example.org/scan',
      contentType: 'application/octet-stream',
      body,
    });
    expect(document).toMatchObject({ mimeType: 'image/webp', extractor: 'ocr' });
    expect(words(document.text)).toContain(words(SENTENCE));
    expect(document.metadata.ocrConfidence).toBeGreaterThan(60);
  });

  it('refuses a 30,000 × 30,000 image from its header, before decoding, and the pool goes on', async () => {
    // A PNG signature and an IHDR that declares 30,000 × 30,000: a few bytes that would want 900 MB.
    const huge = Buffer.alloc(64);
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]).copy(huge, 0);
    huge.write('IHDR', 12, 'latin1');
    huge.writeUInt32BE(30_000, 16);
    huge.writeUInt32BE(30_000, 20);
    await using pool = new ExtractorPool({ threads: 1 });
    await expect(
      pool.run({
        url: 'https://example.org/huge.png',
        contentType: 'image/png',
        body: Uint8Array.from(huge),
      }),
    ).rejects.toMatchObject({
      code: 'image_too_large',
      message: expect.stringContaining('30000 × 30000'),
    });
    const next = await pool.run({
      url: 'https://example.org/next.png',
      contentType: 'image/png',
      body: await sentenceImage(SENTENCE, 'png'),
    });
    expect(words(next.text)).toContain('lazy dog');
  });

  it('fails with ocr_language_unavailable for a language whose data is not installed', async () => {
    const body = await sentenceImage(SENTENCE, 'png');
    await expect(
      extractDocument({
        url: 'https://example.org/a.png',
        contentType: 'image/png',
        body,
        ocrLanguages: ['xyz'],
      }),
    ).rejects.toMatchObject({
      code: 'ocr_language_unavailable',
      message: expect.stringContaining('`xyz`'),
    });
  });

  it('reads an image that lies about its type (a PNG served as a PDF)', async () => {
    const body = await sentenceImage(SENTENCE, 'png');
    const document = await extractDocument({
      url: 'https://example.org/report.pdf',
      contentType: 'application/pdf',
      body,
    });
    expect(document).toMatchObject({ mimeType: 'image/png', extractor: 'ocr' });
  });

  it('reads sizes from the headers of GIF, WebP and JPEG without decoding', () => {
    const gif = Buffer.from('GIF89a\x40\x01\xf0\x00', 'latin1');
    expect(imageDimensions('image/gif', gif)).toEqual({ width: 320, height: 240 });
    const webp = Buffer.alloc(30);
    webp.write('RIFF', 0, 'latin1');
    webp.write('WEBPVP8X', 8, 'latin1');
    webp.writeUIntLE(1999, 24, 3);
    webp.writeUIntLE(999, 27, 3);
    expect(imageDimensions('image/webp', webp)).toEqual({ width: 2000, height: 1000 });
    const jpeg = Buffer.from([
      0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, 0xc0, 0, 11, 8, 0x01, 0x2c, 0x01, 0x90, 3, 0, 0, 0,
    ]);
    expect(imageDimensions('image/jpeg', jpeg)).toEqual({ width: 400, height: 300 });
    expect(imageDimensions('image/png', Buffer.from([0x89, 0x50]))).toBeNull();
  });
});

describe('OCR of scanned PDF pages', () => {
  it('reads the scanned page of a PDF through OCR, keeps the text layer of the other, and says which', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage([595, 842]).drawText('This first page has a real text layer with enough words in it.', {
      x: 50,
      y: 780,
      size: 12,
      font,
    });
    const scan = await pdf.embedPng(await sentenceImage(SCANNED, 'png'));
    // The image of a page: no text layer at all, as a scanner writes it.
    pdf.addPage([620, 160]).drawImage(scan, { x: 0, y: 0, width: 620, height: 160 });
    const document = await extractDocument({
      url: 'https://example.org/scan.pdf',
      contentType: 'application/pdf',
      body: await pdf.save(),
    });
    expect(document.extractor).toBe('pdf');
    expect(document.text).toContain('This first page has a real text layer');
    expect(words(document.text)).toContain(words(SCANNED));
    expect(document.metadata).toMatchObject({ pageCount: 2, ocrPages: '2' });
    expect(document.metadata.ocrConfidence).toBeGreaterThan(60);
    expect(document.metadata.ocrSkippedPages).toBeUndefined();
  });

  it('OCRs at most DISTILL_OCR_MAX_PAGES pages and lists the ones it left', async () => {
    const pdf = await PDFDocument.create();
    const scan = await pdf.embedPng(await sentenceImage(SCANNED, 'png'));
    for (let i = 0; i < 3; i++)
      pdf.addPage([620, 160]).drawImage(scan, { x: 0, y: 0, width: 620, height: 160 });
    const document = await extractDocument({
      url: 'https://example.org/three.pdf',
      contentType: 'application/pdf',
      body: await pdf.save(),
      ocrMaxPages: 1,
    });
    expect(document.metadata).toMatchObject({ pageCount: 3, ocrPages: '1', ocrSkippedPages: '2,3' });
    expect(words(document.text)).toContain(words(SCANNED));
  });
});

describe('encrypted PDF', () => {
  it('fails with encrypted_document', async () => {
    const pdf = await PDFDocument.create();
    const font = await pdf.embedFont(StandardFonts.Helvetica);
    pdf.addPage().drawText('Locked words.', { x: 50, y: 700, size: 12, font });
    // The Standard security handler with a user password: its /U entry matches no empty password.
    const context = pdf.context;
    const encrypt = context.obj({
      Filter: 'Standard',
      V: 1,
      R: 2,
      Length: 40,
      P: -44,
      O: PDFHexString.of('a1'.repeat(32)),
      U: PDFHexString.of('b2'.repeat(32)),
    });
    context.trailerInfo.Encrypt = context.register(encrypt);
    context.trailerInfo.ID = context.obj([
      PDFHexString.of('c3'.repeat(16)),
      PDFHexString.of('c3'.repeat(16)),
    ]);
    const body = await pdf.save({ useObjectStreams: false });
    await expect(
      extractDocument({ url: 'https://example.org/locked.pdf', contentType: 'application/pdf', body }),
    ).rejects.toMatchObject({
      code: 'encrypted_document',
    });
  });
});
