import { attr, type Element } from './tree.js';

/*
 * Text statistics of the tree, computed bottom-up in one pass: every element's non-whitespace
 * characters and how many of them sit inside links. Dropped subtrees count nothing, so measuring
 * again after cleaning gives the statistics of what is left.
 */

/** Non-whitespace characters of a string. */
export function visibleLength(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 32 && code !== 160) count++;
  }
  return count;
}

/** Sets `chars` and `linkChars` on `element` and every element below it; returns `element.chars`. */
export function measure(element: Element, isInLink = false): number {
  const inLink = isInLink || element.tag === 'a';
  let chars = 0;
  let linkChars = 0;
  for (const child of element.children) {
    if (typeof child === 'string') {
      const length = visibleLength(child);
      chars += length;
      if (inLink) linkChars += length;
    } else if (!child.isDropped) {
      measure(child, inLink);
      chars += child.chars;
      linkChars += child.linkChars;
    } else {
      child.chars = 0;
      child.linkChars = 0;
    }
  }
  element.chars = chars;
  element.linkChars = linkChars;
  return chars;
}

/** Share of an element's text inside links, 0..1. */
export function linkDensity(element: Element): number {
  return element.chars > 0 ? element.linkChars / element.chars : 0;
}

/** Calls `visit` on every element below `root` (not `root`), depth first; `visit` returns true to skip the subtree. */
export function walk(root: Element, visit: (element: Element) => boolean | void): void {
  const stack: Element[] = [];
  for (let i = root.children.length - 1; i >= 0; i--) {
    const child = root.children[i]!;
    if (typeof child !== 'string') stack.push(child);
  }
  while (stack.length > 0) {
    const element = stack.pop()!;
    if (visit(element) === true) continue;
    for (let i = element.children.length - 1; i >= 0; i--) {
      const child = element.children[i]!;
      if (typeof child !== 'string') stack.push(child);
    }
  }
}

/** All the text below `element` as in the source (skipping dropped subtrees), whitespace collapsed. */
export function textOf(element: Element, maxChars = Infinity): string {
  const parts: string[] = [];
  let length = 0;
  const visit = (node: Element): void => {
    for (const child of node.children) {
      if (length >= maxChars) return;
      if (typeof child === 'string') {
        parts.push(child);
        length += child.length;
      } else if (!child.isDropped) {
        if (child.tag === 'br' || child.tag === 'p' || child.tag === 'li' || child.tag === 'div')
          parts.push(' ');
        visit(child);
      }
    }
  };
  visit(element);
  return parts.join('').replace(/\s+/g, ' ').trim();
}

/** The class and id of an element, lower-cased, as one string (for token tests). */
export function classAndId(element: Element): string {
  const className = attr(element, 'class');
  const id = attr(element, 'id');
  if (!className && !id) return '';
  return `${className ?? ''} ${id ?? ''}`.toLowerCase();
}
