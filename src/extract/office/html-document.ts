import type { DocumentFormat, DocumentMetadata, ExtractedDocument, ExtractorPath } from '../types.js';
import { parseDocument } from '../html/dom.js';
import { limitNesting } from '../nesting-limit.js';
import { collectLinks, countWords, toMarkdown, toText } from '../html/serialize.js';
import { firstLineTitle } from '../text/extract-text.js';

/** What {@link documentFromHtml} needs besides the HTML. */
export interface HtmlDocumentOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  mimeType: string;
  extractor: ExtractorPath;
  title?: string | null;
  byline?: string | null;
  description?: string | null;
  lang?: string | null;
  publishedTime?: string | null;
  metadata?: DocumentMetadata;
}

/**
 * A document from the semantic HTML an office converter built (headings, paragraphs, lists,
 * tables, links; its text escaped): serialised by the same code as a page's main content, so every
 * format gets the same Markdown (GFM tables, escaping, no raw HTML) and plain text.
 */
export function documentFromHtml(html: string, options: HtmlDocumentOptions): ExtractedDocument {
  const { url, formats } = options;
  // Converted documents nest as deep as their lists and tables: the same caps as a page.
  const document = parseDocument(
    `<!DOCTYPE html><html><head></head><body>${limitNesting(html).html}</body></html>`,
  );
  const root = document.body!;
  const { text } = toText(root);
  const heading = root.querySelector('h1, h2');
  const title = options.title || heading?.textContent?.replace(/\s+/g, ' ').trim() || firstLineTitle(text);
  return {
    url,
    canonicalUrl: null,
    mimeType: options.mimeType,
    title: title ?? null,
    byline: options.byline ?? null,
    description: options.description ?? null,
    siteName: null,
    lang: options.lang ?? null,
    publishedTime: options.publishedTime ?? null,
    text: formats.has('text') ? text : '',
    markdown: formats.has('markdown') ? toMarkdown(root, url) : null,
    html: formats.has('html') ? html : null,
    links: formats.has('links') ? collectLinks(root, url, url) : [],
    wordCount: countWords(text),
    extractor: options.extractor,
    quality: { path: 'whole', textLength: text.length, linkDensity: 0, wall: null },
    metadata: options.metadata ?? {},
  };
}
