/**
 * Full-text search of a job's documents on the server (`GET /v1/jobs/:id/documents/search`): a
 * box beside the results list; hits show their snippet with each match in <mark>. Built from DOM
 * nodes, never from HTML strings, so the documents' text cannot inject markup.
 */
import type { SearchHitView } from '../../client/types.js';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { errorBox } from '../ui.js';

/** Wait after the last keystroke before asking the server, in milliseconds. */
const DEBOUNCE_MS = 250;
const PAGE = 20;

/** `text` with the `[start, end)` ranges in <mark>. */
function marked(text: string, ranges: [number, number][]): (string | HTMLElement)[] {
  const parts: (string | HTMLElement)[] = [];
  let at = 0;
  for (const [start, end] of ranges) {
    if (start < at) continue;
    parts.push(text.slice(at, start), h('mark', {}, text.slice(start, end)));
    at = end;
  }
  parts.push(text.slice(at));
  return parts;
}

function hitRow(jobId: string, hit: SearchHitView): HTMLLIElement {
  const title = hit.title?.trim() ? marked(hit.title, hit.titleHighlights) : [hit.url];
  return h(
    'li',
    { class: 'result' },
    h(
      'a',
      {
        href: `#/documents/${encodeURIComponent(hit.documentId)}?job=${encodeURIComponent(jobId)}`,
        class: 'result__title',
      },
      ...title,
    ),
    h('p', { class: 'result__snippet small' }, ...marked(hit.snippet, hit.highlights)),
    h('div', { class: 'result__meta small muted' }, hit.url),
  );
}

/** The search box and its hits; `onActive` says whether a query is shown (the list below hides then). */
export function textSearchPanel(
  jobId: string,
  signal: AbortSignal,
  onActive: (isActive: boolean) => void,
): HTMLElement {
  const id = 'results-text-search';
  const input = h('input', {
    id,
    type: 'search',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': `${id}-hint`,
  });
  const list = h('ol', { class: 'results', 'aria-label': 'Full-text search hits' });
  const summary = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'More hits');
  const errorSlot = h('div');
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;
  let cursor: string | null = null;

  async function load(q: string, isMore: boolean): Promise<void> {
    const mine = ++generation;
    try {
      const page = await api.searchDocuments(q, {
        jobId,
        limit: PAGE,
        cursor: isMore ? (cursor ?? undefined) : undefined,
        signal,
      });
      if (mine !== generation) return;
      cursor = page.nextCursor;
      const rows = page.items.map((hit) => hitRow(jobId, hit));
      if (isMore) list.append(...rows);
      else replace(list, ...rows);
      summary.textContent =
        list.children.length === 0
          ? 'No document matches.'
          : `${list.children.length} matching documents${cursor ? ', more available' : ''}.`;
      more.hidden = cursor === null;
      replace(errorSlot);
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      replace(list);
      more.hidden = true;
      summary.textContent = '';
      replace(errorSlot, errorBox(error, 'The search could not be run'));
    }
  }

  input.addEventListener('input', () => {
    clearTimeout(timer);
    const q = input.value.trim();
    onActive(q !== '');
    if (q === '') {
      generation++;
      replace(list);
      replace(errorSlot);
      summary.textContent = '';
      more.hidden = true;
      return;
    }
    timer = setTimeout(() => void load(q, false), DEBOUNCE_MS);
  });
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
  more.addEventListener('click', () => void load(input.value.trim(), true));
  return h(
    'div',
    { class: 'text-search' },
    h(
      'div',
      { class: 'field field--inline' },
      h('label', { for: id }, 'Search the text'),
      input,
      h(
        'p',
        { id: `${id}-hint`, class: 'hint' },
        'Full-text search of every document of this job: words, "a phrase", a OR b, -word, prefix*.',
      ),
    ),
    errorSlot,
    list,
    summary,
    more,
  );
}
