import { absoluteHttpUrl } from './metadata.js';
import {
  escapeMarkdownLineStarts,
  escapeMarkdownText,
  markdownCodeFence,
  markdownCodeSpan,
  markdownLinkTitle,
  markdownUrl,
} from '../markdown-escape.js';
import { type DomElement, type DomNode, ELEMENT_NODE, elementsWithTags, TEXT_NODE } from './dom.js';

/*
 * Our own serialisers over the DOM, for text, Markdown and links. Turndown parses its input again
 * with its own DOM and costs several ms per article; walking linkedom's tree once costs well under
 * one.
 */

/** Elements that start a paragraph of their own. */
const BLOCKS = new Set([
  'ADDRESS',
  'ARTICLE',
  'ASIDE',
  'BLOCKQUOTE',
  'CENTER',
  'DETAILS',
  'DIALOG',
  'DIR',
  'DIV',
  'DL',
  'FIELDSET',
  'FIGCAPTION',
  'FIGURE',
  'FOOTER',
  'FORM',
  'H1',
  'H2',
  'H3',
  'H4',
  'H5',
  'H6',
  'HEADER',
  'HGROUP',
  'HR',
  'MAIN',
  'MENU',
  'NAV',
  'OL',
  'P',
  'PRE',
  'SECTION',
  'SUMMARY',
  'TABLE',
  'UL',
  'BODY',
  'HTML',
  'CAPTION',
  'THEAD',
  'TBODY',
  'TFOOT',
]);
/** Elements that start a line, but not a paragraph. */
const LINES = new Set(['LI', 'DT', 'DD', 'TR', 'OPTION', 'LEGEND']);
/** Elements whose content is never text. */
const SKIPPED = new Set([
  'SCRIPT',
  'STYLE',
  'NOSCRIPT',
  'TEMPLATE',
  'SVG',
  'IFRAME',
  'OBJECT',
  'SELECT',
  'TEXTAREA',
  'BUTTON',
  'HEAD',
  'TITLE',
  'META',
  'LINK',
]);
const CELLS = new Set(['TD', 'TH']);

/** Plain text with its statistics. */
export interface TextResult {
  text: string;
  /** Characters of non-whitespace text inside links, for link density. */
  linkChars: number;
  /** Characters of non-whitespace text in all. */
  chars: number;
}

/** Plain text of `root`: paragraphs separated by blank lines, list items and rows by line breaks. */
export function toText(root: DomElement): TextResult {
  const out: string[] = [];
  let separator = 0; // 0: none, 1: line break, 2: blank line
  let atLineStart = true;
  let pendingSpace = false;
  let linkDepth = 0;
  let preDepth = 0;
  let linkChars = 0;
  let chars = 0;

  const breakLine = (strength: number): void => {
    if (strength > separator) separator = strength;
    pendingSpace = false;
  };
  const write = (text: string): void => {
    if (out.length > 0 && separator > 0) {
      out.push(separator === 2 ? '\n\n' : '\n');
      atLineStart = true;
    }
    separator = 0;
    if (pendingSpace && !atLineStart) out.push(' ');
    pendingSpace = false;
    out.push(text);
    atLineStart = false;
  };

  const visit = (node: DomNode): void => {
    if (node.nodeType === TEXT_NODE) {
      const data = node.textContent ?? '';
      if (preDepth > 0) {
        if (data) write(data);
        return;
      }
      const words = data.split(/[\s\u00a0]+/);
      let started = false;
      for (let i = 0; i < words.length; i++) {
        const word = words[i]!;
        if (!word) {
          // Leading or trailing whitespace of the node: a space if more text follows.
          pendingSpace = true;
          continue;
        }
        if (started) pendingSpace = true;
        write(word);
        started = true;
        chars += word.length;
        if (linkDepth > 0) linkChars += word.length;
      }
      return;
    }
    if (node.nodeType !== ELEMENT_NODE) return;
    const element = node as DomElement;
    const tag = element.tagName;
    if (SKIPPED.has(tag)) return;
    if (tag === 'BR') {
      breakLine(1);
      return;
    }
    const isBlock = BLOCKS.has(tag) || tag === 'PRE';
    const isLine = LINES.has(tag);
    if (isBlock) breakLine(2);
    else if (isLine) breakLine(1);
    else if (CELLS.has(tag)) pendingSpace = true;
    if (tag === 'A') linkDepth++;
    if (tag === 'PRE') preDepth++;
    for (let child = element.firstChild; child; child = child.nextSibling) visit(child);
    if (tag === 'A') linkDepth--;
    if (tag === 'PRE') preDepth--;
    if (isBlock) breakLine(2);
    else if (isLine) breakLine(1);
    else if (CELLS.has(tag)) pendingSpace = true;
  };
  visit(root);
  return { text: out.join(''), linkChars, chars };
}

/** Absolute, unique http(s) links under `root`, in document order, without fragments. */
export function collectLinks(root: DomElement, baseUrl: string, pageUrl: string): string[] {
  const seen = new Set<string>();
  const page = pageUrl.split('#', 1)[0];
  for (const anchor of elementsWithTags(root, ['a'])) {
    const href = absoluteHttpUrl(anchor.getAttribute('href'), baseUrl);
    if (!href) continue;
    const withoutFragment = href.split('#', 1)[0]!;
    // A link back to the page itself (in-page anchors) says nothing about the document.
    if (withoutFragment === page) continue;
    seen.add(withoutFragment);
  }
  return [...seen];
}

export { countWords } from './count-words.js';

// ---------------------------------------------------------------------------------------------
// Markdown

interface MarkdownContext {
  baseUrl: string;
  /** Inside <pre>: text is kept as is. */
  inPre: boolean;
  /** Inside a table cell: block structure is flattened to one line. */
  inCell: boolean;
}

/** Text escaped so that it stays text: no Markdown syntax, and no raw HTML (see markdown-escape.ts). */
const escapeInline = escapeMarkdownText;

/** Main content as CommonMark with GFM tables: headings, emphasis, links, images, lists, quotes, code. */
export function toMarkdown(root: DomElement, baseUrl: string): string {
  const context: MarkdownContext = { baseUrl, inPre: false, inCell: false };
  return tidy(children(root, context));
}

function tidy(markdown: string): string {
  return markdown
    .replace(/[ \t]+\n/g, (spaces) => (spaces.startsWith('  ') && spaces.length >= 3 ? '  \n' : '\n'))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function children(element: DomElement, context: MarkdownContext): string {
  let result = '';
  for (let child = element.firstChild; child; child = child.nextSibling) result += node(child, context);
  return result;
}

function block(content: string): string {
  const trimmed = content.trim();
  return trimmed ? `\n\n${trimmed}\n\n` : '';
}

const escapeLineStart = escapeMarkdownLineStarts;

function node(current: DomNode, context: MarkdownContext): string {
  if (current.nodeType === TEXT_NODE) {
    const data = current.textContent ?? '';
    if (context.inPre) return data;
    return escapeInline(data.replace(/[\s\u00a0]+/g, ' '));
  }
  if (current.nodeType !== ELEMENT_NODE) return '';
  const element = current as DomElement;
  const tag = element.tagName;
  if (SKIPPED.has(tag)) return '';
  switch (tag) {
    case 'H1':
    case 'H2':
    case 'H3':
    case 'H4':
    case 'H5':
    case 'H6': {
      const text = inline(children(element, context));
      if (context.inCell) return ` ${text} `;
      return text ? `\n\n${'#'.repeat(Number(tag[1]))} ${text}\n\n` : '';
    }
    case 'P':
      // Only a paragraph's own text can start a line with something Markdown would read as syntax.
      if (context.inCell) return ` ${children(element, context)} `;
      return block(escapeLineStart(children(element, context)));
    case 'DIV':
    case 'SECTION':
    case 'ARTICLE':
    case 'MAIN':
    case 'HEADER':
    case 'FOOTER':
    case 'ASIDE':
    case 'NAV':
    case 'FIGURE':
    case 'FIGCAPTION':
    case 'ADDRESS':
    case 'CENTER':
    case 'FORM':
    case 'FIELDSET':
    case 'DETAILS':
    case 'SUMMARY':
    case 'DL':
    case 'CAPTION':
      if (context.inCell) return ` ${children(element, context)} `;
      return block(children(element, context));
    case 'DT':
    case 'DD':
      if (context.inCell) return ` ${children(element, context)} `;
      return `\n${children(element, context).trim()}\n`;
    case 'BR':
      return context.inPre ? '\n' : context.inCell ? ' ' : '  \n';
    case 'HR':
      return context.inCell ? ' ' : '\n\n---\n\n';
    case 'STRONG':
    case 'B':
      return wrapInline(children(element, context), '**');
    case 'EM':
    case 'I':
    case 'CITE':
      return wrapInline(children(element, context), '_');
    case 'DEL':
    case 'S':
    case 'STRIKE':
      return wrapInline(children(element, context), '~~');
    case 'CODE':
    case 'KBD':
    case 'SAMP':
    case 'TT': {
      if (context.inPre) return element.textContent ?? '';
      const code = (element.textContent ?? '').replace(/\s+/g, ' ');
      if (!code.trim()) return code;
      return markdownCodeSpan(code);
    }
    case 'PRE':
      return pre(element, context);
    case 'A':
      return link(element, context);
    case 'IMG':
      return image(element, context);
    case 'UL':
    case 'OL':
      return context.inCell ? ` ${children(element, context)} ` : list(element, context);
    case 'LI':
      return context.inCell
        ? ` ${children(element, context)} `
        : `\n- ${children(element, context).trim()}\n`;
    case 'BLOCKQUOTE': {
      if (context.inCell) return ` ${children(element, context)} `;
      const content = tidy(children(element, context));
      return content ? `\n\n${content.replace(/^/gm, '> ')}\n\n` : '';
    }
    case 'TABLE':
      return context.inCell ? ` ${children(element, context)} ` : table(element, context);
    default:
      return children(element, context);
  }
}

function inline(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function wrapInline(content: string, mark: string): string {
  const text = content.trim();
  if (!text) return content;
  const leading = /^\s/.test(content) ? ' ' : '';
  const trailing = /\s$/.test(content) ? ' ' : '';
  return `${leading}${mark}${text}${mark}${trailing}`;
}

function link(element: DomElement, context: MarkdownContext): string {
  const content = children(element, context);
  const href = absoluteHttpUrl(element.getAttribute('href'), context.baseUrl);
  const text = inline(content);
  if (!href || !text) return content;
  const title = element.getAttribute('title');
  const titlePart = title?.trim() ? ` ${markdownLinkTitle(title)}` : '';
  return `[${text}](${markdownUrl(href)}${titlePart})`;
}

function image(element: DomElement, context: MarkdownContext): string {
  const src = absoluteHttpUrl(
    element.getAttribute('src') ?? element.getAttribute('data-src'),
    context.baseUrl,
  );
  if (!src) return '';
  const alt = escapeInline(inline(element.getAttribute('alt') ?? ''));
  return `![${alt}](${markdownUrl(src)})`;
}

function pre(element: DomElement, context: MarkdownContext): string {
  const code = (element.textContent ?? '').replace(/^\n/, '').replace(/\s+$/, '');
  if (context.inCell) return ` ${escapeInline(code.replace(/\s+/g, ' '))} `;
  if (!code) return '';
  const codeElement = elementsWithTags(element, ['code'])[0];
  const classes = `${codeElement?.className ?? ''} ${element.className}`;
  const language = /(?:^|\s)(?:language|lang)-([\w+#.-]+)/.exec(classes)?.[1] ?? '';
  return `\n\n${markdownCodeFence(code, language)}\n\n`;
}

function list(element: DomElement, context: MarkdownContext): string {
  const ordered = element.tagName === 'OL';
  let index = Number.parseInt(element.getAttribute('start') ?? '1', 10);
  if (!Number.isFinite(index)) index = 1;
  const items: string[] = [];
  for (const child of element.children) {
    if (child.tagName !== 'LI') {
      const other = tidy(node(child, context));
      if (other) items.push(other);
      continue;
    }
    const marker = ordered ? `${index++}. ` : '- ';
    const content = tidy(children(child, context));
    const indented = content.replace(/\n(?=.)/g, `\n${' '.repeat(marker.length)}`);
    items.push(`${marker}${indented}`);
  }
  return items.length > 0 ? `\n\n${items.join('\n')}\n\n` : '';
}

function table(element: DomElement, context: MarkdownContext): string {
  const rows: string[][] = [];
  let hasHeader = false;
  for (const row of elementsWithTags(element, ['tr'])) {
    // Rows of nested tables belong to their own table.
    if (closestTable(row) !== element) continue;
    const cells: string[] = [];
    for (const cell of row.children) {
      if (!CELLS.has(cell.tagName)) continue;
      if (rows.length === 0 && cell.tagName === 'TH') hasHeader = true;
      const text = inline(children(cell, { ...context, inCell: true })).replace(/\|/g, '\\|');
      const span = Number.parseInt(cell.getAttribute('colspan') ?? '1', 10);
      cells.push(text);
      for (let i = 1; i < Math.min(Number.isFinite(span) ? span : 1, 50); i++) cells.push('');
    }
    if (cells.length > 0) rows.push(cells);
  }
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map((cells) => cells.length));
  // A one-column table is layout, not data: keep its content as paragraphs.
  if (width === 1)
    return block(
      rows
        .map((cells) => cells[0])
        .filter(Boolean)
        .join('\n\n'),
    );
  const line = (cells: readonly string[]): string =>
    `| ${Array.from({ length: width }, (_, i) => cells[i] ?? '').join(' | ')} |`;
  const header = hasHeader ? rows.shift()! : Array.from({ length: width }, () => '');
  const caption = elementsWithTags(element, ['caption'])[0];
  const captionText =
    caption && closestTable(caption) === element ? `${inline(children(caption, context))}\n\n` : '';
  return `\n\n${captionText}${line(header)}\n| ${Array.from({ length: width }, () => '---').join(' | ')} |\n${rows.map(line).join('\n')}\n\n`;
}

function closestTable(element: DomElement): DomElement | null {
  for (let parent = element.parentNode; parent; parent = parent.parentNode) {
    if (parent.tagName === 'TABLE') return parent;
  }
  return null;
}
