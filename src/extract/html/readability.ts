import { Readability } from '@mozilla/readability';
import { type DomDocument, type DomElement, elementsWithTags } from './dom.js';

/*
 * Readability 0.6 over linkedom, with faster versions of three of its helpers. Each replacement
 * returns what the original returns for every input; only the cost differs. They are set on the
 * instance (never on Readability's prototype), and only when the instance has a method of that
 * name, so a Readability release that renames or drops a helper falls back to its own code:
 * private API, guarded, and covered by the dataset evaluation (`npm run eval`).
 *
 * - `_getAllNodesWithTag(node, tags)` runs `querySelectorAll(tags.join(','))`, which linkedom
 *   answers by compiling a CSS selector (css-select) on every call: one tree walk with a set of
 *   tag names instead. Readability calls it dozens of times per pass.
 * - `_isProbablyVisible(node)` reads `node.style.display` and `.visibility` for every element of
 *   the page; linkedom builds a CSSStyleDeclaration for each. An element whose `style` attribute
 *   does not mention display or visibility has neither property, so we only ask the original
 *   when it does.
 * - `_isValidByline(node, matchString)` computes the node's whole `textContent` before its cheap
 *   tests (rel, itemprop, class/id), for every element until a byline is found: quadratic in the
 *   depth of the page. We run the cheap tests first.
 */

/** The options of Readability we use. */
export interface ReaderOptions {
  charThreshold: number;
}

/** What {@link createReader} returns: a Readability instance that keeps the article element. */
export type Reader = Readability<DomElement>;

/** Readability's `byline` pattern (Readability 0.6 `REGEXPS.byline`): used when the instance has none. */
const BYLINE = /byline|author|dateline|writtenby|p-author/i;

interface ReadabilityInternals {
  _getAllNodesWithTag?: (
    node: DomElement | DomDocument,
    tagNames: readonly string[],
  ) => ArrayLike<DomElement>;
  _isProbablyVisible?: (node: DomElement) => boolean;
  _isValidByline?: (node: DomElement, matchString: string) => boolean;
  REGEXPS?: { byline?: RegExp };
}

/** Creates a Readability instance over `document` that returns the article element itself. */
export function createReader(document: DomDocument, options: ReaderOptions): Reader {
  const reader = new Readability<DomElement>(document as never, {
    // Keep the article element: we serialise text and Markdown from it ourselves, once.
    serializer: (node) => node as unknown as DomElement,
    disableJSONLD: true,
    charThreshold: options.charThreshold,
    keepClasses: true,
  });
  const internal = reader as unknown as ReadabilityInternals;

  if (typeof internal._getAllNodesWithTag === 'function') {
    internal._getAllNodesWithTag = elementsWithTags;
  }

  const isProbablyVisible = internal._isProbablyVisible;
  if (typeof isProbablyVisible === 'function') {
    internal._isProbablyVisible = (node) => {
      const style = node.getAttribute?.('style');
      if (style && (style.includes('display') || style.includes('visibility')))
        return isProbablyVisible.call(reader, node);
      // Without those properties, style.display and style.visibility are '': the rest of the test.
      return (
        !node.hasAttribute('hidden') &&
        (!node.hasAttribute('aria-hidden') ||
          node.getAttribute('aria-hidden') !== 'true' ||
          Boolean(node.className?.includes?.('fallback-image')))
      );
    };
  }

  if (typeof internal._isValidByline === 'function') {
    const byline = internal.REGEXPS?.byline ?? BYLINE;
    internal._isValidByline = (node, matchString) => {
      const itemprop = node.getAttribute('itemprop');
      if (!(
        node.getAttribute('rel') === 'author' ||
        itemprop?.includes('author') ||
        byline.test(matchString)
      ))
        return false;
      const length = (node.textContent ?? '').trim().length;
      return length > 0 && length < 100;
    };
  }
  return reader;
}
