import mammoth from 'mammoth';
import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { parseDocument } from '../html/dom.js';
import { collectLinks, countWords, toMarkdown, toText } from '../html/serialize.js';
import { firstLineTitle } from '../text/extract-text.js';

/** Options of {@link extractDocx}. */
export interface DocxExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
}

/** Extracts a Word document: mammoth turns it into semantic HTML, which we serialise like a page. */
export async function extractDocx(body: Uint8Array, options: DocxExtractOptions): Promise<ExtractedDocument> {
  const { url, formats } = options;
  let html: string;
  try {
    const result = await mammoth.convertToHtml({ buffer: Buffer.from(body.buffer, body.byteOffset, body.byteLength) });
    html = result.value;
  } catch (error) {
    throw new ExtractionFailedError(`Cannot read the DOCX document at ${url}: ${(error as Error).message}`, { cause: error });
  }
  const document = parseDocument(`<!DOCTYPE html><html><head></head><body>${html}</body></html>`);
  const root = document.body!;
  const { text } = toText(root);
  const heading = root.querySelector('h1, h2');
  const title = heading?.textContent?.replace(/\s+/g, ' ').trim() || firstLineTitle(text);
  return {
    url,
    canonicalUrl: null,
    mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    title: title ?? null,
    byline: null,
    description: null,
    siteName: null,
    lang: null,
    publishedTime: null,
    text: formats.has('text') ? text : '',
    markdown: formats.has('markdown') ? toMarkdown(root, url) : null,
    html: formats.has('html') ? html : null,
    links: formats.has('links') ? collectLinks(root, url, url) : [],
    wordCount: countWords(text),
    extractor: 'docx',
    quality: { path: 'whole', textLength: text.length, linkDensity: 0, wall: null },
    metadata: {},
  };
}
