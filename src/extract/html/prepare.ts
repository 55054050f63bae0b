/**
 * A cheap string pass before any DOM exists: it drops what never holds main content and costs DOM
 * nodes (scripts, styles, inline SVG, templates, iframes, form widgets, HTML comments), keeps the
 * JSON-LD blocks aside for metadata, and gives documents without a `<body>` tag one, because
 * linkedom puts such content outside `body`, where Readability never looks.
 */

import { limitNesting } from '../nesting-limit.js';
import { closeTagEnd, openTagEnd } from '../tag-end.js';

/** The output of {@link prepareHtml}. */
export interface PreparedHtml {
  html: string;
  /** The text of every `<script type="application/ld+json">`, in document order. */
  jsonLd: string[];
}

/** Elements removed with their whole content (the parser would give them raw text or widgets). */
const DROPPED = new Set([
  'script',
  'style',
  'noscript',
  'svg',
  'template',
  'iframe',
  'object',
  'select',
  'textarea',
  'canvas',
]);
/**
 * A comment or any tag. Every tag is matched so that the scan can step over its attributes: a
 * `<svg` inside an attribute value (`<img alt="x <svg y">`) is text, not an element to strip.
 */
const OPENING = /<!--|<(\/?)([a-zA-Z][^\s/>]*)/g;

/** Strips dropped elements and comments, collecting JSON-LD. Linear in the size of the page. */
export function prepareHtml(source: string): PreparedHtml {
  const jsonLd: string[] = [];
  const parts: string[] = [];
  let position = 0;
  OPENING.lastIndex = 0;
  for (let match = OPENING.exec(source); match; match = OPENING.exec(source)) {
    const start = match.index;
    if (match[0] === '<!--') {
      parts.push(source.slice(position, start));
      const end = source.indexOf('-->', start + 4);
      position = end < 0 ? source.length : end + 3;
      OPENING.lastIndex = position;
      continue;
    }
    const name = match[2]!.toLowerCase();
    const isEndTag = match[1] === '/';
    const end = isEndTag ? closeTagEnd(source, start) : openTagEnd(source, start);
    if (isEndTag || !DROPPED.has(name)) {
      // Any other tag stays as it is; the text of a <title> is not markup either.
      OPENING.lastIndex = name === 'title' && !isEndTag ? findClose(source, name, end).start : end;
      continue;
    }
    parts.push(source.slice(position, start));
    if (source.charCodeAt(end - 1) !== 62 /* > */) {
      // The tag never ends: neither does the element.
      position = source.length;
      break;
    }
    const tagEnd = end - 1;
    // <svg/> and friends close themselves.
    if (source.charCodeAt(tagEnd - 1) === 47 /* / */ && name !== 'script' && name !== 'style') {
      position = end;
    } else {
      const close = findClose(source, name, end);
      if (name === 'script' && /type\s*=\s*["']?application\/ld\+json/i.test(source.slice(start, tagEnd))) {
        jsonLd.push(source.slice(end, close.start));
      }
      position = close.end;
    }
    OPENING.lastIndex = position;
  }
  parts.push(source.slice(position));
  // Depth and element caps before any DOM exists keep the rest of extraction linear in the page.
  return { html: ensureBody(limitNesting(parts.join('')).html), jsonLd };
}

function findClose(source: string, name: string, from: number): { start: number; end: number } {
  const pattern = new RegExp(`</${name}\\s*>`, 'gi');
  pattern.lastIndex = from;
  const match = pattern.exec(source);
  if (!match) return { start: source.length, end: source.length };
  return { start: match.index, end: match.index + match[0].length };
}

/** Inserts a `<body>` where the browser would imply one, when the page has none. */
function ensureBody(html: string): string {
  if (/<body[\s>/]/i.test(html)) return html;
  const headEnd = /<\/head\s*>/i.exec(html);
  if (headEnd) {
    const at = headEnd.index + headEnd[0].length;
    return `${html.slice(0, at)}<body>${html.slice(at)}`;
  }
  const htmlTag = /<html[^>]*>/i.exec(html);
  if (htmlTag) {
    const at = htmlTag.index + htmlTag[0].length;
    return `${html.slice(0, at)}<head></head><body>${html.slice(at)}`;
  }
  return `<!DOCTYPE html><html><head></head><body>${html}</body></html>`;
}
