import { dropLinkBlocks, dropRepeats, dropReviewSections } from './clean.js';
import type { SelectionProfile } from './profiles.js';
import { measure, walk } from './stats.js';
import { attr, type Element } from './tree.js';

/*
 * Selection: a set of blocks, not one node. First the main block: the page's own marker when it
 * has one that holds a fair share of the text (`<main>`, `[role=main]`, a single `<article>`,
 * `[itemprop=articleBody]`), else the body; from there we follow the text down while one child
 * holds most of it (`followShare` of its parent's score, links discounted by `linkPenalty`), and
 * stop where the text spreads over several children: sections, cards, posts. Then sibling blocks
 * of the main block that carry real text of their own join it (profiles with `siblingMinChars`),
 * and link lists inside the selection are dropped. The result is in document order.
 */

/** What {@link selectBlocks} returns. */
export interface Selection {
  /** The selected blocks, in document order. */
  blocks: Element[];
  /** The main block the others were added around. */
  main: Element;
  /** How the main block was found. */
  anchor: 'marker' | 'density' | 'body';
}

/** A marker holding less than this share of the page's text is not trusted to hold the content. */
const MIN_MARKER_SHARE = 0.3;

function score(element: Element, profile: SelectionProfile): number {
  return element.chars - profile.linkPenalty * element.linkChars;
}

function findMarker(body: Element): Element | null {
  let bestMain: Element | null = null;
  let bestArticle: Element | null = null;
  let bestBody: Element | null = null;
  let articles = 0;
  walk(body, (element) => {
    if (element.isDropped) return true;
    const tag = element.tag;
    if (tag === 'main' || attr(element, 'role') === 'main') {
      if (!bestMain || element.chars > bestMain.chars) bestMain = element;
    } else if (tag === 'article') {
      if (element.chars > 200) articles++;
      if (!bestArticle || element.chars > bestArticle.chars) bestArticle = element;
    } else if (attr(element, 'itemprop') === 'articleBody') {
      if (!bestBody || element.chars > bestBody.chars) bestBody = element;
    }
    return false;
  });
  const total = body.chars;
  const fair = (element: Element | null): element is Element =>
    element !== null && element.chars >= MIN_MARKER_SHARE * total;
  if (fair(bestBody)) return bestBody;
  if (articles === 1 && fair(bestArticle)) return bestArticle;
  if (fair(bestMain)) return bestMain;
  return null;
}

/** Elements the selection narrows into; it stops above content elements (a quotation, a list, a data table). */
const CONTAINER_TAGS = new Set([
  'div',
  'section',
  'article',
  'main',
  'td',
  'tr',
  'tbody',
  'form',
  'center',
  'font',
  'span',
  'body',
  'noscript',
]);

/** A layout table (cells holding paragraphs or blocks) rather than a data table. */
function isLayoutTable(table: Element): boolean {
  let blocks = 0;
  let cells = 0;
  walk(table, (element) => {
    if (element.tag === 'table' && element !== table) return true;
    if (element.tag === 'td') {
      cells++;
      for (const child of element.children)
        if (typeof child !== 'string' && (child.tag === 'p' || child.tag === 'div' || child.tag === 'br'))
          blocks++;
      return true;
    }
    return false;
  });
  return cells > 0 && blocks >= 2;
}

function canNarrowInto(element: Element): boolean {
  if (element.tag === 'table') return isLayoutTable(element);
  return CONTAINER_TAGS.has(element.tag);
}

/** Follows the text down from `start` while one child holds most of it. */
function follow(start: Element, profile: SelectionProfile): Element {
  let current = start;
  for (;;) {
    const currentScore = score(current, profile);
    let best: Element | null = null;
    let bestScore = -Infinity;
    for (const child of current.children) {
      if (typeof child === 'string') {
        if (/\S/.test(child) && child.trim().length > 0.4 * current.chars) return current;
        continue;
      }
      if (child.isDropped) continue;
      const childScore = score(child, profile);
      if (!canNarrowInto(child)) {
        // A content element holding most of the text is part of the content: stop here.
        if (childScore >= profile.followShare * currentScore) return current;
        continue;
      }
      if (childScore > bestScore) {
        best = child;
        bestScore = childScore;
      }
    }
    if (!best || bestScore <= 0 || bestScore < profile.followShare * currentScore) return current;
    current = best;
  }
}

/** Adds the siblings of `main` and of its ancestors (up to `top`) that carry real text. */
function addSiblings(main: Element, top: Element, profile: SelectionProfile, selected: Set<Element>): void {
  for (let node: Element = main; node !== top && node.parent; node = node.parent) {
    for (const sibling of node.parent.children) {
      // A <noscript> beside the content repeats it or asks for scripts.
      if (typeof sibling === 'string' || sibling === node || sibling.isDropped || sibling.tag === 'noscript')
        continue;
      const plain = sibling.chars - sibling.linkChars;
      if (plain >= profile.siblingMinChars && sibling.linkChars < 0.35 * sibling.chars) selected.add(sibling);
    }
  }
}

/** Selects the blocks of main content under `body` (cleaned and measured); `pageChars` is the page's text before cleaning. */
export function selectBlocks(body: Element, profile: SelectionProfile, pageChars = body.chars): Selection {
  const marker = findMarker(body);
  const start = marker ?? body;
  const main = follow(start, profile);
  const anchor: Selection['anchor'] = marker ? 'marker' : main === body ? 'body' : 'density';
  const selected = new Set<Element>([main]);
  if (Number.isFinite(profile.siblingMinChars)) addSiblings(main, marker ?? body, profile, selected);
  for (const block of selected) {
    dropReviewSections(block, main, profile, pageChars);
    dropLinkBlocks(block, profile);
  }
  for (const block of selected) measure(block);
  if (selected.size === 1) {
    dropRepeats([main]);
    measure(main);
    return { blocks: [main], main, anchor };
  }
  const blocks: Element[] = [];
  walk(body, (element) => {
    if (!selected.has(element)) return false;
    blocks.push(element);
    return true;
  });
  dropRepeats(blocks);
  for (const block of blocks) measure(block);
  return { blocks, main, anchor };
}
