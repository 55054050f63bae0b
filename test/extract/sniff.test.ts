import { describe, expect, it } from 'vitest';
import { extractDocument, sniffContentType, UnsupportedContentTypeError } from '../../src/extract/index.js';

const utf8 = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);

describe('sniffContentType', () => {
  it('recognises a PDF served as application/octet-stream', () => {
    expect(sniffContentType('application/octet-stream', utf8('%PDF-1.7\n%âãÏÓ\n1 0 obj'))).toEqual({
      kind: 'pdf',
      mimeType: 'application/pdf',
    });
  });

  it('recognises HTML without a Content-Type', () => {
    expect(sniffContentType(undefined, utf8('\n  <!DOCTYPE html><html><body>hi</body></html>')).kind).toBe(
      'html',
    );
    expect(sniffContentType(undefined, utf8('<div><p>fragment</p></div>')).kind).toBe('html');
  });

  it('treats undeclared UTF-8 text as plain text', () => {
    expect(sniffContentType(undefined, utf8('Just some notes.\nSecond line.'))).toEqual({
      kind: 'text',
      mimeType: 'text/plain',
    });
  });

  it('follows the header for Markdown and HTML, not the URL', () => {
    expect(sniffContentType('text/markdown; charset=utf-8', utf8('# Title')).kind).toBe('markdown');
    expect(sniffContentType('text/html', utf8('plain words')).kind).toBe('html');
  });

  it('sends images to OCR by their signature, whatever the header says', () => {
    expect(sniffContentType('image/png', PNG)).toEqual({ kind: 'image', mimeType: 'image/png' });
    expect(sniffContentType(undefined, PNG)).toEqual({ kind: 'image', mimeType: 'image/png' });
    expect(() => sniffContentType('image/png', new TextEncoder().encode('not an image at all'))).toThrow(
      UnsupportedContentTypeError,
    );
    // A scan saved under a PDF's type is read as the image it is.
    expect(sniffContentType('application/pdf', PNG)).toEqual({ kind: 'image', mimeType: 'image/png' });
  });

  it('rejects archives and unknown binary with unsupported_content_type', () => {
    expect(() =>
      sniffContentType(
        'application/octet-stream',
        new Uint8Array([0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0, 0]),
      ),
    ).toThrow(expect.objectContaining({ code: 'unsupported_content_type' }));
    expect(() =>
      sniffContentType('application/octet-stream', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0])),
    ).toThrow(expect.objectContaining({ code: 'unsupported_content_type' }));
  });

  it('makes extractDocument reject unsupported bodies with the same error', async () => {
    await expect(
      extractDocument({
        url: 'https://example.com/x.html',
        contentType: 'application/zip',
        body: new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 0]),
      }),
    ).rejects.toMatchObject({
      name: 'UnsupportedContentTypeError',
      code: 'unsupported_content_type',
    });
  });
});

describe('EXTRACT_ERROR_CODES', () => {
  it('lists the code of every extraction error class', async () => {
    const extract = await import('../../src/extract/index.js');
    const codes = [
      new UnsupportedContentTypeError('image/png'),
      new extract.ExtractionFailedError('x'),
      new extract.ExtractionTimeoutError('x'),
      new extract.ExtractorBusyError('x'),
      new extract.DecompressionLimitError('x'),
      new extract.EncryptedDocumentError('x'),
      new extract.ImageTooLargeError('x'),
      new extract.OcrUnavailableError('x'),
      new extract.OcrLanguageUnavailableError('x'),
    ].map((error) => error.code);
    const { EXTRACT_ERROR_CODES } = extract;
    expect([...EXTRACT_ERROR_CODES].sort()).toEqual(codes.sort());
  });
});
