import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { removeBoilerplate } from './boilerplate.js';
import { type DomDocument, type DomElement, elementsWithTags, isElement, parseDocument } from './dom.js';
import { findMainBlock } from './fallback.js';
import { readMetadata } from './dom-metadata.js';
import { absoluteHttpUrl, clean, type HtmlMetadata } from './metadata.js';
import { prepareHtml } from './prepare.js';
import { createReader } from './readability.js';
import { collectLinks, countWords, type TextResult, toMarkdown, toText } from './serialize.js';
import { detectWall } from './walls.js';

/** Options of {@link extractWithReadability} and of `extractHtml`. */
export interface HtmlExtractOptions {
  /** Final URL of the page: base for relative links. */
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  /** Media type reported on the document. @default 'text/html' */
  mimeType?: string;
}

/**
 * Below this many characters Readability's result is treated as "nothing found" and the density
 * fallback runs. Short posts (a photo and a caption) are real content, so this stays low.
 */
const MIN_MAIN_TEXT_CHARS = 25;

/** Readability's own threshold for retrying with looser rules. @default 500 in Readability */
const READABILITY_CHAR_THRESHOLD = 500;

interface MainContent {
  root: DomElement | null;
  text: TextResult;
  title: string | null;
  byline: string | null;
  excerpt: string | null;
}

/** Characters of non-whitespace text from which a low-link result is taken as an article. */
const LONG_ARTICLE_CHARS = 2500;

interface Attempt {
  articleContent: DomElement;
  textLength: number;
}

/**
 * When Readability's strict first pass finds under `charThreshold` characters, it retries with
 * looser rules (keeping "unlikely" blocks, ignoring class weights, cleaning less) and returns the
 * first result that is long enough, or the longest. On short posts (a photo and a caption, a
 * video, a quotation) the looser passes land on a sidebar, a link list or a comment thread: the
 * largest loss on human-labelled pages. We keep the strict pass's result instead when the looser
 * one is link-heavy, or when it is not an expansion of the strict one (it does not contain its
 * text) and the strict one has a real paragraph, unless the looser one is a long text with few
 * links (the strict pass then only found a teaser or a box next to the article).
 */
function preferStrictAttempt(strict: Attempt | undefined, chosen: TextResult): DomElement | null {
  if (!strict || strict.textLength < 50) return null;
  const strictText = toText(strict.articleContent);
  if (strictText.chars < 50) return null;
  if (chosen.chars > 0 && chosen.linkChars / chosen.chars > 0.4) return strict.articleContent;
  if (strictText.chars < 100) return null;
  // A long text with few links is an article, whatever the strict pass found.
  if (chosen.chars >= LONG_ARTICLE_CHARS && chosen.linkChars / chosen.chars < 0.25) return null;
  // A probe from the middle of the strict text: present when the looser pass grew around it.
  const flat = strictText.text.replace(/\s+/g, ' ');
  const middle = Math.max(0, Math.floor(flat.length / 2) - 20);
  const probe = flat.slice(middle, middle + 40).trim();
  return chosen.text.replace(/\s+/g, ' ').includes(probe) ? null : strict.articleContent;
}

function runReadability(document: DomDocument): MainContent | null {
  try {
    const reader = createReader(document, { charThreshold: READABILITY_CHAR_THRESHOLD });
    // Readability 0.6 keeps its failed passes in `_attempts` and sorts them by length when all
    // fail; record them in the order they ran. Without that field we simply keep its choice.
    const attempts: Attempt[] = [];
    const internal = reader as unknown as { _attempts?: Attempt[] };
    if (Array.isArray(internal._attempts)) {
      const list = internal._attempts;
      list.push = (...items: Attempt[]): number => {
        attempts.push(...items);
        return Array.prototype.push.apply(list, items);
      };
    }
    const result = reader.parse();
    if (!result?.content) return null;
    let root = result.content;
    let text = toText(root);
    const strict = preferStrictAttempt(attempts[0], text);
    if (strict) {
      root = strict;
      text = toText(root);
    }
    return {
      root,
      text,
      title: clean(result.title),
      byline: clean(result.byline),
      excerpt: clean(result.excerpt),
    };
  } catch {
    // Readability throws on some malformed trees (a top candidate outside <body>); the fallback
    // handles those pages.
    return null;
  }
}

/** Makes the links and images of `root` absolute, for the HTML output. */
function absolutise(root: DomElement, baseUrl: string): void {
  for (const element of elementsWithTags(root, ['a', 'img'])) {
    const attribute = element.tagName === 'A' ? 'href' : 'src';
    if (!element.hasAttribute(attribute)) continue;
    const url = absoluteHttpUrl(element.getAttribute(attribute), baseUrl);
    if (url) element.setAttribute(attribute, url);
  }
}

/** Gives the body the content linkedom left outside it (documents with odd or missing tags). */
function adoptStrayContent(document: DomDocument): void {
  const root = document.documentElement;
  const body = document.body;
  if (!root || !body) return;
  for (const child of [...root.childNodes]) {
    if (child === body || (isElement(child) && child.tagName === 'HEAD')) continue;
    if (isElement(child) || (child.textContent ?? '').trim()) body.appendChild(child);
  }
}

/**
 * Extracts the main content and metadata of an HTML page with Mozilla Readability on linkedom,
 * and our text-density fallback when Readability finds nothing: the path `extractHtml` falls back
 * to when distill's own engine finds little.
 */
export function extractWithReadability(source: string, options: HtmlExtractOptions): ExtractedDocument {
  const { url } = options;
  const prepared = prepareHtml(source);
  let document = parseDocument(prepared.html);
  adoptStrayContent(document);
  const metadata = readMetadata(document, url, prepared.jsonLd);
  removeBoilerplate(document);

  let main = runReadability(document);
  let path: 'main' | 'fallback' = 'main';
  if (!main?.root || main.text.text.length < MIN_MAIN_TEXT_CHARS) {
    // Readability mutated the tree; start again from the string.
    document = parseDocument(prepared.html);
    adoptStrayContent(document);
    removeBoilerplate(document);
    const root = findMainBlock(document);
    const text = root ? toText(root) : { text: '', chars: 0, linkChars: 0 };
    // Keep Readability's few words when the heuristic finds no more than that.
    if (!main?.root || text.text.length > main.text.text.length) {
      main = { root, text, title: main?.title ?? null, byline: main?.byline ?? null, excerpt: null };
      path = 'fallback';
    }
  }
  return buildDocument(main, metadata, path, options);
}

function buildDocument(
  main: MainContent,
  metadata: HtmlMetadata,
  path: 'main' | 'fallback',
  options: HtmlExtractOptions,
): ExtractedDocument {
  const { url, formats } = options;
  const { root, text } = main;
  // Declared metadata first; then Readability's title, which strips " | Site" from <title>.
  const title = (metadata.isTitleDeclared ? metadata.title : null) ?? main.title ?? metadata.title;
  const plain = text.text;
  let html: string | null = null;
  if (formats.has('html')) {
    if (root) absolutise(root, metadata.baseUrl);
    html = root ? root.innerHTML.trim() : '';
  }
  return {
    url,
    canonicalUrl: metadata.canonicalUrl,
    mimeType: options.mimeType ?? 'text/html',
    title,
    byline: metadata.byline ?? main.byline,
    description: metadata.description ?? main.excerpt,
    siteName: metadata.siteName,
    lang: metadata.lang,
    publishedTime: metadata.publishedTime,
    text: formats.has('text') ? plain : '',
    markdown: formats.has('markdown') ? (root ? toMarkdown(root, metadata.baseUrl) : '') : null,
    html,
    links: formats.has('links') && root ? collectLinks(root, metadata.baseUrl, url) : [],
    wordCount: countWords(plain),
    extractor: path === 'main' ? 'html-main' : 'html-fallback',
    quality: {
      path,
      textLength: plain.length,
      linkDensity: text.chars > 0 ? Math.round((text.linkChars / text.chars) * 1000) / 1000 : 0,
      wall: detectWall(title, plain),
    },
    metadata: {},
  };
}
