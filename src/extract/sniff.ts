import { isValidUtf8 } from './decode.js';
import { UnsupportedContentTypeError } from './errors.js';

/** The extraction paths distill has. */
export type ContentKind =
  | 'html'
  | 'pdf'
  | 'docx'
  | 'xlsx'
  | 'pptx'
  | 'odt'
  | 'ods'
  | 'epub'
  | 'csv'
  | 'json'
  | 'xml'
  | 'rtf'
  | 'image'
  | 'text'
  | 'markdown';

/** The chosen extraction path and the media type reported on the document. */
export interface SniffResult {
  kind: ContentKind;
  mimeType: string;
}

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** Zip-based formats by the media type a server or an ODF/EPUB `mimetype` entry gives. */
const ZIP_TYPES: Record<string, ContentKind> = {
  [DOCX_TYPE]: 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/epub+zip': 'epub',
};
const MIME_OF_KIND = new Map<ContentKind, string>(
  Object.entries(ZIP_TYPES).map(([type, kind]) => [kind, type]),
);

/** Image formats OCR reads, by signature. */
const IMAGE_SIGNATURES: readonly { type: string; test: (body: Uint8Array) => boolean }[] = [
  { type: 'image/png', test: (b) => b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 },
  { type: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46 && b[3] === 0x38 },
  { type: 'image/webp', test: (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP' },
  { type: 'image/tiff', test: (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*' },
];

/** Media types that say nothing about the bytes: we sniff them like a missing header. */
const GENERIC_TYPES = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  'application/unknown',
  'application/x-unknown',
  'application/binary',
  'application/download',
  'application/x-download',
  'application/force-download',
  'unknown/unknown',
  'content/unknown',
]);

const HTML_START =
  /^(?:<!doctype\s+html|<html|<head|<body|<script|<iframe|<h[1-6]|<div|<font|<table|<a[\s>]|<style|<title|<b[\s>]|<p[\s>]|<br|<meta|<link|<!--|<\?xml[^>]*>\s*<(?:!doctype\s+)?html)/i;

/** The media type of a Content-Type header, lower-cased, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  // A truncated header may ask for bytes past the end: they read as nothing.
  const from = Math.min(start, bytes.length);
  return Buffer.from(
    bytes.buffer,
    bytes.byteOffset + from,
    Math.max(0, Math.min(end, bytes.length) - from),
  ).toString('latin1');
}

function isPdf(body: Uint8Array): boolean {
  // The header may follow some junk; readers accept it within the first KB.
  return ascii(body, 0, 1024).includes('%PDF-');
}

function isZip(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0x50 && body[1] === 0x4b && body[2] === 0x03 && body[3] === 0x04;
}

/**
 * Which office format a zip holds: ODF and EPUB name their type in a stored `mimetype` first entry;
 * OOXML is known by its part folders, whose names sit in the local headers (start) and in the
 * central directory (end). Null for any other zip.
 */
function zipKind(body: Uint8Array): ContentKind | null {
  if (!isZip(body)) return null;
  const nameLength = body[26]! | (body[27]! << 8);
  const extraLength = body[28]! | (body[29]! << 8);
  if (ascii(body, 30, 30 + nameLength) === 'mimetype') {
    const start = 30 + nameLength + extraLength;
    // The entry is stored; its size may sit in a data descriptor after it, so match by prefix.
    const declared = ascii(body, start, start + 100);
    const type = Object.keys(ZIP_TYPES).find((candidate) => declared.startsWith(candidate));
    if (type) return ZIP_TYPES[type]!;
  }
  const window = 64 * 1024;
  const names = ascii(body, 0, window) + ascii(body, Math.max(0, body.length - window), body.length);
  if (names.includes('word/document')) return 'docx';
  if (names.includes('xl/workbook')) return 'xlsx';
  if (names.includes('ppt/presentation')) return 'pptx';
  if (names.includes('word/')) return 'docx';
  if (names.includes('META-INF/container.xml') && names.includes('.opf')) return 'epub';
  return null;
}

function imageType(body: Uint8Array): string | null {
  return body.length >= 12
    ? (IMAGE_SIGNATURES.find((signature) => signature.test(body))?.type ?? null)
    : null;
}

function isRtf(body: Uint8Array): boolean {
  return ascii(body, 0, 5) === '{\\rtf';
}

/** True when the bytes start like an HTML document (the WHATWG sniffing table, loosely). */
export function looksLikeHtml(body: Uint8Array): boolean {
  let start = 0;
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) start = 3;
  const head = ascii(body, start, start + 2048).trimStart();
  if (HTML_START.test(head)) return true;
  return /<html[\s>]|<body[\s>]/i.test(head.slice(0, 1024));
}

function looksLikeText(body: Uint8Array): boolean {
  const sample = body.subarray(0, 64 * 1024);
  if (sample.includes(0)) return false;
  // A cut in the middle of a multi-byte character at the end of the sample is not an error.
  return isValidUtf8(sample.length === body.length ? sample : sample.subarray(0, trimPartialUtf8(sample)));
}

function trimPartialUtf8(bytes: Uint8Array): number {
  const end = bytes.length;
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = bytes[end - i]!;
    if ((byte & 0xc0) === 0xc0) return end - i;
    if ((byte & 0x80) === 0) break;
  }
  return end;
}

/** Chooses by the bytes alone, for a missing or generic Content-Type. */
function sniffBytes(body: Uint8Array, declared: string): SniffResult {
  if (isPdf(body)) return { kind: 'pdf', mimeType: 'application/pdf' };
  const zip = zipKind(body);
  if (zip) return { kind: zip, mimeType: MIME_OF_KIND.get(zip)! };
  if (isZip(body))
    throw new UnsupportedContentTypeError(
      'application/zip',
      'Cannot extract a ZIP archive that is not an office document or EPUB',
    );
  const image = imageType(body);
  if (image) return { kind: 'image', mimeType: image };
  if (isRtf(body)) return { kind: 'rtf', mimeType: 'application/rtf' };
  if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
  if (body.length > 0 && looksLikeText(body)) return { kind: 'text', mimeType: 'text/plain' };
  throw new UnsupportedContentTypeError(
    declared || 'application/octet-stream',
    `Cannot extract binary content of type \`${declared || 'unknown'}\``,
  );
}

/**
 * Chooses the extraction path from the Content-Type header, sniffing the bytes when the header is
 * missing, generic or contradicted by an unmistakable signature. Never looks at the URL: an `.html`
 * URL may serve a PDF and a `.pdf` URL a login page.
 * @throws {UnsupportedContentTypeError} for images, archives, media and unknown binary data.
 */
export function sniffContentType(contentType: string | undefined, body: Uint8Array): SniffResult {
  const declared = mediaType(contentType);
  if (GENERIC_TYPES.has(declared)) return sniffBytes(body, declared);
  // A PDF signature cannot be anything else, whatever the server says.
  if (isPdf(body) && !looksLikeHtml(body)) return { kind: 'pdf', mimeType: 'application/pdf' };

  if (declared === 'text/html' || declared === 'application/xhtml+xml')
    return { kind: 'html', mimeType: declared };
  if (declared === 'application/pdf' || declared === 'application/x-pdf') {
    // Not a PDF after all: typically an HTML error or login page served with the file's type, or a
    // scan saved as an image under a .pdf name.
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    const image = imageType(body);
    if (image) return { kind: 'image', mimeType: image };
    throw new UnsupportedContentTypeError(declared, 'The body is served as a PDF but is not one');
  }
  const declaredZip = ZIP_TYPES[declared];
  if (declaredZip || declared === 'application/zip') {
    // The bytes decide: a server may call a deck a workbook, or serve a login page as either.
    const zip = zipKind(body);
    if (zip) return { kind: zip, mimeType: MIME_OF_KIND.get(zip)! };
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    throw new UnsupportedContentTypeError(declared, `The body is served as ${declared} but is not one`);
  }
  if (declared.startsWith('image/')) {
    const image = imageType(body);
    if (image) return { kind: 'image', mimeType: image };
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    throw new UnsupportedContentTypeError(
      declared,
      `The body is served as ${declared} but is not an image distill reads (PNG, JPEG, GIF, WebP, TIFF)`,
    );
  }
  if (declared === 'application/rtf' || declared === 'text/rtf') {
    if (isRtf(body)) return { kind: 'rtf', mimeType: 'application/rtf' };
    throw new UnsupportedContentTypeError(declared, 'The body is served as RTF but is not one');
  }
  // A binary signature wins over a text type (a server labelling every file text/plain).
  const zip = zipKind(body);
  if (zip) return { kind: zip, mimeType: MIME_OF_KIND.get(zip)! };
  if (declared === 'text/markdown' || declared === 'text/x-markdown')
    return { kind: 'markdown', mimeType: 'text/markdown' };
  if (declared === 'text/csv' || declared === 'text/tab-separated-values' || declared === 'application/csv')
    return { kind: 'csv', mimeType: declared === 'application/csv' ? 'text/csv' : declared };
  if (declared.endsWith('/xml') || declared.endsWith('+xml')) {
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    return { kind: 'xml', mimeType: declared };
  }
  if (declared === 'application/json' || declared.endsWith('+json'))
    return { kind: 'json', mimeType: declared };
  if (declared.startsWith('text/')) {
    // Browsers sniff text/plain for binary; some servers label everything text/plain.
    if (declared === 'text/plain' && body.subarray(0, 64 * 1024).includes(0))
      return sniffBytes(body, declared);
    return { kind: 'text', mimeType: declared };
  }
  throw new UnsupportedContentTypeError(declared);
}
