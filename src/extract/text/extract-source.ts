import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { countWords } from '../html/count-words.js';
import { markdownCodeFence } from '../markdown-escape.js';
import { linksInText } from './extract-text.js';

/** Options of {@link extractSource}. */
export interface SourceExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  mimeType: string;
  language: 'json' | 'xml';
}

/** JSON below this size is re-indented for reading; larger JSON is kept as it came. */
const MAX_PRETTY_JSON_CHARS = 4 * 1024 * 1024;

function prettyJson(source: string): string {
  if (source.length > MAX_PRETTY_JSON_CHARS) return source;
  try {
    return JSON.stringify(JSON.parse(source) as unknown, null, 2);
  } catch {
    // Not valid JSON after all (JSON Lines, a truncated body): shown as it came.
    return source;
  }
}

/** JSON and XML as text: the source (JSON re-indented) as the text and as one fenced code block. */
export function extractSource(source: string, options: SourceExtractOptions): ExtractedDocument {
  const { url, formats } = options;
  const text = (options.language === 'json' ? prettyJson(source.trim()) : source.trim()).replace(
    /\r\n?/g,
    '\n',
  );
  return {
    url,
    canonicalUrl: null,
    mimeType: options.mimeType,
    title: null,
    byline: null,
    description: null,
    siteName: null,
    lang: null,
    publishedTime: null,
    text: formats.has('text') ? text : '',
    markdown: formats.has('markdown') ? markdownCodeFence(text, options.language) : null,
    html: null,
    links: formats.has('links') ? linksInText(text) : [],
    wordCount: countWords(text),
    extractor: options.language,
    quality: { path: 'whole', textLength: text.length, linkDensity: 0, wall: null },
    metadata: {},
  };
}
