import mammoth from 'mammoth';
import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { parseDocument } from '../html/dom.js';
import { limitNesting } from '../nesting-limit.js';
import { collectLinks, countWords, toMarkdown, toText } from '../html/serialize.js';
import { firstLineTitle } from '../text/extract-text.js';
import { readZip, type ZipEntries } from '../zip-limits.js';

/** Options of {@link extractDocx}. */
export interface DocxExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  /** Bytes the document's zip may inflate to, in total. @default 52428800 (50 MiB) */
  maxInflatedBytes?: number;
}

/**
 * The zip file object mammoth reads parts from, over entries that {@link readZip} inflated within
 * the limits. mammoth's `openZip` takes it as `{ file }`, beside `{ buffer }`, which would have
 * JSZip inflate the untrusted archive again, with no limit. Not in mammoth's typings: if a
 * release drops it, every DOCX fails with "Could not find file in options" and the DOCX tests say so.
 */
function mammothZip(entries: ZipEntries): object {
  return {
    exists: (name: string): boolean => entries.has(name),
    read: (name: string, encoding?: string): Promise<Uint8Array | string> => {
      const data = entries.get(name);
      if (!data) return Promise.reject(new Error(`The DOCX has no part ${name}`));
      if (encoding === 'base64')
        return Promise.resolve(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'));
      return Promise.resolve(encoding ? new TextDecoder(encoding).decode(data) : data);
    },
    write: (name: string, contents: string | Uint8Array): void => {
      entries.set(name, typeof contents === 'string' ? Buffer.from(contents) : contents);
    },
    toArrayBuffer: (): never => {
      throw new Error('Writing a DOCX back is not supported');
    },
  };
}

/** Extracts a Word document: mammoth turns it into semantic HTML, which we serialise like a page. */
export async function extractDocx(body: Uint8Array, options: DocxExtractOptions): Promise<ExtractedDocument> {
  const { url, formats } = options;
  // Inflated within limits before mammoth sees any of it: a bomb stops here (decompression_limit).
  const entries = await readZip(body, { maxTotalBytes: options.maxInflatedBytes });
  let html: string;
  try {
    const result = await mammoth.convertToHtml({ file: mammothZip(entries) } as unknown as Parameters<
      typeof mammoth.convertToHtml
    >[0]);
    html = result.value;
  } catch (error) {
    throw new ExtractionFailedError(`Cannot read the DOCX document at ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // mammoth's HTML nests as deep as the document's tables and lists: the same caps as a page.
  const document = parseDocument(
    `<!DOCTYPE html><html><head></head><body>${limitNesting(html).html}</body></html>`,
  );
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
