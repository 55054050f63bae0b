import { absoluteHttpUrl } from '../metadata.js';
import { markdownTable } from './markdown-table.js';
import { attr, type Element, type TreeNode } from './tree.js';

/*
 * Markdown of the selected blocks (CommonMark with GFM tables and strikethrough), from the same
 * blocks and skips as the plain text. Text is always escaped: `&`, `<` and `>` become entities, so
 * page text such as `<img src=x onerror=alert(1)>` can never become live HTML, and characters that
 * would start emphasis, links, code or a heading are backslash-escaped. No raw HTML is ever
 * written. Code (`<pre>`, `<code>`) is written verbatim inside fences or backtick spans, where
 * Markdown treats it as text.
 */

interface Context {
  baseUrl: string;
  /** Inside a table cell: blocks flatten to one line. */
  inCell: boolean;
}

/** Escapes text for Markdown: HTML-significant characters as entities, Markdown syntax with backslashes. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>&|~]/g, (char) =>
    char === '&' ? '&amp;' : char === '<' ? '&lt;' : char === '>' ? '&gt;' : `\\${char}`,
  );
}

/** Escapes what would start a block at the beginning of a line (headings, quotes, list markers). */
function escapeLineStart(text: string): string {
  return text.replace(/^(\s*)([#+-]|\d+[.)])(?=\s|$)/gm, '$1\\$2');
}

function tidy(markdown: string): string {
  return markdown
    .replace(/[ \t]+\n/g, (spaces) => (spaces.startsWith('  ') && spaces.length >= 3 ? '  \n' : '\n'))
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

function inline(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function block(content: string): string {
  const trimmed = content.trim();
  return trimmed ? `\n\n${trimmed}\n\n` : '';
}

function children(element: Element, context: Context): string {
  let result = '';
  for (const child of element.children) result += node(child, context);
  return result;
}

/** The text of a code element as the browser shows it: `<br>` as line breaks, dropped parts kept (highlighter spans are code). */
export function codeText(element: Element): string {
  let result = '';
  for (const child of element.children) {
    if (typeof child === 'string') result += child;
    else if (child.tag === 'br') result += '\n';
    else result += codeText(child);
  }
  return result;
}

function wrapInline(content: string, mark: string): string {
  const text = content.trim();
  if (!text) return content;
  const leading = /^\s/.test(content) ? ' ' : '';
  const trailing = /\s$/.test(content) ? ' ' : '';
  return `${leading}${mark}${text}${mark}${trailing}`;
}

function encodeUrl(url: string): string {
  // encodeURIComponent leaves parentheses alone, and they would end the link destination.
  return url.replace(
    /[()\s<>]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

function link(element: Element, context: Context): string {
  const content = children(element, context);
  const href = absoluteHttpUrl(attr(element, 'href'), context.baseUrl);
  const text = inline(content);
  if (!href || !text) return content;
  const title = attr(element, 'title');
  const titlePart = title ? ` "${escapeMarkdown(inline(title)).replace(/"/g, '\\"')}"` : '';
  const leading = /^\s/.test(content) ? ' ' : '';
  const trailing = /\s$/.test(content) ? ' ' : '';
  return `${leading}[${text}](${encodeUrl(href)}${titlePart})${trailing}`;
}

function image(element: Element, context: Context): string {
  const src = absoluteHttpUrl(attr(element, 'src') ?? attr(element, 'data-src'), context.baseUrl);
  if (!src) return '';
  const alt = escapeMarkdown(inline(attr(element, 'alt') ?? ''));
  return `![${alt}](${encodeUrl(src)})`;
}

function codeLanguage(element: Element): string {
  const code = element.children.find(
    (child): child is Element => typeof child !== 'string' && child.tag === 'code',
  );
  const classes = `${code ? (attr(code, 'class') ?? '') : ''} ${attr(element, 'class') ?? ''}`;
  const declared =
    attr(element, 'data-lang') ??
    attr(element, 'data-language') ??
    (code ? (attr(code, 'data-lang') ?? attr(code, 'data-language')) : null);
  const language =
    declared ?? /(?:^|\s)(?:language|lang|highlight|brush:?)-?([\w+#.-]+)/.exec(classes)?.[1] ?? '';
  return /^[\w+#.-]{1,30}$/.test(language) ? language : '';
}

function pre(element: Element, context: Context): string {
  const code = codeText(element).replace(/^\n/, '').replace(/\s+$/, '');
  if (context.inCell) return ` ${inlineCode(code)} `;
  if (!code) return '';
  let fence = '```';
  while (code.includes(fence)) fence += '`';
  return `\n\n${fence}${codeLanguage(element)}\n${code}\n${fence}\n\n`;
}

function inlineCode(raw: string): string {
  const code = raw.replace(/\s+/g, ' ');
  if (!code.trim()) return code;
  let fence = '`';
  while (code.includes(fence)) fence += '`';
  const pad = code.startsWith('`') || code.endsWith('`') || fence.length > 1 ? ' ' : '';
  return `${fence}${pad}${code}${pad}${fence}`;
}

function list(element: Element, context: Context): string {
  const ordered = element.tag === 'ol';
  let index = Number.parseInt(attr(element, 'start') ?? '1', 10);
  if (!Number.isFinite(index) || index < 0 || index > 1e9) index = 1;
  const items: string[] = [];
  for (const child of element.children) {
    if (typeof child === 'string') {
      if (child.trim()) items.push(escapeMarkdown(inline(child)));
      continue;
    }
    if (child.isDropped) continue;
    if (child.tag !== 'li') {
      const other = tidy(node(child, context));
      if (other) items.push(other);
      continue;
    }
    const marker = ordered ? `${index++}. ` : '- ';
    // A nested list follows its item's text on the next line (a tight list).
    const content = tidy(children(child, context)).replace(/\n\n(?=(?:- |\d+\. ))/g, '\n');
    if (!content) continue;
    items.push(`${marker}${content.replace(/\n(?=.)/g, `\n${' '.repeat(marker.length)}`)}`);
  }
  return items.length > 0 ? `\n\n${items.join('\n')}\n\n` : '';
}

function definitionList(element: Element, context: Context): string {
  const lines: string[] = [];
  for (const child of element.children) {
    if (typeof child === 'string' || child.isDropped) continue;
    const content = tidy(child.tag === 'div' ? definitionList(child, context) : children(child, context));
    if (!content) continue;
    if (child.tag === 'dt') lines.push(`**${inline(content)}**`);
    else lines.push(content);
  }
  return block(lines.join('\n\n'));
}

function node(current: TreeNode, context: Context): string {
  if (typeof current === 'string') return escapeMarkdown(current.replace(/[\s\u00a0]+/g, ' '));
  if (current.isDropped) return '';
  const tag = current.tag;
  const flat = (): string => ` ${children(current, context)} `;
  switch (tag) {
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6': {
      const text = inline(children(current, context));
      if (context.inCell) return ` ${text} `;
      return text ? `\n\n${'#'.repeat(Number(tag[1]))} ${text}\n\n` : '';
    }
    case 'p':
      return context.inCell ? flat() : block(escapeLineStart(children(current, context)));
    case 'br':
      return context.inCell ? ' ' : '  \n';
    case 'hr':
      return context.inCell ? ' ' : '\n\n---\n\n';
    case 'strong':
    case 'b':
      return wrapInline(children(current, context), '**');
    case 'em':
    case 'i':
    case 'cite':
      return wrapInline(children(current, context), '_');
    case 'del':
    case 's':
    case 'strike':
      return wrapInline(children(current, context), '~~');
    case 'code':
    case 'kbd':
    case 'samp':
    case 'tt':
      return inlineCode(codeText(current));
    case 'pre':
      return pre(current, context);
    case 'a':
      return link(current, context);
    case 'img':
      return image(current, context);
    case 'ul':
    case 'ol':
      return context.inCell ? flat() : list(current, context);
    case 'li':
      return context.inCell ? flat() : `\n- ${tidy(children(current, context))}\n`;
    case 'dl':
      return context.inCell ? flat() : definitionList(current, context);
    case 'dt':
      return context.inCell ? flat() : `\n\n**${inline(children(current, context))}**\n\n`;
    case 'blockquote': {
      if (context.inCell) return flat();
      const content = tidy(children(current, context));
      return content ? `\n\n${content.replace(/^/gm, '> ')}\n\n` : '';
    }
    case 'figcaption':
      return context.inCell ? flat() : block(`_${inline(children(current, context))}_`.replace(/^__$/, ''));
    case 'table':
      return context.inCell
        ? flat()
        : markdownTable(current, (cell) => inline(children(cell, { ...context, inCell: true })), block);
    default:
      if (TEXT_BLOCKS.has(tag)) return context.inCell ? flat() : block(children(current, context));
      return children(current, context);
  }
}

const TEXT_BLOCKS = new Set([
  'div',
  'section',
  'article',
  'main',
  'header',
  'footer',
  'aside',
  'nav',
  'figure',
  'address',
  'center',
  'form',
  'details',
  'summary',
  'dd',
  'caption',
  'hgroup',
  'body',
  'tbody',
  'thead',
  'tfoot',
  'tr',
  'td',
  'th',
]);

/** Markdown of `blocks`, in order, separated by blank lines. */
export function blocksToMarkdown(blocks: readonly Element[], baseUrl: string): string {
  const context: Context = { baseUrl, inCell: false };
  return tidy(blocks.map((element) => block(node(element, context))).join(''));
}
