/** Parts the job page's lists share: a live text that changes only when it must, the "loaded" line, the search box. */
import { formatCount } from '../format.js';
import { h } from '../dom.js';

/** Sets the text of a live region only when it changes, so a refresh does not repeat it aloud. */
export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** "25 items loaded, more available" or "6 of 48 loaded documents match". */
export function loadedSummary(
  shown: number,
  loaded: number,
  hasMore: boolean,
  isSearching: boolean,
  noun: string,
): string {
  const plural = (n: number): string => `${formatCount(n)} ${noun}${n === 1 ? '' : 's'}`;
  if (isSearching)
    return `${formatCount(shown)} of ${plural(loaded)} loaded match${hasMore ? '; load more to search further' : ''}.`;
  return `${plural(loaded)} loaded${hasMore ? ', more available' : ''}.`;
}

/** A search box that filters rows client-side, with its label and hint. */
export function searchField(
  id: string,
  label: string,
  onInput: () => void,
): { field: HTMLElement; input: HTMLInputElement } {
  const input = h('input', {
    id,
    type: 'search',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': `${id}-hint`,
  });
  input.addEventListener('input', onInput);
  const field = h(
    'div',
    { class: 'field field--inline' },
    h('label', { for: id }, label),
    input,
    h('p', { id: `${id}-hint`, class: 'hint' }, 'Searches the rows loaded below.'),
  );
  return { field, input };
}
