import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BoundedRunError, runBounded } from './run-bounded.js';
import { checkLanguages, ocrImage, OcrUnavailableError, type OcrSettings } from './tesseract.js';

/** Shortest text layer (non-space characters) a page may have and still be taken as it is. */
const MIN_PAGE_CHARACTERS = 16;
/** Resolution pages are rendered at for Tesseract, which reads best near 300 dpi. */
const RENDER_DPI = 300;
/** A greyscale A4 page at 300 dpi is about 1 MB of PNG; a page larger than this is not OCR'd. */
const MAX_PAGE_PNG_BYTES = 64 * 1024 * 1024;

/**
 * Is this text layer missing or garbage? Empty or nearly empty (a scan has at most a page number),
 * or mostly not letters and digits: glyphs without a Unicode mapping come out as U+FFFD, private-use
 * code points, control characters or runs of symbols.
 */
export function needsOcr(pageText: string): boolean {
  const visible = pageText.replace(/\s+/g, '');
  if (visible.length < MIN_PAGE_CHARACTERS) return true;
  const wordLike = visible.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
  const broken = visible.match(/[\uFFFD\p{Co}\p{Cc}]/gu)?.length ?? 0;
  return wordLike / visible.length < 0.5 || broken / visible.length > 0.1;
}

/** What OCR made of a PDF's pages. */
export interface PdfOcrResult {
  /** Text by page index (0-based) for the pages OCR read. */
  texts: Map<number, string>;
  /** 1-based numbers of the pages OCR read. */
  pages: number[];
  /** Mean word confidence over those pages (0..100), null when no word was read. */
  confidence: number | null;
  /** Pages that needed OCR and did not get it: over the page cap, out of time, or failed. */
  skipped: number[];
  /** Why OCR did not run at all (no Tesseract on this machine), or null. */
  unavailable: string | null;
}

/**
 * Renders each page that needs OCR (pdftoppm, greyscale PNG at 300 dpi) and reads it with
 * Tesseract, up to `maxPages` pages, each within `pageTimeoutMs` and all before `deadlineAt` (the
 * extraction's own time limit, so that no child outlives its thread). A page that fails or runs
 * out of time keeps its text layer and is listed in `skipped`.
 */
export async function ocrPdfPages(
  body: Uint8Array,
  pageIndexes: readonly number[],
  settings: OcrSettings & { deadlineAt: number },
): Promise<PdfOcrResult> {
  const result: PdfOcrResult = {
    texts: new Map(),
    pages: [],
    confidence: null,
    skipped: [],
    unavailable: null,
  };
  if (pageIndexes.length === 0) return result;
  try {
    await checkLanguages(settings.languages);
  } catch (error) {
    if (!(error instanceof OcrUnavailableError)) throw error;
    return { ...result, skipped: pageIndexes.map((i) => i + 1), unavailable: error.message };
  }
  const dir = await mkdtemp(join(tmpdir(), 'distill-ocr-'));
  let confidenceSum = 0;
  let words = 0;
  try {
    const file = join(dir, 'document.pdf');
    await writeFile(file, body);
    for (const [n, index] of pageIndexes.entries()) {
      const left = settings.deadlineAt - Date.now();
      if (n >= settings.maxPages || left < 1000) {
        result.skipped.push(index + 1);
        continue;
      }
      const budget = Math.min(settings.pageTimeoutMs, left);
      const startedAt = Date.now();
      try {
        const page = String(index + 1);
        const png = await runBounded(
          'pdftoppm',
          ['-f', page, '-l', page, '-r', String(RENDER_DPI), '-gray', '-png', '-singlefile', file],
          {
            timeoutMs: budget,
            maxOutputBytes: MAX_PAGE_PNG_BYTES,
          },
        );
        const read = await ocrImage(png, settings.languages, Math.max(1, budget - (Date.now() - startedAt)));
        result.texts.set(index, read.text);
        result.pages.push(index + 1);
        if (read.confidence !== null) {
          confidenceSum += read.confidence * read.words;
          words += read.words;
        }
      } catch (error) {
        if (error instanceof BoundedRunError && error.failure === 'missing') {
          return {
            ...result,
            skipped: pageIndexes.map((i) => i + 1),
            unavailable:
              'OCR of PDF pages needs pdftoppm (Debian: poppler-utils), which is not installed here',
          };
        }
        if (error instanceof OcrUnavailableError)
          return { ...result, skipped: pageIndexes.map((i) => i + 1), unavailable: error.message };
        if (!(error instanceof BoundedRunError)) throw error;
        result.skipped.push(index + 1);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  result.confidence = words > 0 ? Math.round((confidenceSum / words) * 10) / 10 : null;
  return result;
}
