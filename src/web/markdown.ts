/**
 * Markdown to safe DOM: marked renders, DOMPurify removes scripts, event handlers, `javascript:`
 * links and anything else that could run. Links and images are resolved against the document's URL
 * (extracted Markdown may keep relative ones), open in a new tab, and send no referrer.
 */
import DOMPurify from 'dompurify';
import { Marked } from 'marked';

const marked = new Marked({ gfm: true, breaks: false, async: false });

/** The URL relative links resolve against, set for the duration of one `sanitize` call. */
let baseUrl: string | null = null;

function resolve(value: string): string | null {
  try {
    const url = new URL(value, baseUrl ?? undefined);
    return url.protocol === 'http:' || url.protocol === 'https:' || url.protocol === 'mailto:'
      ? url.href
      : null;
  } catch {
    return null; // Not a URL even relative to the base: drop the attribute.
  }
}

DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node instanceof HTMLAnchorElement) {
    const href = node.getAttribute('href');
    if (href !== null && !href.startsWith('#')) {
      const resolved = resolve(href);
      if (resolved === null) node.removeAttribute('href');
      else node.setAttribute('href', resolved);
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    } else if (href !== null) {
      // In-page anchors of the source page mean nothing here (the page uses the hash to route).
      node.removeAttribute('href');
    }
  } else if (node instanceof HTMLImageElement) {
    const src = node.getAttribute('src');
    const resolved = src === null ? null : resolve(src);
    if (resolved === null) node.removeAttribute('src');
    else node.setAttribute('src', resolved);
    node.removeAttribute('srcset');
    node.setAttribute('loading', 'lazy');
    node.setAttribute('referrerpolicy', 'no-referrer');
  }
});

/** Renders `markdown` into a sanitised fragment; relative links resolve against `base`. */
export function renderMarkdown(markdown: string, base: string | null): DocumentFragment {
  const html = marked.parse(markdown) as string;
  baseUrl = base;
  try {
    return DOMPurify.sanitize(html, {
      RETURN_DOM_FRAGMENT: true,
      USE_PROFILES: { html: true },
      FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed'],
      FORBID_ATTR: ['style', 'id', 'name'],
    });
  } finally {
    baseUrl = null;
  }
}
