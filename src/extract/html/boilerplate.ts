import { type DomDocument, type DomElement, someElement, walkElements } from './dom.js';

/*
 * Boilerplate removed before Readability scores the page. Readability keeps a comment thread when
 * its comments sit in `comment-body`/`comment-content` boxes (its "unlikely candidate" test spares
 * anything whose class mentions body or content), and on short posts (a video, a photo, a few
 * lines) it retries with looser rules and returns the thread instead of the post: the largest loss
 * on human-labelled sets. Removing comment sections, navigation and forms of widgets first fixes
 * that and gives Readability fewer nodes to score.
 */

/** Class or id tokens of comment sections and of single comments. */
const COMMENT_TOKEN =
  /^(?:comments?(?:[-_].*)?|comment(?:list|form|body|s?area|thread|wrap|block|content|entry|text|meta|author)|commentlist|commentform|respond|disqus_thread|dsq-.*|disqus.*|fb-comments|livefyre.*|replies|talkback.*|recentcomments|wp-comment.*)$/i;

/**
 * Elements that never hold main content: `nav`, `[role=navigation]`, `[role=dialog]`,
 * `[aria-modal=true]`, `form[role=search]`, `[hidden]`, `[aria-hidden=true]`.
 */
function isBoilerplate(element: DomElement): boolean {
  const tag = element.tagName;
  if (tag === 'NAV' || element.hasAttribute('hidden')) return true;
  const role = element.getAttribute('role');
  if (role === 'navigation' || role === 'dialog' || (role === 'search' && tag === 'FORM')) return true;
  return element.getAttribute('aria-modal') === 'true' || element.getAttribute('aria-hidden') === 'true';
}

/**
 * Where the article lives if the page marks it (`h1, article, main, [itemprop=articleBody],
 * [role=main]`): never removed, whatever its classes say.
 */
function isArticleMarker(element: DomElement): boolean {
  const tag = element.tagName;
  return (
    tag === 'H1' ||
    tag === 'ARTICLE' ||
    tag === 'MAIN' ||
    element.getAttribute('itemprop') === 'articleBody' ||
    element.getAttribute('role') === 'main'
  );
}

function containsArticle(element: DomElement): boolean {
  return someElement(element, isArticleMarker);
}

function isCommentSection(element: DomElement): boolean {
  const id = element.id;
  const className = element.getAttribute('class');
  if (!id && !className) return false;
  for (const token of `${id} ${className ?? ''}`.split(/\s+/)) {
    if (token && COMMENT_TOKEN.test(token)) return true;
  }
  return false;
}

function shouldRemove(element: DomElement): boolean {
  if (isBoilerplate(element)) return !containsArticle(element);
  if (!isCommentSection(element)) return false;
  const tag = element.tagName;
  if (tag === 'BODY' || tag === 'HTML' || tag === 'ARTICLE' || tag === 'MAIN') return false;
  return !containsArticle(element);
}

/**
 * Removes comment threads and navigation from the document, in place: one walk over the body
 * that drops a matching element with its subtree (plain attribute tests; linkedom's selector
 * engine compiles every selector again and costs more than the walk).
 */
export function removeBoilerplate(document: DomDocument): void {
  const body = document.body;
  if (!body) return;
  walkElements(body, (element) => {
    if (!shouldRemove(element)) return false;
    element.remove();
    return true;
  });
}
