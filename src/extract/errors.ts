import { PermanentError, RetryableError } from '../lib/index.js';

/** The body is of a kind distill does not extract (image, archive, unknown binary...). */
export class UnsupportedContentTypeError extends PermanentError {
  /** The media type we saw or sniffed, e.g. `image/png`. */
  readonly mimeType: string;

  constructor(mimeType: string, message?: string, options?: { cause?: unknown }) {
    super('unsupported_content_type', message ?? `Cannot extract content of type \`${mimeType}\``, options);
    this.mimeType = mimeType;
  }
}

/** The body claimed a supported type but could not be parsed (corrupt PDF, broken DOCX...). */
export class ExtractionFailedError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('extraction_failed', message, options);
  }
}

/**
 * Extraction of one document took longer than its time limit. Permanent: the same bytes will take
 * just as long next time.
 */
export class ExtractionTimeoutError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('extraction_timeout', message, options);
  }
}

/**
 * A compressed container (the zip of a DOCX) inflates past its limit (`DISTILL_MAX_INFLATED_BYTES`),
 * by its declared sizes or by the bytes it actually produces: a decompression bomb, or a document
 * too big to extract. Permanent: the same bytes inflate the same way next time.
 */
export class DecompressionLimitError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('decompression_limit', message, options);
  }
}

/** Every thread of the extractor pool is busy and its queue is full: try again later. */
export class ExtractorBusyError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('extractor_busy', message, options);
  }
}

/** Every error code extraction can set on an item (the README documents each one). */
export const EXTRACT_ERROR_CODES = [
  'unsupported_content_type',
  'extraction_failed',
  'extraction_timeout',
  'extractor_busy',
  'decompression_limit',
  'encrypted_document',
  'image_too_large',
  'ocr_unavailable',
  'ocr_language_unavailable',
] as const;

/** An image declares more pixels than `DISTILL_OCR_MAX_IMAGE_PIXELS`: refused before it is decoded. */
export class ImageTooLargeError extends PermanentError {
  constructor(message: string) {
    super('image_too_large', message);
  }
}

/** The PDF is encrypted with a password (or permissions distill cannot open): nothing can be read. */
export class EncryptedDocumentError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('encrypted_document', message, options);
  }
}
