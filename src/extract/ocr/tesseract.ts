import { PermanentError } from '../../lib/index.js';
import { BoundedRunError, runBounded } from './run-bounded.js';

/*
 * Why Debian's tesseract (5.x, a child process) and not tesseract.js: tesseract.js runs the same
 * engine compiled to WebAssembly, two to three times slower, and fetches its language data from a
 * CDN at run time unless it is vendored (about 10 MB per language in npm packages that go stale);
 * its workers hold 100+ MB of heap each inside our extraction threads, where the heap limit would
 * kill them. The native binary runs outside the thread's heap, is killed at its time limit like
 * any child (SIGKILL, see run-bounded.ts), reads PNG, JPEG, GIF, WebP and TIFF through leptonica,
 * and its languages are the distribution's packages (`tesseract-ocr-deu`, ...).
 */

/** What OCR may spend on one document. */
export interface OcrSettings {
  /** Tesseract languages, e.g. `['eng', 'deu']`. */
  languages: readonly string[];
  /** Time limit of one page (one image), in ms. */
  pageTimeoutMs: number;
  /** Most pages of one PDF that go through OCR; the rest keep their text layer. */
  maxPages: number;
  /** Largest image (width × height) read; a larger one fails with `image_too_large`. */
  maxImagePixels: number;
}

export const DEFAULT_OCR_SETTINGS: Readonly<OcrSettings> = {
  languages: ['eng'],
  pageTimeoutMs: 20_000,
  maxPages: 20,
  maxImagePixels: 50_000_000,
};

/** Text Tesseract read from one image, and its mean word confidence (0..100; null without words). */
export interface OcrPage {
  text: string;
  confidence: number | null;
  words: number;
}

/** No `tesseract` (or `pdftoppm`) on this machine: install tesseract-ocr and poppler-utils. */
export class OcrUnavailableError extends PermanentError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ocr_unavailable', message, options);
  }
}

/** The job asks for a language whose Tesseract data is not installed. */
export class OcrLanguageUnavailableError extends PermanentError {
  constructor(message: string) {
    super('ocr_language_unavailable', message);
  }
}

const LANGUAGE = /^[a-z]{3}(_[a-z]{2,8})?$/;
/** Tesseract's text of one page stays far below this; more means something is wrong. */
const MAX_TSV_BYTES = 16 * 1024 * 1024;
/** One core per Tesseract: the machine's cores belong to the extraction threads. */
const TESSERACT_ENV = { ...process.env, OMP_THREAD_LIMIT: '1' };

let installed: Promise<Set<string>> | undefined;

function listLanguages(): Promise<Set<string>> {
  installed ??= runBounded('tesseract', ['--list-langs'], {
    timeoutMs: 10_000,
    maxOutputBytes: 1024 * 1024,
    env: TESSERACT_ENV,
  })
    .then(
      (out) =>
        new Set(
          out
            .toString('utf8')
            .split('\n')
            .slice(1)
            .map((line) => line.trim())
            .filter(Boolean),
        ),
    )
    .catch((error: unknown) => {
      installed = undefined;
      throw toOcrError(error);
    });
  return installed;
}

function toOcrError(error: unknown): unknown {
  if (error instanceof BoundedRunError && error.failure === 'missing') {
    return new OcrUnavailableError(
      'OCR needs Tesseract, which is not installed here (Debian: apt-get install tesseract-ocr tesseract-ocr-eng poppler-utils)',
      { cause: error },
    );
  }
  return error;
}

/** Checks that every language is a Tesseract code and installed here. */
export async function checkLanguages(languages: readonly string[]): Promise<void> {
  const bad = languages.find((language) => !LANGUAGE.test(language));
  if (bad !== undefined || languages.length === 0) {
    throw new OcrLanguageUnavailableError(
      `Expected OCR languages as Tesseract codes (eng, deu, chi_sim), got \`${bad ?? '(none)'}\``,
    );
  }
  const have = await listLanguages();
  const missing = languages.filter((language) => !have.has(language));
  if (missing.length > 0) {
    throw new OcrLanguageUnavailableError(
      `No Tesseract data for ${missing.map((l) => `\`${l}\``).join(', ')} on this worker (installed: ${[...have].filter((l) => l !== 'osd').join(', ') || 'none'}; Debian: tesseract-ocr-${missing[0]})`,
    );
  }
}

/** Words of Tesseract's TSV, back into lines and paragraphs, with their mean confidence. */
export function parseTsv(tsv: string): OcrPage {
  const paragraphs: string[][] = [];
  let current: string[] = [];
  let line: string[] = [];
  let lineKey = '';
  let paragraphKey = '';
  let confidenceSum = 0;
  let words = 0;
  const endLine = (): void => {
    if (line.length > 0) current.push(line.join(' '));
    line = [];
  };
  const endParagraph = (): void => {
    endLine();
    if (current.length > 0) paragraphs.push(current);
    current = [];
  };
  for (const row of tsv.split('\n').slice(1)) {
    const cells = row.split('\t');
    if (cells.length < 12 || cells[0] !== '5') continue;
    const text = cells.slice(11).join('\t').trim();
    const confidence = Number(cells[10]);
    if (text === '' || !(confidence >= 0)) continue;
    const paragraph = `${cells[1]}.${cells[2]}.${cells[3]}`;
    const key = `${paragraph}.${cells[4]}`;
    if (paragraph !== paragraphKey) endParagraph();
    else if (key !== lineKey) endLine();
    paragraphKey = paragraph;
    lineKey = key;
    line.push(text);
    confidenceSum += confidence;
    words++;
  }
  endParagraph();
  return {
    text: paragraphs.map((lines) => lines.join('\n')).join('\n\n'),
    confidence: words > 0 ? Math.round((confidenceSum / words) * 10) / 10 : null,
    words,
  };
}

/**
 * Reads the text of one image (PNG, JPEG, GIF, WebP, TIFF bytes) with Tesseract. Rejects with a
 * `BoundedRunError` of failure `timeout` past `timeoutMs`, `OcrUnavailableError` without Tesseract.
 */
export async function ocrImage(
  image: Uint8Array,
  languages: readonly string[],
  timeoutMs: number,
): Promise<OcrPage> {
  try {
    const tsv = await runBounded(
      'tesseract',
      ['stdin', 'stdout', '-l', languages.join('+'), '--psm', '3', 'tsv'],
      {
        input: image,
        timeoutMs,
        maxOutputBytes: MAX_TSV_BYTES,
        env: TESSERACT_ENV,
      },
    );
    return parseTsv(tsv.toString('utf8'));
  } catch (error) {
    throw toOcrError(error);
  }
}
