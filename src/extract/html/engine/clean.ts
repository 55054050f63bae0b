import { classAndId, linkDensity, textOf, walk } from './stats.js';
import { attr, type Element } from './tree.js';
import type { SelectionProfile } from './profiles.js';

/*
 * Cleaning: marks the subtrees that are never main content as dropped (`isDropped`), in one walk.
 * Tags and ARIA roles of page chrome (navigation, banners, dialogs, buttons), hidden elements, and
 * class/id tokens of chrome (menus, share bars, cookie banners, breadcrumbs, newsletters...). A
 * class or id alone never drops a block that holds most of the page's text (sites put `sidebar`
 * or `menu-open` on their whole layout), nor one whose class also says it is the content.
 * Comment threads are dropped on page types whose profile says so (articles), kept on forums.
 */

/** Tags of chrome, dropped wherever they are. */
const CHROME_TAGS = new Set([
  'nav',
  'button',
  'input',
  'label',
  'menu',
  'fieldset',
  'legend',
  'option',
  'datalist',
  'output',
  'progress',
  'meter',
  'embed',
  'frame',
  'frameset',
]);
const CHROME_ROLES = new Set([
  'navigation',
  'banner',
  'contentinfo',
  'search',
  'dialog',
  'alertdialog',
  'menu',
  'menubar',
  'toolbar',
  'tablist',
  'tooltip',
  'complementary',
]);

/** Class or id tokens of page structure that is never content: dropped whatever they hold (but most of the page). */
const LAYOUT_TOKEN =
  /(?:^|[\s_-])(?:nav|navbar|navigation|menu|menus|breadcrumbs?|footer|sidebar|side-bar|masthead|topbar|top-bar|offcanvas|off-canvas|drawer|cookies?|consent|gdpr|skip|pagination|pager|toolbar|login|cart|minicart|searchbar|search-form|language-switcher)(?=$|[\s_-])/;
/** Class or id tokens of boxes beside the content (share bars, promotions): dropped when short or link-heavy. */
const CHROME_TOKEN =
  /(?:^|[\s_-])(?:widgets?|newsletter|subscribe|signup|share|sharing|sharedaddy|social|socials|related|recommended|recommendations|promo|promotions?|advert|advertisement|ads|ad|adsbygoogle|sponsored|sponsor|popup|modal|overlay|tagcloud|tag-cloud|author-bio|authorbox|disclaimer|print|utility|banner|langs?)(?=$|[\s_-])/;
/**
 * Class or id tokens of what a forum or comment system puts around a post: the poster's title,
 * rank, post count and join date, user badges, signatures, vote and reaction widgets. Dropped when
 * short, even inside a block named `message` or `post` (the poster's name and the date stay).
 */
const POST_CHROME_TOKEN =
  /(?:^|[\s_-])(?:userextras|user-extras|usertitle|user-title|membertitle|member-title|userstats|user-stats|user-rank|userrank|postcount|post-count|joindate|join-date|user-badges?|userbadges?|signature|post-signature|voting|votes?|vote-count|reactions?|reaction-bar)(?=$|[\s_-])/;
/** Class or id tokens of content: a block carrying one of these is never dropped for its class. */
const CONTENT_TOKEN =
  /(?:^|[\s_-])(?:content|article|post|entry|main|body|text|story|prose|markdown|description|answer|question|message|product)(?=$|[\s_-])/;
/** Class or id tokens of comment threads and single comments. */
const COMMENT_TOKEN =
  /(?:^|[\s_-])(?:comments?|commentlist|comment-list|disqus_thread|respond|replies|reply|discussion|dsq|talkback)(?=$|[\s_-])/;

/**
 * Class or id of cookie-consent banners and dialogs (OneTrust, Didomi, Cookiebot, Usercentrics,
 * TrustArc, Quantcast, Sourcepoint, Cookie Consent, and the generic `cookie-banner` family), as
 * substrings: their class names are often camel case (`cookieWrapper`, `CybotCookiebotDialog`).
 */
const CONSENT_NAME =
  /onetrust|optanon|ot-sdk|didomi|cookiebot|usercentrics|truste-|qc-cmp|sp_message|cookielaw|cookie-?(?:law|consent|banner|notice|bar|policy|popup|modal|wrapper|text|dialog|overlay|container|alert|disclaimer|settings|preferences)|consent|gdpr|privacy-cmp|cc-(?:window|banner)/;
/** Words of a consent dialog, looked for at the start of a large dialog before dropping it. */
const CONSENT_TEXT = /cookie|consent|privacy|datenschutz|confidentialit|privacidad/i;

function isConsent(element: Element, tokens: string, isLarge: boolean): boolean {
  if (!CONSENT_NAME.test(tokens)) return false;
  // A layout wrapper named after its banner (`has-cookie-banner`) holds the page: only drop it if it reads as consent.
  return !isLarge || CONSENT_TEXT.test(textOf(element, 300));
}

/** A block with this many characters and few links is prose, whatever its class says. */
const MAX_CHROME_PROSE_CHARS = 600;

/** Blocks holding at least this share of the page's text are never dropped for a class or a tag like footer. */
const PROTECTED_SHARE = 0.5;

/**
 * Class or id tokens of collapsed panels (accordions, tabs): hidden until a click, but the page's
 * content (product details, specifications, reviews, FAQ answers), so hiding does not drop them.
 */
const PANEL_TOKEN =
  /(?:^|[\s_-])(?:accordion|collapse|collapsible|collapsed|tab-pane|tabpane|tabpanel|tab-panel|tab-content|tabs-content|expandable|disclosure|slide|swiper-slide|slick-slide|carousel__cell|carousel-cell|carousel-item)(?=$|[\s_-])/;

function isHidden(element: Element): boolean {
  const attrs = element.attrs;
  if (!attrs) return false;
  const style = attrs.style;
  const isHiddenElement =
    'hidden' in attrs ||
    attrs['aria-hidden'] === 'true' ||
    (style !== undefined && /(?:display\s*:\s*none|visibility\s*:\s*hidden)/i.test(style));
  if (!isHiddenElement) return false;
  return attrs.role !== 'tabpanel' && !PANEL_TOKEN.test(classAndId(element));
}

/** True for an element that is chrome on every page type. */
function isChrome(element: Element, pageChars: number, profile: SelectionProfile): boolean {
  const tag = element.tag;
  if (CHROME_TAGS.has(tag)) return true;
  const isLarge = element.chars >= PROTECTED_SHARE * pageChars;
  // Most of the page hidden around or inside its <main> is the content behind a script's curtain (anti-flicker, a lock app), not chrome.
  if (isHidden(element) && !(isLarge && (hasMainMarker(element) || hasAncestor(element, isMainMarker))))
    return true;
  const role = attr(element, 'role');
  if (role && CHROME_ROLES.has(role)) {
    if (!isLarge) return true;
    // A consent dialog over a page whose content did not load is still not content.
    return (role === 'dialog' || role === 'alertdialog') && CONSENT_TEXT.test(textOf(element, 300));
  }
  const tokens = classAndId(element);
  if (tokens && isConsent(element, tokens, isLarge)) return true;
  if (tag === 'footer' || tag === 'aside') return !isLarge;
  if (tag === 'header') return !isLarge && (linkDensity(element) > 0.5 || hasDescendant(element, 'nav'));
  if (tag === 'form') return !isLarge && element.chars < 400;
  // "Please enable JavaScript" and tracking pixels; a large one is the page for clients without scripts.
  if (tag === 'noscript') return element.chars < 200;
  if (!tokens || isLarge) return false;
  if (profile.dropsComments && COMMENT_TOKEN.test(tokens) && !hasArticleMarker(element)) return true;
  if (element.chars < MAX_CHROME_PROSE_CHARS && POST_CHROME_TOKEN.test(tokens)) return true;
  if (CONTENT_TOKEN.test(tokens)) return false;
  if (LAYOUT_TOKEN.test(tokens)) return true;
  // A class names a box, not its content: a long text with few links in a `share_wrapper` is the article.
  if (element.chars >= MAX_CHROME_PROSE_CHARS && linkDensity(element) < 0.3) return false;
  return CHROME_TOKEN.test(tokens);
}

function hasDescendant(root: Element, tag: string): boolean {
  let found = false;
  walk(root, (element) => {
    if (found) return true;
    if (element.tag === tag) found = true;
    return found;
  });
  return found;
}

const isMainMarker = (element: Element): boolean =>
  element.tag === 'main' || attr(element, 'role') === 'main';

function hasMainMarker(root: Element): boolean {
  let found = false;
  walk(root, (element) => {
    if (found) return true;
    if (isMainMarker(element)) found = true;
    return found;
  });
  return found;
}

/** True when an ancestor of `element` passes `test` (a walk up: the depth is bounded by the parser). */
function hasAncestor(element: Element, test: (node: Element) => boolean): boolean {
  for (let node = element.parent; node; node = node.parent) if (test(node)) return true;
  return false;
}

function hasArticleMarker(root: Element): boolean {
  let found = false;
  walk(root, (element) => {
    if (found) return true;
    const tag = element.tag;
    if (
      tag === 'h1' ||
      tag === 'article' ||
      tag === 'main' ||
      attr(element, 'itemprop') === 'articleBody' ||
      attr(element, 'role') === 'main'
    )
      found = true;
    return found;
  });
  return found;
}

/**
 * Marks chrome under `body` as dropped. Needs `measure` to have run; the caller measures again
 * afterwards. Each test looks at one element and its tokens, and a dropped subtree is not walked:
 * linear in the tree (`hasDescendant` and `hasArticleMarker` only run on elements about to be
 * dropped, which are then never visited again).
 */
export function dropChrome(body: Element, profile: SelectionProfile): void {
  const pageChars = body.chars;
  walk(body, (element) => {
    if (isChrome(element, pageChars, profile)) {
      element.isDropped = true;
      return true;
    }
    // Code is code: highlighter spans (`token comment`, `hljs-comment`) are never chrome.
    if (element.tag === 'pre' || element.tag === 'code') return true;
    if (HEADING_TAGS.has(element.tag)) {
      const section = recommendationSection(element, pageChars);
      if (section) {
        section.isDropped = true;
        return true;
      }
      dropPermalinks(element);
    }
    return false;
  });
}

/** Headings of recommendation rails beside a product or a post: other items, not this page's content. */
const RECOMMENDATION_HEADING =
  /^(?:people (?:who )?(?:also )?(?:viewed|bought)|customers (?:who )?(?:also )?(?:viewed|bought)|similar (?:items|products)|you (?:may|might) also like|related (?:products|items)|recently viewed|recommended for you|frequently bought together|more from this seller|seller'?s other items|sponsored products)/i;
/** Headings of what buyers wrote about a product (reviews, ratings, questions), dropped on product pages. */
const REVIEW_HEADING =
  /^(?:customer reviews|ratings? (?:&|and) reviews|reviews? (?:&|and) ratings|questions? (?:&|and) answers|frequently asked questions|faqs?$|frequently bought together|complete the look|shop the look)/i;
/** Class or id tokens of review lists and upsell boxes, dropped like a review section on product pages. */
const REVIEW_TOKEN =
  /(?:^|[\s_-])(?:review-list|reviews-list|product-reviews|customer-reviews|upsell|upsells|cross-sell|crosssell)(?=$|[\s_-])/;
/** A recommendation section holds at most this share of the page's text. */
const MAX_RECOMMENDATION_SHARE = 0.3;

/**
 * The section a recommendation heading opens ("Similar items", "Customers also bought"): the
 * nearest ancestor, at most three levels up, that holds more than the heading, if it is small
 * against the page. Null for any other heading.
 */
function recommendationSection(
  heading: Element,
  pageChars: number,
  pattern = RECOMMENDATION_HEADING,
): Element | null {
  if (heading.chars > 80 || !pattern.test(textOf(heading, 80))) return null;
  let node = heading;
  for (let level = 0; level < 3 && node.parent; level++) {
    node = node.parent;
    if (node.tag === 'body' || node.tag === 'main') return null;
    if (node.chars > heading.chars + 20) break;
  }
  return node !== heading && node.chars < MAX_RECOMMENDATION_SHARE * pageChars ? node : null;
}

/**
 * Drops the sections under `root` (a selected block) that a review, questions or upsell heading
 * opens, and review lists and upsell boxes by class (`product-reviews`, `review-list`, `upsell`,
 * `cross-sell`), on profiles with `dropsReviews` (products): never the main block or one around it. After
 * selection, so such a section never moves the selection elsewhere; the size bounds of a
 * recommendation rail.
 */
export function dropReviewSections(
  root: Element,
  main: Element,
  profile: SelectionProfile,
  pageChars: number,
): void {
  if (!profile.dropsReviews) return;
  const isDroppable = (section: Element): boolean =>
    section !== main &&
    !hasAncestor(main, (node) => node === section) &&
    section.chars < MAX_RECOMMENDATION_SHARE * pageChars;
  walk(root, (element) => {
    if (element.isDropped) return true;
    if (REVIEW_TOKEN.test(classAndId(element)) && isDroppable(element)) {
      element.isDropped = true;
      return true;
    }
    if (!HEADING_TAGS.has(element.tag)) return false;
    const section = recommendationSection(element, pageChars, REVIEW_HEADING);
    if (section && isDroppable(section)) section.isDropped = true;
    return true;
  });
}

const HEADING_TAGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Texts of heading permalinks and edit links. */
const PERMALINK_TEXT = /^(?:[¶#§🔗]|\[?\s*edit(?:\s+source)?\s*\]?|link|permalink|\[|\]|\|)$/iu;
const PERMALINK_TOKEN =
  /(?:^|[\s_-])(?:headerlink|anchor|anchorjs-link|permalink|editsection|mw-editsection|edit-link|heading-link|hash-link|header-anchor|deep-link)(?=$|[\s_-])/;

/** Drops the permalink and edit links of a heading (`¶`, `#`, `[edit]`), keeping its text. */
function dropPermalinks(heading: Element): void {
  walk(heading, (element) => {
    const text = textOf(element, 40);
    if (text.length > 20) return false;
    if (
      PERMALINK_TEXT.test(text) ||
      (PERMALINK_TOKEN.test(classAndId(element)) && text.length <= 6) ||
      (element.tag === 'a' && text === '')
    ) {
      element.isDropped = true;
      return true;
    }
    return false;
  });
  // The brackets of `[edit]` often sit in text nodes around the link.
  for (let i = 0; i < heading.children.length; i++) {
    const child = heading.children[i];
    if (typeof child === 'string' && /^\s*[[\]|]\s*$/.test(child)) heading.children[i] = ' ';
  }
}

/** Average visible characters per link-bearing item of a list or block. */
function isLinkList(element: Element, profile: SelectionProfile): boolean {
  if (element.chars === 0) return false;
  const density = linkDensity(element);
  // A paragraph is prose with links in it unless it is almost nothing but links.
  if (density < (element.tag === 'p' ? Math.max(0.9, profile.maxLinkDensity) : profile.maxLinkDensity))
    return false;
  // A block of long link texts (product names, post titles) is a listing's content.
  let links = 0;
  walk(element, (child) => {
    if (child.isDropped) return true;
    if (child.tag === 'a') links++;
    return child.tag === 'a';
  });
  if (links === 0) return false;
  return element.linkChars / links < profile.minCardLinkChars;
}

const LINK_BLOCK_TAGS = new Set([
  'ul',
  'ol',
  'div',
  'section',
  'table',
  'p',
  'dl',
  'span',
  'header',
  'footer',
  'td',
  'tr',
  'li',
]);

/** Drops link lists and link-dense blocks under `root` (after `measure`), per the profile. */
export function dropLinkBlocks(root: Element, profile: SelectionProfile): void {
  walk(root, (element) => {
    if (element.isDropped) return true;
    if (!LINK_BLOCK_TAGS.has(element.tag)) return false;
    if (isLinkList(element, profile)) {
      element.isDropped = true;
      return true;
    }
    return false;
  });
}

/** Blocks whose text is compared for repeats. */
const REPEATABLE_TAGS = new Set([
  'p',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'li',
  'dt',
  'dd',
  'blockquote',
  'figcaption',
  'td',
  'th',
  'div',
  'span',
]);
/** Shorter texts may repeat legitimately (a price, "Yes", a table value). */
const MIN_REPEAT_CHARS = 25;
/** Longer blocks are not compared (bounds the cost of building their text). */
const MAX_REPEAT_CHARS = 3000;

/**
 * Drops blocks whose text already appeared in the selection: pages render the same copy twice for
 * mobile and desktop, or once in a tab and once in an accordion, and hide one with CSS we cannot
 * see. Leaf blocks only (no block child), so a container is never dropped for holding a repeat. A
 * duplicate render repeats its whole container: a repeat in a cousin block (the same grandparent)
 * is dropped only when every leaf beside it repeats too, so a paragraph an author repeats among new
 * ones in the next block stays, as do repeats side by side.
 */
export function dropRepeats(blocks: readonly Element[]): void {
  const seen = new Map<string, Element>();
  const repeats: Element[] = [];
  /** Per parent of a leaf: its leaves, and how many of them repeat a leaf elsewhere. */
  const parents = new Map<Element | null, { leaves: number; repeats: number }>();
  for (const block of blocks) {
    walk(block, (element) => {
      if (element.isDropped) return true;
      if (
        !REPEATABLE_TAGS.has(element.tag) ||
        element.chars < MIN_REPEAT_CHARS ||
        element.chars > MAX_REPEAT_CHARS
      )
        return false;
      if (
        element.children.some(
          (child) =>
            typeof child !== 'string' &&
            !child.isDropped &&
            REPEATABLE_TAGS.has(child.tag) &&
            child.chars > 0,
        )
      )
        return false;
      const key = textOf(element).toLowerCase();
      const first = seen.get(key);
      let counts = parents.get(element.parent);
      if (!counts) parents.set(element.parent, (counts = { leaves: 0, repeats: 0 }));
      counts.leaves++;
      // Repeats side by side are the page's own (a refrain, a sample text); a copy elsewhere is a duplicate render.
      if (first === undefined) seen.set(key, element);
      else if (first.parent !== element.parent) {
        counts.repeats++;
        // A copy in a cousin block (same grandparent) may be the author's own; elsewhere it is a duplicate render.
        if (first.parent?.parent === element.parent?.parent) repeats.push(element);
        else element.isDropped = true;
      }
      return true;
    });
  }
  for (const element of repeats) {
    const counts = parents.get(element.parent)!;
    if (counts.repeats === counts.leaves) element.isDropped = true;
  }
}
