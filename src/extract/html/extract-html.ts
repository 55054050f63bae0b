import type { ExtractedDocument } from '../types.js';
import { countWords } from './count-words.js';
import { type EngineResult, runEngine } from './engine/extract-engine.js';
import { blocksToHtml } from './engine/html.js';
import { extractWithReadability, type HtmlExtractOptions } from './readability-extract.js';
import { detectWall } from './walls.js';

export type { HtmlExtractOptions } from './readability-extract.js';

/*
 * HTML extraction: distill's own engine (engine/) first; Mozilla Readability on linkedom only
 * where the engine's result is weak (very little text, or a low quality score with little text),
 * and only if Readability finds more. `extractor` records which ran: `html-main` for the engine,
 * `html-readability` for Readability, `html-fallback` for the density fallback behind Readability.
 */

/** Below this many characters of text the engine's result is weak and Readability gets a try. */
const WEAK_CHARS = 200;
/** A score under this with under `WEAK_SCORE_CHARS` characters is weak too. */
const WEAK_SCORE = 0.3;
const WEAK_SCORE_CHARS = 1000;

function isWeak(result: EngineResult): boolean {
  // Readability on linkedom has no depth cap or node budget: never hand it a page the engine had to bound.
  if (result.isTruncated || result.isFlattened) return false;
  const chars = result.text.chars;
  return chars < WEAK_CHARS || (result.score < WEAK_SCORE && chars < WEAK_SCORE_CHARS);
}

function engineDocument(result: EngineResult, options: HtmlExtractOptions): ExtractedDocument {
  const { url, formats } = options;
  const { metadata, text } = result;
  const blocks = result.selection.blocks;
  const plain = text.text;
  return {
    url,
    canonicalUrl: metadata.canonicalUrl,
    mimeType: options.mimeType ?? 'text/html',
    title: metadata.title,
    byline: metadata.byline,
    description: metadata.description,
    siteName: metadata.siteName,
    lang: metadata.lang,
    publishedTime: metadata.publishedTime,
    text: formats.has('text') ? plain : '',
    markdown: formats.has('markdown') ? (result.markdown ?? '') : null,
    html: formats.has('html') ? blocksToHtml(blocks, metadata.baseUrl) : null,
    links: formats.has('links') ? result.links : [],
    wordCount: countWords(plain),
    extractor: 'html-main',
    pageType: result.pageType,
    quality: {
      path: 'main',
      textLength: plain.length,
      linkDensity: text.chars > 0 ? Math.round((text.linkChars / text.chars) * 1000) / 1000 : 0,
      wall: detectWall(metadata.title, plain),
      score: result.score,
    },
    metadata: { structured: result.structured },
  };
}

/**
 * Extracts the main content and metadata of an HTML page. Readability and linkedom are loaded
 * only when a page needs the fallback: the engine's path never touches a DOM, and an extraction
 * thread that never falls back starts without them.
 */
export function extractHtml(source: string, options: HtmlExtractOptions): ExtractedDocument {
  const { formats } = options;
  const result = runEngine(source, {
    url: options.url,
    wantsMarkdown: formats.has('markdown'),
    wantsLinks: formats.has('links'),
  });
  const document = engineDocument(result, options);
  if (!isWeak(result)) return document;
  const fallback = extractWithReadability(source, options);
  const fallbackChars = fallback.quality.textLength;
  if (fallbackChars <= document.quality.textLength * 1.2 && document.quality.textLength > 0) return document;
  if (fallbackChars === 0)
    return { ...document, extractor: 'html-fallback', quality: { ...document.quality, path: 'fallback' } };
  return {
    ...fallback,
    title: document.title ?? fallback.title,
    extractor: fallback.extractor === 'html-main' ? 'html-readability' : fallback.extractor,
    pageType: result.pageType,
    quality: { ...fallback.quality, score: Math.min(result.score, 0.5) },
    metadata: { ...fallback.metadata, structured: result.structured },
  };
}
