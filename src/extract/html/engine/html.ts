import { absoluteHttpUrl } from '../metadata.js';
import { attr, type Element, VOID_ELEMENTS } from './tree.js';

/*
 * Cleaned HTML of the selected blocks (the `html` format): structural and text-level tags only,
 * attributes limited to what content needs (links, images, table spans), URLs absolute and
 * http(s) only, every text and attribute value escaped. Anything else is unwrapped to its content.
 */

const KEPT_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'ul',
  'ol',
  'li',
  'dl',
  'dt',
  'dd',
  'blockquote',
  'pre',
  'code',
  'kbd',
  'samp',
  'em',
  'i',
  'strong',
  'b',
  'del',
  's',
  'sub',
  'sup',
  'a',
  'img',
  'br',
  'hr',
  'table',
  'thead',
  'tbody',
  'tfoot',
  'tr',
  'td',
  'th',
  'caption',
  'figure',
  'figcaption',
  'section',
  'article',
  'div',
  'span',
  'time',
  'abbr',
  'q',
  'cite',
  'mark',
  'small',
  'details',
  'summary',
]);

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"]/g, (char) =>
    char === '&' ? '&amp;' : char === '<' ? '&lt;' : char === '>' ? '&gt;' : '&quot;',
  );

function attributes(element: Element, baseUrl: string): string {
  let result = '';
  const add = (name: string, value: string | null): void => {
    if (value !== null) result += ` ${name}="${escapeHtml(value)}"`;
  };
  if (element.tag === 'a') add('href', absoluteHttpUrl(attr(element, 'href'), baseUrl));
  if (element.tag === 'img') {
    add('src', absoluteHttpUrl(attr(element, 'src') ?? attr(element, 'data-src'), baseUrl));
    add('alt', attr(element, 'alt'));
  }
  if (element.tag === 'td' || element.tag === 'th') {
    add('colspan', attr(element, 'colspan'));
    add('rowspan', attr(element, 'rowspan'));
  }
  if (element.tag === 'time') add('datetime', attr(element, 'datetime'));
  return result;
}

/** Cleaned HTML of `blocks`. */
export function blocksToHtml(blocks: readonly Element[], baseUrl: string): string {
  const out: string[] = [];
  const visit = (element: Element): void => {
    const isKept = KEPT_TAGS.has(element.tag);
    if (isKept) out.push(`<${element.tag}${attributes(element, baseUrl)}>`);
    if (VOID_ELEMENTS.has(element.tag)) return;
    for (const child of element.children) {
      if (typeof child === 'string') out.push(escapeHtml(child));
      else if (!child.isDropped) visit(child);
    }
    if (isKept) out.push(`</${element.tag}>`);
  };
  for (const block of blocks) visit(block);
  return out.join('').trim();
}
