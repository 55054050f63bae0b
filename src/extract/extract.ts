import { decodeText } from './decode.js';
import { extractDocx } from './docx/extract-docx.js';
import { ExtractionFailedError } from './errors.js';
import { extractHtml } from './html/extract-html.js';
import { extractPdf } from './pdf/extract-pdf.js';
import { sniffContentType } from './sniff.js';
import { extractPlainText } from './text/extract-text.js';
import type { DocumentFormat, ExtractedDocument, ExtractInput } from './types.js';
import { DistillError } from '../lib/index.js';

/** Formats produced when the input does not say. */
export const DEFAULT_FORMATS: readonly DocumentFormat[] = ['text', 'markdown', 'links'];

/**
 * Extracts one document from the bytes of a response: chooses the path by Content-Type and by
 * sniffing (never by the URL), decodes text, and runs the HTML, PDF, DOCX or text extractor.
 * @throws {UnsupportedContentTypeError} when the body is not something we extract.
 * @throws {ExtractionFailedError} when a supported body cannot be parsed.
 */
export async function extractDocument(input: ExtractInput): Promise<ExtractedDocument> {
  const formats = new Set(input.formats ?? DEFAULT_FORMATS);
  const { kind, mimeType } = sniffContentType(input.contentType, input.body);
  try {
    switch (kind) {
      case 'pdf':
        return await extractPdf(input.body, { url: input.url, formats });
      case 'docx': {
        return await extractDocx(input.body, { url: input.url, formats, maxInflatedBytes: input.maxInflatedBytes });
      }
      case 'html':
        return extractHtml(decodeText(input.body, input.contentType, { isHtml: true }).text, { url: input.url, formats, mimeType });
      case 'text':
      case 'markdown':
        return extractPlainText(decodeText(input.body, input.contentType, { isHtml: false }).text, { url: input.url, formats, mimeType });
    }
  } catch (error) {
    if (error instanceof DistillError) throw error;
    throw new ExtractionFailedError(`Cannot extract ${mimeType} from ${input.url}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}
