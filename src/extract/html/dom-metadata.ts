import { type DomDocument, elementsWithTags } from './dom.js';
import { buildMetadata, clean, type HtmlMetadata } from './metadata.js';

/** Reads the metadata of a linkedom document (the Readability fallback's path). */
export function readMetadata(
  document: DomDocument,
  pageUrl: string,
  jsonLdBlocks: readonly string[],
): HtmlMetadata {
  // One walk for every element we read, in document order (the first of each kind wins).
  const elements = elementsWithTags(document, ['meta', 'base', 'link', 'title']);
  const metas = elements
    .filter((element) => element.tagName === 'META')
    .map((element) => ({
      keys: `${element.getAttribute('property') ?? ''} ${element.getAttribute('name') ?? ''} ${element.getAttribute('itemprop') ?? ''}`,
      content: element.getAttribute('content'),
    }));
  const root = document.documentElement;
  return buildMetadata(
    {
      metas,
      jsonLd: jsonLdBlocks,
      baseHref: elements
        .find((element) => element.tagName === 'BASE' && element.hasAttribute('href'))
        ?.getAttribute('href'),
      canonicalHref: elements
        .find(
          (element) =>
            element.tagName === 'LINK' &&
            element.getAttribute('rel') === 'canonical' &&
            element.hasAttribute('href'),
        )
        ?.getAttribute('href'),
      titleText: elements.find((element) => element.tagName === 'TITLE')?.textContent,
      lang: clean(root?.getAttribute('lang')) ?? root?.getAttribute('xml:lang'),
    },
    pageUrl,
  );
}
