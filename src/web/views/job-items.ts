/** The items list of the job page: filter by state (server-side), search by URL (loaded rows), Load more, live refresh. */
import type { ItemStateName, ItemView } from '../../client/types.js';
import { api } from '../api.js';
import { h, replace, replaceKeepingFocus } from '../dom.js';
import { errorBox, ITEM_STATES, srOnly, stateBadge } from '../ui.js';
import { loadedSummary, searchField, setText } from './list-parts.js';

/** Items per page of the items list. */
const ITEMS_PAGE = 25;
/** Most rows a live refresh re-reads at once (the API's largest page of items). */
const MAX_REFRESH_ROWS = 1000;

/** The items list: state filter (server-side), URL search (client-side), Load more. */
export function itemsSection(
  jobId: string,
  signal: AbortSignal,
): { element: HTMLElement; refresh(): Promise<void> } {
  const state = h(
    'select',
    { id: 'items-state' },
    h('option', { value: '' }, 'All states'),
    ...ITEM_STATES.map((s) => h('option', { value: s }, s)),
  );
  const search = searchField('items-search', 'Search URLs', render);
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'table items-table' },
    h('caption', { class: 'sr-only' }, 'Items of this job'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'URL'),
        h('th', { scope: 'col' }, 'State'),
        h('th', { scope: 'col' }, 'Attempts'),
        h('th', { scope: 'col' }, 'Error'),
      ),
    ),
    body,
  );
  const summary = h('p', { class: 'muted small', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Load more items');
  const errorSlot = h('div');
  const element = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'items-title' },
    h('h2', { id: 'items-title' }, 'Items'),
    h(
      'div',
      { class: 'filters' },
      h('div', { class: 'field field--inline' }, h('label', { for: 'items-state' }, 'State'), state),
      search.field,
    ),
    h('div', { class: 'table-wrap' }, table),
    summary,
    more,
    errorSlot,
  );

  let rows: ItemView[] = [];
  let cursor: string | null = null;
  let generation = 0;

  function render(): void {
    const needle = search.input.value.trim().toLowerCase();
    const shown = needle === '' ? rows : rows.filter((item) => item.url.toLowerCase().includes(needle));
    replaceKeepingFocus(body, ...shown.map((item) => itemRow(jobId, item)));
    if (shown.length === 0) {
      body.append(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: '4', class: 'muted' },
            rows.length === 0 ? 'No items in this state.' : 'No loaded item matches the search.',
          ),
        ),
      );
    }
    setText(summary, loadedSummary(shown.length, rows.length, cursor !== null, needle !== '', 'item'));
    more.hidden = cursor === null;
  }

  async function load(options: { isRefresh: boolean }): Promise<void> {
    const mine = ++generation;
    const filter = (state.value || null) as ItemStateName | null;
    const limit = options.isRefresh
      ? Math.min(MAX_REFRESH_ROWS, Math.max(ITEMS_PAGE, rows.length))
      : ITEMS_PAGE;
    try {
      const page = await api.listItems(jobId, {
        state: filter ?? undefined,
        limit,
        cursor: options.isRefresh ? undefined : (cursor ?? undefined),
        signal,
      });
      if (mine !== generation) return; // A newer load (filter change) won.
      rows = options.isRefresh ? page.items : [...rows, ...page.items];
      cursor = page.nextCursor;
      replace(errorSlot);
      render();
    } catch (error) {
      if (signal.aborted || mine !== generation) return;
      replace(errorSlot, errorBox(error, 'The items could not be loaded'));
    }
  }

  state.addEventListener('change', () => {
    rows = [];
    cursor = null;
    void load({ isRefresh: true });
  });
  more.addEventListener('click', () => {
    more.disabled = true;
    void load({ isRefresh: false }).finally(() => {
      more.disabled = false;
    });
  });
  return { element, refresh: () => load({ isRefresh: true }) };
}

function itemRow(jobId: string, item: ItemView): HTMLTableRowElement {
  const url =
    item.documentId !== null
      ? h(
          'a',
          {
            href: `#/documents/${encodeURIComponent(item.documentId)}?job=${encodeURIComponent(jobId)}`,
            class: 'url',
          },
          item.url,
        )
      : h('span', { class: 'url' }, item.url);
  const error = item.error
    ? h(
        'div',
        {},
        h(
          'code',
          { class: 'error-code' },
          item.error.code + (item.error.httpStatus ? ` ${item.error.httpStatus}` : ''),
        ),
        h('div', { class: 'small muted' }, item.error.message),
      )
    : h('span', { class: 'muted' }, '—', srOnly('none'));
  return h(
    'tr',
    { 'data-state': item.state },
    h('td', { 'data-label': 'URL' }, url),
    h('td', { 'data-label': 'State' }, stateBadge(item.state)),
    h('td', { 'data-label': 'Attempts' }, String(item.attempts)),
    h('td', { 'data-label': 'Error', class: item.error ? '' : 'is-empty' }, error),
  );
}
