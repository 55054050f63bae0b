import { walk } from './stats.js';
import { attr, type Element } from './tree.js';

/*
 * Teaser rails on an article page: "related posts", "more from the blog", "read next". Whatever
 * their class, they are a run of sibling items, each headed by a heading that is a link to another
 * page (the other article's title) with a date or an excerpt under it. An article's own sections
 * are headed by headings that are text, not links. Found from the linked headings up: each one
 * marks its ancestors a few levels up, and a parent with at least `MIN_ITEMS` marked children is a
 * rail. Linear: a bounded walk up from each heading.
 */

const HEADINGS = new Set(['h2', 'h3', 'h4', 'h5', 'h6']);
/** A rail has at least this many items. */
const MIN_ITEMS = 3;
/** How far above its heading an item may start. */
const MAX_LEVELS = 5;
/** An item is a teaser, not a section: at most this many characters. */
const MAX_ITEM_CHARS = 1200;
/** A heading is a link when at least this share of its text is inside a link. */
const LINKED_SHARE = 0.8;

/**
 * The site of a URL: its host's last two labels (three under a two-letter country code with a
 * short second level, as in `co.uk`), or null when it has no host (a relative link).
 */
function siteOf(href: string): string | null {
  const match = /^(?:https?:)?\/\/([^/?#:]+)/i.exec(href);
  if (!match) return null;
  const labels = match[1]!.toLowerCase().split('.');
  const keep = labels.length > 2 && labels.at(-1)!.length === 2 && labels.at(-2)!.length <= 3 ? 3 : 2;
  return labels.slice(-keep).join('.');
}

/** A link to another page of the same site (relative, or on one of `sites`); not a `#fragment`. */
function isSiteLink(link: Element, sites: ReadonlySet<string | null>): boolean {
  const href = attr(link, 'href')?.trim();
  if (!href || href.startsWith('#') || /^(?:mailto|tel|javascript):/i.test(href)) return false;
  const site = siteOf(href);
  return site === null || sites.has(site);
}

/** Characters of `heading` inside links to other pages of the site. */
function linkedChars(heading: Element, sites: ReadonlySet<string | null>): number {
  // A link around the heading holds all of it.
  if (heading.parent?.tag === 'a') return isSiteLink(heading.parent, sites) ? heading.chars : 0;
  let chars = 0;
  walk(heading, (element) => {
    if (element.tag !== 'a') return false;
    if (isSiteLink(element, sites)) chars += element.chars;
    return true;
  });
  return chars;
}

/** Text left outside the rails dropped: the article, at least this much and half the rail's. */
const MIN_LEFT_CHARS = 1000;

/**
 * Drops teaser rails under `body` (cleaned and measured) of the page at `pageUrls` (its address and
 * its canonical address): the items' heading links go to the same site (a round-up of other sites'
 * projects or events is the content). True when it dropped one (measure again).
 */
export function dropTeaserRails(body: Element, pageUrls: readonly (string | null)[]): boolean {
  const sites = new Set(pageUrls.map((url) => (url ? siteOf(url) : null)).filter((site) => site !== null));
  let left = body.chars;
  let dropped = false;
  const items = new Map<Element, Set<Element>>();
  walk(body, (element) => {
    if (element.isDropped) return true;
    if (!HEADINGS.has(element.tag)) return false;
    if (element.chars < 10 || linkedChars(element, sites) < LINKED_SHARE * element.chars) return true;
    let child = element;
    for (let level = 0; level < MAX_LEVELS && child.parent && child.parent !== body; level++) {
      const parent = child.parent;
      if (child.chars > MAX_ITEM_CHARS) break;
      let set = items.get(parent);
      if (!set) items.set(parent, (set = new Set()));
      set.add(child);
      child = parent;
    }
    return true;
  });
  for (const [parent, children] of items) {
    // The lowest parent holding the run: its items are the children that each hold one heading.
    if (children.size < MIN_ITEMS || parent.isDropped) continue;
    let texted = 0;
    for (const node of parent.children) if (typeof node !== 'string' && node.chars > 0) texted++;
    // Most of the parent's children are items: a rail, not an article with a few linked headings.
    if (children.size < 0.6 * texted || left - parent.chars < Math.max(MIN_LEFT_CHARS, parent.chars / 2))
      continue;
    parent.isDropped = true;
    left -= parent.chars;
    dropped = true;
  }
  return dropped;
}
