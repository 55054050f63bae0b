import { type DomDocument, type DomElement, type DomNode, ELEMENT_NODE, TEXT_NODE } from './dom.js';

/*
 * The fallback when Readability finds nothing: the smallest container that still holds most of
 * the page's non-link text. Starting at <body>, we step into the child whose link-discounted text
 * is at least FOLLOW_SHARE of its parent's, so we stop at the block where the text spreads over
 * several children: the densest block of paragraphs. Link-heavy blocks (menus, tag clouds, related
 * links) inside it are dropped.
 */

/** Elements whose subtree is layout chrome rather than content. */
const CHROME_SELECTOR =
  'header, footer, aside, nav, menu, [role="banner"], [role="contentinfo"], [role="complementary"]';
const FOLLOW_SHARE = 0.6;
const SKIPPED = new Set([
  'SCRIPT',
  'STYLE',
  'NOSCRIPT',
  'TEMPLATE',
  'SVG',
  'BUTTON',
  'SELECT',
  'TEXTAREA',
  'HEAD',
]);

interface Weight {
  chars: number;
  linkChars: number;
}

function score(weight: Weight): number {
  return weight.chars - 2 * weight.linkChars;
}

function measure(node: DomNode, inLink: boolean, weights: Map<DomElement, Weight>): Weight {
  if (node.nodeType === TEXT_NODE) {
    const length = (node.textContent ?? '').replace(/\s+/g, '').length;
    return { chars: length, linkChars: inLink ? length : 0 };
  }
  const total: Weight = { chars: 0, linkChars: 0 };
  if (node.nodeType !== ELEMENT_NODE) return total;
  const element = node as DomElement;
  if (SKIPPED.has(element.tagName)) return total;
  const isLink = inLink || element.tagName === 'A';
  for (let child = element.firstChild; child; child = child.nextSibling) {
    const weight = measure(child, isLink, weights);
    total.chars += weight.chars;
    total.linkChars += weight.linkChars;
  }
  weights.set(element, total);
  return total;
}

/** Removes link lists and other link-dense blocks under `root`, in place. */
function dropLinkDenseBlocks(root: DomElement, weights: Map<DomElement, Weight>): void {
  for (const block of root.querySelectorAll('ul, ol, div, table, p, section')) {
    const weight = weights.get(block);
    if (!weight || weight.chars === 0) continue;
    if (weight.linkChars / weight.chars > 0.5) block.remove();
  }
}

/** Picks the main block of a page by text density, or null when the page has no text at all. */
export function findMainBlock(document: DomDocument): DomElement | null {
  const body = document.body;
  if (!body) return null;
  for (const element of body.querySelectorAll(CHROME_SELECTOR)) element.remove();
  const weights = new Map<DomElement, Weight>();
  const bodyWeight = measure(body, false, weights);
  if (bodyWeight.chars === 0) return null;

  let current = body;
  for (;;) {
    const currentScore = score(weights.get(current)!);
    let best: DomElement | null = null;
    let bestScore = -Infinity;
    for (const child of current.children) {
      const weight = weights.get(child);
      if (!weight) continue;
      const childScore = score(weight);
      if (childScore > bestScore) {
        best = child;
        bestScore = childScore;
      }
    }
    if (!best || bestScore < FOLLOW_SHARE * currentScore || bestScore <= 0) break;
    current = best;
  }
  dropLinkDenseBlocks(current, weights);
  return current;
}
