import { getDocumentProxy, getMeta } from 'unpdf';
import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { EncryptedDocumentError, ExtractionFailedError } from '../errors.js';
import { needsOcr, ocrPdfPages, type PdfOcrResult } from '../ocr/ocr-pdf-pages.js';
import type { OcrSettings } from '../ocr/tesseract.js';
import { clean } from '../html/metadata.js';
import { countWords } from '../html/count-words.js';
import { DistillError } from '../../lib/index.js';
import { firstLineTitle, linksInText } from '../text/extract-text.js';
import { escapeMarkdownLineStarts } from '../markdown-escape.js';
import {
  buildBlocks,
  dropRunningLines,
  pageLines,
  type PdfBlock,
  type PdfLine,
  type PdfTextItem,
} from './pdf-layout.js';

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
  const offset =
    !zone || zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-3, -1).replace("'", '') || '00'}`;
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

/** The pdf.js document proxy, as far as this module uses it. */
interface PdfProxy {
  numPages: number;
  getPage(pageNumber: number): Promise<{
    getTextContent(): Promise<{ items: PdfTextItem[] }>;
    getAnnotations(): Promise<{ subtype?: string; url?: string; rect?: number[] }[]>;
  }>;
}

/**
 * Each page's lines, read one page at a time (no `page.cleanup()`: it made pdf.js load the fonts
 * again for each page, a third more CPU; `destroy()` frees it all at the end), and (when `withLinks`) the http(s) URIs of its link annotations.
 */
async function readPages(
  pdf: PdfProxy,
  withLinks: boolean,
): Promise<{ pages: PdfLine[][]; links: string[] }> {
  const pages: PdfLine[][] = [];
  const links: string[] = [];
  for (let pageNumber = 1; pageNumber <= pdf.numPages; pageNumber += 1) {
    const page = await pdf.getPage(pageNumber);
    const annotations = withLinks ? await page.getAnnotations().catch(() => []) : [];
    const areas = annotations.flatMap((annotation) =>
      annotation.subtype === 'Link' &&
      typeof annotation.url === 'string' &&
      /^https?:\/\//i.test(annotation.url) &&
      Array.isArray(annotation.rect)
        ? [{ rect: annotation.rect, url: annotation.url }]
        : [],
    );
    for (const area of areas) links.push(area.url);
    pages.push(pageLines((await page.getTextContent()).items, areas));
  }
  return { pages, links };
}

/** Blocks as Markdown: headings with `#` by rank, paragraphs escaped, list items and tables as built; a list's items one per line. */
function blocksToMarkdown(blocks: readonly PdfBlock[]): string {
  return joinBlocks(blocks, (block) => {
    if (block.kind !== undefined) return block.markdown;
    return block.level === 0
      ? escapeMarkdownLineStarts(block.markdown)
      : `${'#'.repeat(block.level)} ${block.markdown.replace(/#$/, '\\#')}`;
  });
}

/** Blocks joined by blank lines, but the items of one list by a line break. */
function joinBlocks(blocks: readonly PdfBlock[], render: (block: PdfBlock) => string): string {
  let out = '';
  blocks.forEach((block, index) => {
    if (index > 0) out += block.kind === 'list' && blocks[index - 1]!.kind === 'list' ? '\n' : '\n\n';
    out += render(block);
  });
  return out;
}

/** Extracts text, title, author and page count of a PDF with pdf.js (through unpdf). */
export async function extractPdf(body: Uint8Array, options: PdfExtractOptions): Promise<ExtractedDocument> {
  const { url, formats } = options;
  // pdf.js's proxy type refers to DOM types this project does not compile with: keep it opaque.
  let pdf: unknown;
  try {
    // pdf.js takes ownership of (detaches) the buffer it is given: hand it a copy.
    pdf = await getDocumentProxy(new Uint8Array(body), {
      isEvalSupported: false,
      useSystemFonts: false,
      verbosity: 0,
    });
  } catch (error) {
    // pdf.js names it PasswordException: a user password is set (one with an empty password opens).
    if ((error as Error | null)?.name === 'PasswordException') {
      throw new EncryptedDocumentError(
        `The PDF at ${url} is encrypted with a password; distill cannot read it`,
        { cause: error },
      );
    }
    throw new ExtractionFailedError(`Cannot open the PDF at ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let ocr: PdfOcrResult | null = null;
  try {
    const [{ pages: linePages, links }, meta] = await Promise.all([
      readPages(pdf as PdfProxy, formats.has('markdown') || formats.has('links')),
      getMeta(pdf as never).catch(() => null),
    ]);
    const totalPages = linePages.length;
    const ocrTexts = new Map<number, string>();
    if (options.ocr && options.ocr.maxPages > 0) {
      const wanting = linePages.flatMap((lines, index) =>
        needsOcr(lines.map((line) => line.text).join('\n')) ? [index] : [],
      );
      ocr = await ocrPdfPages(body, wanting, options.ocr);
      for (const [index, pageText] of ocr.texts) ocrTexts.set(index, pageText);
    }
    const kept = dropRunningLines(linePages.map((lines, index) => (ocrTexts.has(index) ? null : lines)));
    const blocks = buildBlocks(kept.map((lines, index) => lines ?? ocrTexts.get(index) ?? ''));
    const text = joinBlocks(blocks, (block) => block.text);
    const info = (meta?.info ?? {}) as Record<string, unknown>;
    const infoString = (key: string): string | null =>
      typeof info[key] === 'string' ? clean(info[key]) : null;
    const title =
      infoString('Title') ?? firstLineTitle(blocks.find((block) => block.level > 0)?.text ?? text);
    const uniqueLinks = new Set<string>(
      [...links, ...linksInText(text)].filter((link) => /^https?:\/\//i.test(link)),
    );
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
      markdown: formats.has('markdown') ? blocksToMarkdown(blocks) : null,
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
    throw new ExtractionFailedError(
      `Cannot read the text of the PDF at ${url}: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    await (pdf as { destroy(): Promise<void> }).destroy().catch(() => undefined);
  }
}
