/** What the extractor receives: the bytes of one fetched response and what the server said of them. */
export interface ExtractInput {
  /** Final URL of the response (after redirects); base for relative links. */
  url: string;
  /** The raw Content-Type header, if any (e.g. `text/html; charset=windows-1251`). */
  contentType: string | undefined;
  /** The response body, already decompressed, at most the fetcher's body cap. */
  body: Uint8Array;
  /** Which outputs the client wants; skipping `markdown` saves work. @default ['text','markdown','links'] */
  formats?: readonly DocumentFormat[];
  /** Bytes a compressed container in the body (a DOCX's zip) may inflate to. @default 52428800 (50 MiB) */
  maxInflatedBytes?: number;
  /** Rows kept per sheet of a spreadsheet or CSV; the rest are counted in a note. @default 1000 */
  maxSheetRows?: number;
  /** Columns kept per sheet row. @default 50 */
  maxSheetColumns?: number;
  /** Speaker notes of a slide deck follow each slide. @default true */
  includeSlideNotes?: boolean;
  /** Tesseract languages for OCR of images and scanned PDF pages, e.g. `['eng']`. @default ['eng'] */
  ocrLanguages?: readonly string[];
  /** Time limit of the OCR of one image or PDF page, in ms. @default 20000 */
  ocrPageTimeoutMs?: number;
  /** Most pages of one PDF read by OCR. @default 20 */
  ocrMaxPages?: number;
  /** Largest image (width × height) read; over it `image_too_large`. @default 50000000 */
  maxImagePixels?: number;
  /**
   * Epoch ms by which extraction must end (the thread pool sets it from its time limit): OCR
   * stops taking pages then, so no Tesseract outlives the thread. @default 60 s from the start
   */
  deadlineAt?: number;
}

/** The per-format limits of {@link ExtractInput} that a pool sets for every document it extracts. */
export type ExtractLimits = Pick<
  ExtractInput,
  | 'maxSheetRows'
  | 'maxSheetColumns'
  | 'includeSlideNotes'
  | 'ocrLanguages'
  | 'ocrPageTimeoutMs'
  | 'ocrMaxPages'
  | 'maxImagePixels'
>;

/** Optional outputs a client may ask for; title, metadata and quality always come. */
export type DocumentFormat = 'text' | 'markdown' | 'html' | 'links';

import type { PageType } from './html/engine/profiles.js';
import type { StructuredData } from './html/engine/structured.js';

export type { PageType } from './html/engine/profiles.js';
export type { StructuredData, StructuredProduct } from './html/engine/structured.js';

/**
 * Which path produced the document's main content: `html-main` distill's own HTML engine,
 * `html-readability` Mozilla Readability (the fallback where the engine found little),
 * `html-fallback` the text-density fallback behind it.
 */
export type ExtractorPath =
  | 'html-main'
  | 'html-readability'
  | 'html-fallback'
  | 'pdf'
  | 'docx'
  | 'xlsx'
  | 'ods'
  | 'csv'
  | 'pptx'
  | 'odt'
  | 'epub'
  | 'rtf'
  | 'json'
  | 'xml'
  | 'ocr'
  | 'text'
  | 'markdown';

/** Signals a client can filter on to drop thin or non-content pages. */
export interface QualitySignals {
  /** `main` when a main-content algorithm found the content, `fallback` when we fell back to heuristics. */
  path: 'main' | 'fallback' | 'whole';
  /** Characters of plain text. */
  textLength: number;
  /** Share of the text's characters that sit inside links, 0..1. */
  linkDensity: number;
  /** Set when the page looks like an error page, login wall or cookie wall rather than content. */
  wall: 'error' | 'login' | 'cookie' | 'paywall' | null;
  /**
   * Estimated word F1 of the extraction against the page's true main content, 0..1 (HTML only): a
   * model fitted on wcxb-dev; the README gives its correlation with the true F1.
   */
  score?: number;
}

/** Extra metadata of a document. */
export interface DocumentMetadata {
  [key: string]: string | number | null | StructuredData | undefined;
  /** JSON-LD, microdata and Open Graph data of an HTML page (product, FAQ, article fields). */
  structured?: StructuredData;
}

/** One extracted document: the output of extraction for one URL. */
export interface ExtractedDocument {
  /** The URL the content came from (final URL after redirects). */
  url: string;
  /** `<link rel=canonical>` or og:url, made absolute, when the page declares one. */
  canonicalUrl: string | null;
  /** Media type the extractor used after sniffing, e.g. `text/html`, `application/pdf`. */
  mimeType: string;
  title: string | null;
  byline: string | null;
  description: string | null;
  siteName: string | null;
  /** BCP 47 language tag from `<html lang>` or metadata, when declared. */
  lang: string | null;
  /** ISO 8601 publication time from meta tags or JSON-LD, when declared. */
  publishedTime: string | null;
  /** Plain main text, paragraphs separated by blank lines ('' when not requested). */
  text: string;
  /** Main content as Markdown (null when not requested). */
  markdown: string | null;
  /** Main content as cleaned HTML (null when not requested). */
  html: string | null;
  /** Absolute, unique http(s) links found in the main content (empty when not requested). */
  links: string[];
  wordCount: number;
  extractor: ExtractorPath;
  /** Page type of an HTML page, from its structure, URL and metadata. */
  pageType?: PageType;
  quality: QualitySignals;
  /** Extra metadata by content type: PDF author and page count, structured data of HTML, and so on. */
  metadata: DocumentMetadata;
}
