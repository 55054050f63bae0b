import type { DomDocument, DomElement } from './dom.js';

/*
 * Boilerplate removed before Readability scores the page. Readability keeps a comment thread when
 * its comments sit in `comment-body`/`comment-content` boxes (its "unlikely candidate" test spares
 * anything whose class mentions body or content), and on short posts (a video, a photo, a few
 * lines) it retries with looser rules and returns the thread instead of the post: the largest loss
 * on human-labelled sets. Removing comment sections, navigation and forms of widgets first fixes
 * that and gives Readability fewer nodes to score.
 */

/** Class or id tokens of comment sections and of single comments. */
const COMMENT_TOKEN = /^(?:comments?(?:[-_].*)?|comment(?:list|form|body|s?area|thread|wrap|block|content|entry|text|meta|author)|commentlist|commentform|respond|disqus_thread|dsq-.*|disqus.*|fb-comments|livefyre.*|replies|talkback.*|recentcomments|wp-comment.*)$/i;

/** Elements that never hold main content. */
const BOILERPLATE_SELECTOR = 'nav, [role="navigation"], [role="dialog"], [aria-modal="true"], form[role="search"], [hidden], [aria-hidden="true"]';

/** Where the article lives if the page marks it: never removed, whatever its classes say. */
const ARTICLE_SELECTOR = 'h1, article, main, [itemprop="articleBody"], [role="main"]';

function tokens(element: DomElement): string[] {
  const id = element.id;
  const className = element.getAttribute('class');
  if (!id && !className) return [];
  return `${id} ${className ?? ''}`.split(/\s+/);
}

function isCommentSection(element: DomElement): boolean {
  for (const token of tokens(element)) {
    if (token && COMMENT_TOKEN.test(token)) return true;
  }
  return false;
}

/** Removes comment threads and navigation from the document, in place. */
export function removeBoilerplate(document: DomDocument): void {
  const body = document.body;
  if (!body) return;
  for (const element of body.querySelectorAll(BOILERPLATE_SELECTOR)) {
    // aria-hidden/hidden on the body or a wrapper of everything would empty the page.
    if (element.querySelector(ARTICLE_SELECTOR) === null) element.remove();
  }
  const candidates: DomElement[] = [];
  for (const element of body.querySelectorAll('[id], [class]')) {
    if (isCommentSection(element)) candidates.push(element);
  }
  const removed = new Set<DomElement>();
  for (const element of candidates) {
    if (hasRemovedAncestor(element, removed)) continue;
    const tag = element.tagName;
    if (tag === 'BODY' || tag === 'HTML' || tag === 'ARTICLE' || tag === 'MAIN') continue;
    if (element.querySelector(ARTICLE_SELECTOR) !== null) continue;
    element.remove();
    removed.add(element);
  }
}

function hasRemovedAncestor(element: DomElement, removed: ReadonlySet<DomElement>): boolean {
  if (removed.size === 0) return false;
  for (let parent = element.parentNode; parent; parent = parent.parentNode) {
    if (removed.has(parent)) return true;
  }
  return false;
}
