import { countWords } from '../html/count-words.js';
import { ExtractionFailedError, ExtractionTimeoutError, ImageTooLargeError } from '../errors.js';
import { linksInText, textToMarkdown } from '../text/extract-text.js';
import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { imageDimensions } from './image-dimensions.js';
import { BoundedRunError } from './run-bounded.js';
import { checkLanguages, ocrImage, type OcrSettings } from './tesseract.js';

/** Options of {@link extractImage}. */
export interface ImageExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  /** The sniffed type: `image/png`, `image/jpeg`, `image/gif`, `image/webp` or `image/tiff`. */
  mimeType: string;
  ocr: OcrSettings;
}

/**
 * The text of an image, read by Tesseract. The header's size is checked first: an image over
 * `maxImagePixels` fails with `image_too_large` before any decoder allocates its pixels (a
 * 30,000 × 30,000 PNG of a few kilobytes would want 900 MB). A GIF is read from its first frame.
 */
export async function extractImage(
  body: Uint8Array,
  options: ImageExtractOptions,
): Promise<ExtractedDocument> {
  const { url, formats, mimeType, ocr } = options;
  const size = imageDimensions(mimeType, body);
  if (size === null)
    throw new ExtractionFailedError(
      `Cannot read the ${mimeType} image at ${url}: its header is cut or malformed`,
    );
  const pixels = size.width * size.height;
  if (pixels > ocr.maxImagePixels) {
    throw new ImageTooLargeError(
      `The image at ${url} is ${size.width} × ${size.height} pixels, over the limit of ${ocr.maxImagePixels} (DISTILL_OCR_MAX_IMAGE_PIXELS)`,
    );
  }
  await checkLanguages(ocr.languages);
  let page;
  try {
    page = await ocrImage(body, ocr.languages, ocr.pageTimeoutMs);
  } catch (error) {
    if (error instanceof BoundedRunError && error.failure === 'timeout') {
      throw new ExtractionTimeoutError(
        `OCR of the image at ${url} took longer than ${ocr.pageTimeoutMs} ms (DISTILL_OCR_PAGE_TIMEOUT_MS)`,
        { cause: error },
      );
    }
    if (error instanceof BoundedRunError)
      throw new ExtractionFailedError(`Cannot OCR the image at ${url}: ${error.message}`, { cause: error });
    throw error;
  }
  const { text } = page;
  return {
    url,
    canonicalUrl: null,
    mimeType,
    title: null,
    byline: null,
    description: null,
    siteName: null,
    lang: null,
    publishedTime: null,
    text: formats.has('text') ? text : '',
    markdown: formats.has('markdown') ? textToMarkdown(text) : null,
    html: null,
    links: formats.has('links') ? linksInText(text) : [],
    wordCount: countWords(text),
    extractor: 'ocr',
    quality: { path: 'whole', textLength: text.length, linkDensity: 0, wall: null },
    metadata: {
      width: size.width,
      height: size.height,
      ocrPages: '1',
      ocrConfidence: page.confidence,
      ocrLanguages: ocr.languages.join('+'),
    },
  };
}
