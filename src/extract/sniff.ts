import { isValidUtf8 } from './decode.js';
import { UnsupportedContentTypeError } from './errors.js';

/** The extraction paths distill has. */
export type ContentKind = 'html' | 'pdf' | 'docx' | 'text' | 'markdown';

/** The chosen extraction path and the media type reported on the document. */
export interface SniffResult {
  kind: ContentKind;
  mimeType: string;
}

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

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
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, Math.max(0, Math.min(end, bytes.length) - start)).toString('latin1');
}

function isPdf(body: Uint8Array): boolean {
  // The header may follow some junk; readers accept it within the first KB.
  return ascii(body, 0, 1024).includes('%PDF-');
}

function isZip(body: Uint8Array): boolean {
  return body.length >= 4 && body[0] === 0x50 && body[1] === 0x4b && body[2] === 0x03 && body[3] === 0x04;
}

function isDocx(body: Uint8Array): boolean {
  if (!isZip(body)) return false;
  // Entry names sit in the local headers (start) and in the central directory (end).
  const window = 64 * 1024;
  return ascii(body, 0, window).includes('word/') || ascii(body, Math.max(0, body.length - window), body.length).includes('word/document');
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
  if (isDocx(body)) return { kind: 'docx', mimeType: DOCX_TYPE };
  if (isZip(body)) throw new UnsupportedContentTypeError('application/zip', 'Cannot extract a ZIP archive that is not a DOCX document');
  if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
  if (body.length > 0 && looksLikeText(body)) return { kind: 'text', mimeType: 'text/plain' };
  throw new UnsupportedContentTypeError(declared || 'application/octet-stream', `Cannot extract binary content of type \`${declared || 'unknown'}\``);
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

  if (declared === 'text/html' || declared === 'application/xhtml+xml') return { kind: 'html', mimeType: declared };
  if (declared === 'application/pdf' || declared === 'application/x-pdf') {
    // Not a PDF after all: typically an HTML error or login page served with the file's type.
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    throw new UnsupportedContentTypeError(declared, 'The body is served as a PDF but is not one');
  }
  if (declared === DOCX_TYPE) {
    if (isDocx(body)) return { kind: 'docx', mimeType: DOCX_TYPE };
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    throw new UnsupportedContentTypeError(declared, 'The body is served as a DOCX document but is not one');
  }
  if (declared === 'text/markdown' || declared === 'text/x-markdown') return { kind: 'markdown', mimeType: 'text/markdown' };
  if (declared.endsWith('/xml') || declared.endsWith('+xml')) {
    if (looksLikeHtml(body)) return { kind: 'html', mimeType: 'text/html' };
    throw new UnsupportedContentTypeError(declared);
  }
  if (declared.startsWith('text/') || declared === 'application/json' || declared.endsWith('+json')) {
    // Browsers sniff text/plain for binary; some servers label everything text/plain.
    if (declared === 'text/plain' && body.subarray(0, 64 * 1024).includes(0)) return sniffBytes(body, declared);
    return { kind: 'text', mimeType: declared };
  }
  throw new UnsupportedContentTypeError(declared);
}
