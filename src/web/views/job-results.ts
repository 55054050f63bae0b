/** The documents list of the job page: search by title or URL (loaded pages), Load more, live refresh. */
import type { ResultView } from '../../client/types.js';
import { api, RESULT_LIST_FIELDS } from '../api.js';
import { h, replace, replaceKeepingFocus } from '../dom.js';
import { formatCount } from '../format.js';
import { errorBox, externalLink } from '../ui.js';
import { loadedSummary, searchField, setText } from './list-parts.js';
import { textSearchPanel } from './text-search.js';

/** Documents per page of the results list. */
const RESULTS_PAGE = 25;

/** The documents of succeeded items: search by URL or title over the loaded pages, Load more. */
export function resultsSection(
  jobId: string,
  signal: AbortSignal,
): { element: HTMLElement; refresh(): Promise<void> } {
  const search = searchField('results-search', 'Search titles and URLs', render);
  const list = h('ol', { class: 'results', 'aria-labelledby': 'results-title' });
  const summary = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Load more documents');
  const errorSlot = h('div');
  // While a full-text query is shown, the loaded list and its filter step aside.
  const browse = h('div', {}, h('div', { class: 'filters' }, search.field));
  const textSearch = textSearchPanel(jobId, signal, (isActive) => {
    browse.hidden = isActive;
    list.hidden = isActive;
    summary.hidden = isActive;
    more.hidden = isActive || cursor === null;
  });
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'results-title' },
    h('h2', { id: 'results-title' }, 'Documents'),
    textSearch,
    browse,
    list,
    summary,
    more,
    errorSlot,
  );

  let rows: ResultView[] = [];
  let cursor: string | null = null;
  let generation = 0;

  function render(): void {
    const needle = search.input.value.trim().toLowerCase();
    const shown =
      needle === ''
        ? rows
        : rows.filter((doc) =>
            `${doc.title ?? ''}\n${doc.url ?? ''}\n${doc.finalUrl ?? ''}`.toLowerCase().includes(needle),
          );
    replaceKeepingFocus(list, ...shown.map((doc) => resultRow(jobId, doc)));
    setText(
      summary,
      rows.length === 0
        ? 'No documents yet.'
        : loadedSummary(shown.length, rows.length, cursor !== null, needle !== '', 'document'),
    );
    more.hidden = cursor === null;
  }

  async function load(options: { isRefresh: boolean }): Promise<void> {
    const mine = ++generation;
    // The API pages results 100 at most: a refresh re-reads the loaded rows only while they fit.
    if (options.isRefresh && rows.length > 100) return;
    const limit = options.isRefresh
      ? Math.max(RESULTS_PAGE, Math.ceil(rows.length / RESULTS_PAGE) * RESULTS_PAGE)
      : RESULTS_PAGE;
    try {
      const page = await api.listResults(jobId, {
        limit: Math.min(limit, 100),
        fields: RESULT_LIST_FIELDS,
        cursor: options.isRefresh ? undefined : (cursor ?? undefined),
        signal,
      });
      if (mine !== generation) return;
      rows = options.isRefresh ? page.items : [...rows, ...page.items];
      cursor = page.nextCursor;
      replace(errorSlot);
      render();
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      replace(errorSlot, errorBox(error, 'The documents could not be loaded'));
    }
  }

  more.addEventListener('click', () => {
    more.disabled = true;
    void load({ isRefresh: false }).finally(() => {
      more.disabled = false;
    });
  });
  return { element, refresh: () => load({ isRefresh: true }) };
}

function resultRow(jobId: string, doc: ResultView): HTMLLIElement {
  const title = doc.title?.trim() || doc.url || 'Untitled';
  return h(
    'li',
    { class: 'result' },
    doc.id
      ? h(
          'a',
          {
            href: `#/documents/${encodeURIComponent(doc.id)}?job=${encodeURIComponent(jobId)}`,
            class: 'result__title',
          },
          title,
        )
      : h('span', { class: 'result__title' }, title),
    h(
      'div',
      { class: 'result__meta small' },
      doc.url ? externalLink(doc.url) : '',
      doc.wordCount !== undefined ? ` · ${formatCount(doc.wordCount)} words` : '',
    ),
  );
}
