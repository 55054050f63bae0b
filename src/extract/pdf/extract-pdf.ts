import { extractLinks, extractText, getDocumentProxy, getMeta } from 'unpdf';
import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { EncryptedDocumentError, ExtractionFailedError } from '../errors.js';
import { needsOcr, ocrPdfPages, type PdfOcrResult } from '../ocr/ocr-pdf-pages.js';
import type { OcrSettings } from '../ocr/tesseract.js';
import { clean } from '../html/metadata.js';
import { countWords } from '../html/count-words.js';
import { DistillError } from '../../lib/index.js';
import { firstLineTitle, linksInText, textToMarkdown } from '../text/extract-text.js';

/** Options of {@link extractPdf}. */
export interface PdfExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  /** OCR of pages whose text layer is missing or garbage; omitted: text layer only. */
  ocr?: OcrSettings & { deadlineAt: number };
}

/** `D:20240102030405+01'00'` (PDF date) → ISO 8601, or null. */
function pdfDate(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const match = /^D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(Z|[+-]\d{2}'?\d{2}'?)?/.exec(value);
  if (!match) return null;
  const [, year, month = '01', day = '01', hour = '00', minute = '00', second = '00', zone] = match;
  const offset = !zone || zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-3, -1).replace("'", '') || '00'}`;
  const time = Date.parse(`${year}-${month}-${day}T${hour}:${minute}:${second}${offset}`);
  return Number.isNaN(time) ? null : new Date(time).toISOString();
}

/** Which pages OCR read (1-based, comma-separated), their mean word confidence, and what it left out. */
function ocrMetadata(ocr: PdfOcrResult | null): Record<string, string | number | null> {
  if (ocr === null || (ocr.pages.length === 0 && ocr.skipped.length === 0)) return {};
  return {
    ocrPages: ocr.pages.join(','),
    ocrConfidence: ocr.confidence,
    ...(ocr.skipped.length > 0 ? { ocrSkippedPages: ocr.skipped.join(',') } : {}),
    ...(ocr.unavailable !== null ? { ocrUnavailable: ocr.unavailable } : {}),
  };
}

/** Extracts text, title, author and page count of a PDF with pdf.js (through unpdf). */
export async function extractPdf(body: Uint8Array, options: PdfExtractOptions): Promise<ExtractedDocument> {
  const { url, formats } = options;
  // pdf.js's proxy type refers to DOM types this project does not compile with: keep it opaque.
  let pdf: unknown;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(body), { isEvalSupported: false, useSystemFonts: false, verbosity: 0 });
  } catch (error) {
    // pdf.js names it PasswordException: a user password is set (one with an empty password opens).
    if ((error as Error | null)?.name === 'PasswordException') {
      throw new EncryptedDocumentError(`The PDF at ${url} is encrypted with a password; distill cannot read it`, { cause: error });
    }
    throw new ExtractionFailedError(`Cannot open the PDF at ${url}: ${(error as Error).message}`, { cause: error });
  }
  let ocr: PdfOcrResult | null = null;
  try {
    const [{ totalPages, text: pages }, meta, links] = await Promise.all([
      extractText(pdf as never, { mergePages: false }),
      getMeta(pdf as never).catch(() => null),
      formats.has('links') ? extractLinks(pdf as never).then((result) => result.links).catch(() => []) : Promise.resolve([] as string[]),
    ]);
    if (options.ocr && options.ocr.maxPages > 0) {
      const wanting = pages.flatMap((page, index) => (needsOcr(page) ? [index] : []));
      ocr = await ocrPdfPages(body, wanting, options.ocr);
      for (const [index, pageText] of ocr.texts) pages[index] = pageText;
    }
    const text = pages
      .map((page) => page.replace(/[ \t]+\n/g, '\n').replace(/\n{3,}/g, '\n\n').trim())
      .filter(Boolean)
      .join('\n\n');
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const infoString = (key: string): string | null => (typeof info[key] === 'string' ? clean(info[key]) : null);
    const title = infoString('Title') ?? firstLineTitle(text);
    const uniqueLinks = new Set<string>([...links, ...linksInText(text)].filter((link) => /^https?:\/\//i.test(link)));
    return {
      url,
      canonicalUrl: null,
      mimeType: 'application/pdf',
      title,
      byline: infoString('Author'),
      description: infoString('Subject'),
      siteName: null,
      lang: infoString('Language'),
      publishedTime: pdfDate(info.CreationDate),
      text: formats.has('text') ? text : '',
      markdown: formats.has('markdown') ? textToMarkdown(text) : null,
      html: null,
      links: formats.has('links') ? [...uniqueLinks] : [],
      wordCount: countWords(text),
      extractor: 'pdf',
      quality: { path: 'whole', textLength: text.length, linkDensity: 0, wall: null },
      metadata: {
        author: infoString('Author'),
        pageCount: totalPages,
        creator: infoString('Creator'),
        producer: infoString('Producer'),
        keywords: infoString('Keywords'),
        modifiedTime: pdfDate(info.ModDate),
        ...ocrMetadata(ocr),
      },
    };
  } catch (error) {
    if (error instanceof DistillError) throw error;
    throw new ExtractionFailedError(`Cannot read the text of the PDF at ${url}: ${(error as Error).message}`, { cause: error });
  } finally {
    await (pdf as { destroy(): Promise<void> }).destroy().catch(() => undefined);
  }
}
