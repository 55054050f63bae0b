/**
 * A cheap string pass before any DOM exists: it drops what never holds main content and costs DOM
 * nodes (scripts, styles, inline SVG, templates, iframes, form widgets, HTML comments), keeps the
 * JSON-LD blocks aside for metadata, and gives documents without a `<body>` tag one, because
 * linkedom puts such content outside `body`, where Readability never looks.
 */

/** The output of {@link prepareHtml}. */
export interface PreparedHtml {
  html: string;
  /** The text of every `<script type="application/ld+json">`, in document order. */
  jsonLd: string[];
}

/** Elements removed with their whole content (the parser would give them raw text or widgets). */
const OPENING = /<!--|<(script|style|noscript|svg|template|iframe|object|select|textarea|canvas)(?=[\s>/])/gi;

/** Strips dropped elements and comments, collecting JSON-LD. Linear in the size of the page. */
export function prepareHtml(source: string): PreparedHtml {
  const jsonLd: string[] = [];
  const parts: string[] = [];
  let position = 0;
  OPENING.lastIndex = 0;
  for (let match = OPENING.exec(source); match; match = OPENING.exec(source)) {
    const start = match.index;
    parts.push(source.slice(position, start));
    if (match[0] === '<!--') {
      const end = source.indexOf('-->', start + 4);
      position = end < 0 ? source.length : end + 3;
    } else {
      const name = match[1]!.toLowerCase();
      const tagEnd = source.indexOf('>', start);
      if (tagEnd < 0) {
        position = source.length;
        break;
      }
      // <svg/> and friends close themselves.
      if (source.charCodeAt(tagEnd - 1) === 47 /* / */ && name !== 'script' && name !== 'style') {
        position = tagEnd + 1;
      } else {
        const close = findClose(source, name, tagEnd + 1);
        if (name === 'script' && /type\s*=\s*["']?application\/ld\+json/i.test(source.slice(start, tagEnd))) {
          jsonLd.push(source.slice(tagEnd + 1, close.start));
        }
        position = close.end;
      }
    }
    OPENING.lastIndex = position;
  }
  parts.push(source.slice(position));
  return { html: ensureBody(parts.join('')), jsonLd };
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
