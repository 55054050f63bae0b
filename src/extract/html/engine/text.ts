import { absoluteHttpUrl } from '../metadata.js';
import { attr, type Element } from './tree.js';

/*
 * Plain text and links of the selected blocks: one walk each, skipping dropped subtrees.
 * Paragraphs are separated by blank lines, list items, rows and line breaks by line breaks, table
 * cells by spaces; `<pre>` keeps its whitespace. The Markdown serialiser (markdown.ts) walks the
 * same blocks with the same skips, so text and Markdown hold the same content.
 */

/** Elements that start a paragraph of their own. */
export const BLOCK_TAGS = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'center',
  'details',
  'dialog',
  'dir',
  'div',
  'dl',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'main',
  'menu',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'ul',
  'body',
  'caption',
  'thead',
  'tbody',
  'tfoot',
]);
/** Elements that start a line, but not a paragraph. */
export const LINE_TAGS = new Set(['li', 'dt', 'dd', 'tr', 'option', 'legend']);
const CELL_TAGS = new Set(['td', 'th']);

/** Plain text with its statistics. */
export interface TextResult {
  text: string;
  /** Characters of non-whitespace text inside links, for link density. */
  linkChars: number;
  /** Characters of non-whitespace text in all. */
  chars: number;
}

/** Plain text of `blocks`, in order, each starting a paragraph. */
export function blocksToText(blocks: readonly Element[]): TextResult {
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
  const writeText = (data: string): void => {
    if (preDepth > 0) {
      if (!data) return;
      // Line by line, so a paragraph break never lands inside the block.
      const lines = data.split('\n');
      for (let i = 0; i < lines.length; i++) {
        if (i > 0) breakLine(1);
        if (lines[i]) write(lines[i]!);
      }
      chars += data.length;
      return;
    }
    const words = data.split(/[\s\u00a0]+/);
    let started = false;
    for (const word of words) {
      if (!word) {
        pendingSpace = true;
        continue;
      }
      if (started) pendingSpace = true;
      write(word);
      started = true;
      chars += word.length;
      if (linkDepth > 0) linkChars += word.length;
    }
  };

  const visit = (element: Element): void => {
    const tag = element.tag;
    if (tag === 'br') {
      breakLine(1);
      return;
    }
    const isBlock = BLOCK_TAGS.has(tag);
    const isLine = LINE_TAGS.has(tag);
    const isCell = CELL_TAGS.has(tag);
    if (isBlock) breakLine(2);
    else if (isLine) breakLine(1);
    else if (isCell) pendingSpace = true;
    if (tag === 'a') linkDepth++;
    if (tag === 'pre') preDepth++;
    for (const child of element.children) {
      if (typeof child === 'string') writeText(child);
      else if (!child.isDropped) visit(child);
    }
    if (tag === 'a') linkDepth--;
    if (tag === 'pre') preDepth--;
    if (isBlock) breakLine(2);
    else if (isLine) breakLine(1);
    else if (isCell) pendingSpace = true;
  };
  for (const block of blocks) {
    breakLine(2);
    visit(block);
  }
  return { text: out.join(''), linkChars, chars };
}

/** Absolute, unique http(s) links of `blocks`, in document order, without fragments or self-links. */
export function blocksToLinks(blocks: readonly Element[], baseUrl: string, pageUrl: string): string[] {
  const seen = new Set<string>();
  const page = pageUrl.split('#', 1)[0];
  const visit = (element: Element): void => {
    if (element.tag === 'a') {
      const href = absoluteHttpUrl(attr(element, 'href'), baseUrl);
      const withoutFragment = href?.split('#', 1)[0];
      if (withoutFragment && withoutFragment !== page) seen.add(withoutFragment);
    }
    for (const child of element.children) if (typeof child !== 'string' && !child.isDropped) visit(child);
  };
  for (const block of blocks) visit(block);
  return [...seen];
}
