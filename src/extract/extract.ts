import { decodeText } from './decode.js';
import { extractDocx } from './docx/extract-docx.js';
import { ExtractionFailedError } from './errors.js';
import { extractHtml } from './html/extract-html.js';
import { extractCsv } from './office/extract-csv.js';
import { extractEpub } from './office/extract-epub.js';
import { extractOds } from './office/extract-ods.js';
import { extractOdt } from './office/extract-odt.js';
import { extractPptx } from './office/extract-pptx.js';
import { extractRtf } from './office/extract-rtf.js';
import { extractXlsx } from './office/extract-xlsx.js';
import { DEFAULT_SHEET_LIMITS } from './office/sheet-table.js';
import { extractImage } from './ocr/extract-image.js';
import { DEFAULT_OCR_SETTINGS, type OcrSettings } from './ocr/tesseract.js';
import { extractPdf } from './pdf/extract-pdf.js';
import { extractSource } from './text/extract-source.js';
import { sniffContentType } from './sniff.js';
import { extractPlainText } from './text/extract-text.js';
import type { DocumentFormat, ExtractedDocument, ExtractInput } from './types.js';
import { DistillError } from '../lib/index.js';

/** Formats produced when the input does not say. */
export const DEFAULT_FORMATS: readonly DocumentFormat[] = ['text', 'markdown', 'links'];

/**
 * Extracts one document from the bytes of a response: chooses the path by Content-Type and by
 * sniffing (never by the URL), decodes text, and runs the extractor of its format.
 * @throws {UnsupportedContentTypeError} when the body is not something we extract.
 * @throws {ExtractionFailedError} when a supported body cannot be parsed.
 */
export async function extractDocument(input: ExtractInput): Promise<ExtractedDocument> {
  const formats = new Set(input.formats ?? DEFAULT_FORMATS);
  const { kind, mimeType } = sniffContentType(input.contentType, input.body);
  const { url, maxInflatedBytes } = input;
  const limits = {
    maxRows: input.maxSheetRows ?? DEFAULT_SHEET_LIMITS.maxRows,
    maxColumns: input.maxSheetColumns ?? DEFAULT_SHEET_LIMITS.maxColumns,
  };
  const ocr: OcrSettings = {
    languages: input.ocrLanguages ?? DEFAULT_OCR_SETTINGS.languages,
    pageTimeoutMs: input.ocrPageTimeoutMs ?? DEFAULT_OCR_SETTINGS.pageTimeoutMs,
    maxPages: input.ocrMaxPages ?? DEFAULT_OCR_SETTINGS.maxPages,
    maxImagePixels: input.maxImagePixels ?? DEFAULT_OCR_SETTINGS.maxImagePixels,
  };
  const text = (): string => decodeText(input.body, input.contentType, { isHtml: false }).text;
  try {
    switch (kind) {
      case 'pdf':
        return await extractPdf(input.body, {
          url: input.url,
          formats,
          ocr: { ...ocr, deadlineAt: input.deadlineAt ?? Date.now() + 60_000 },
        });
      case 'docx': {
        return await extractDocx(input.body, {
          url: input.url,
          formats,
          maxInflatedBytes: input.maxInflatedBytes,
        });
      }
      case 'xlsx':
        return await extractXlsx(input.body, { url, formats, maxInflatedBytes, limits });
      case 'ods':
        return await extractOds(input.body, { url, formats, maxInflatedBytes, limits });
      case 'pptx':
        return await extractPptx(input.body, {
          url,
          formats,
          maxInflatedBytes,
          includeNotes: input.includeSlideNotes,
        });
      case 'odt':
        return await extractOdt(input.body, { url, formats, maxInflatedBytes });
      case 'epub':
        return await extractEpub(input.body, { url, formats, maxInflatedBytes });
      case 'csv':
        return extractCsv(text(), { url, formats, mimeType, limits });
      case 'json':
      case 'xml':
        return extractSource(text(), { url, formats, mimeType, language: kind });
      case 'image':
        return await extractImage(input.body, { url, formats, mimeType, ocr });
      case 'rtf':
        return extractRtf(input.body, { url, formats });
      case 'html':
        return extractHtml(decodeText(input.body, input.contentType, { isHtml: true }).text, {
          url: input.url,
          formats,
          mimeType,
        });
      case 'text':
      case 'markdown':
        return extractPlainText(decodeText(input.body, input.contentType, { isHtml: false }).text, {
          url: input.url,
          formats,
          mimeType,
        });
    }
  } catch (error) {
    if (error instanceof DistillError) throw error;
    throw new ExtractionFailedError(
      `Cannot extract ${mimeType} from ${input.url}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}
