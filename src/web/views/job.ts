/**
 * `#/jobs/:id`: one job, live. The header follows the job's Server-Sent Events (progress bar,
 * counts per state, rate and ETA, cancel); below it, the items (filter by state on the server,
 * search by URL over the loaded rows) and the documents (search by URL or title over the loaded
 * pages), each paged with "Load more" and refreshed while the job runs.
 */
import type {
  ItemStateName,
  ItemView,
  JobView,
  ProgressEventData,
  ResultView,
  SubmissionSummary,
} from '../../client/types.js';
import { cancelJob, downloadResultsNdjson, eventsPath, getJob, listItems, listResults } from '../api.js';
import { download, h, replace, replaceKeepingFocus } from '../dom.js';
import { textSearchPanel } from './text-search.js';
import { followEvents } from '../event-stream.js';
import {
  finishedCount,
  formatAgo,
  formatCount,
  formatDateTime,
  formatDuration,
  formatPercent,
  formatRate,
  RateEstimator,
} from '../format.js';
import {
  errorBox,
  externalLink,
  ITEM_STATES,
  pageHeading,
  shortId,
  srOnly,
  stateBadge,
  toast,
} from '../ui.js';
import { recentSubmissions } from './new-job.js';
import type { ViewContext } from './view.js';

/** Name of the last SSE event of a stream (src/api/routes/events.ts `FINAL_EVENT`). */
const FINAL_EVENT = 'completed';
const PROGRESS_EVENT = 'progress';
/** Items per page of the items list. */
const ITEMS_PAGE = 25;
/** Documents per page of the results list. */
const RESULTS_PAGE = 25;
/** Most rows a live refresh re-reads at once (the API's largest page of items). */
const MAX_REFRESH_ROWS = 1000;
/** Least time between two live refreshes of the lists, in milliseconds. */
const REFRESH_EVERY_MS = 1000;
/** Least time between two progress announcements to screen readers, in milliseconds. */
const ANNOUNCE_EVERY_MS = 10_000;

function isFinal(job: Pick<JobView, 'status' | 'counts'>): boolean {
  return job.status === 'completed' || (job.status === 'cancelled' && job.counts.running === 0);
}

export async function renderJob(main: HTMLElement, context: ViewContext, jobId: string): Promise<void> {
  const { signal } = context;
  context.setTitle(`Job ${shortId(jobId)}`);
  const header = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'job-title', 'aria-busy': 'true' },
    h('p', { class: 'muted' }, 'Loading job…'),
  );
  main.append(header);

  let job: JobView;
  try {
    job = await getJob(jobId, signal);
  } catch (error) {
    if (signal.aborted) return;
    replace(
      header,
      pageHeading('Job'),
      errorBox(error, 'This job could not be loaded'),
      h('p', {}, h('a', { href: '#/jobs' }, 'See all jobs')),
    );
    header.setAttribute('aria-busy', 'false');
    return;
  }

  // ---- header: status, progress, counts, rate, actions ----
  const title = Object.assign(pageHeading(''), { id: 'job-title' });
  const statusSlot = h('span', { class: 'title-badge' });
  const meta = h('p', { class: 'muted small job-meta' });
  const percent = h('span', { class: 'progress__percent' });
  const doneText = h('span', { class: 'progress__done' });
  const bar = h('progress', {
    id: 'job-progress',
    max: '1',
    value: '0',
    'aria-labelledby': 'progress-label',
  });
  const counts = h('ul', { class: 'counts', 'aria-label': 'Items per state' });
  const rate = h('dd', { id: 'job-rate' });
  const eta = h('dd', { id: 'job-eta' });
  const etaLabel = h('dt', {}, 'Time left');
  const connection = h('span', { class: 'connection small' });
  const announcer = h('p', {
    class: 'sr-only',
    role: 'status',
    'aria-live': 'polite',
    'aria-atomic': 'true',
  });
  const cancelButton = h(
    'button',
    {
      type: 'button',
      class: 'button button--danger',
      'aria-expanded': 'false',
      'aria-controls': 'cancel-confirm',
    },
    'Cancel job…',
  );
  const confirmCancel = h('button', { type: 'button', class: 'button button--danger' }, 'Stop the job');
  const keepRunning = h('button', { type: 'button', class: 'button' }, 'Keep running');
  const confirmBox = h(
    'div',
    { id: 'cancel-confirm', class: 'confirm', hidden: true },
    h('p', {}, 'Queued links will not be fetched and running ones are stopped. Finished documents are kept.'),
    h('div', { class: 'actions' }, confirmCancel, keepRunning),
  );
  const ndjsonButton = h('button', { type: 'button', class: 'button' }, 'Download all (NDJSON)');
  const actionError = h('div');

  replace(
    header,
    h('div', { class: 'title-row' }, title, statusSlot),
    meta,
    submissionSummary(recentSubmissions.get(jobId)),
    h(
      'div',
      { class: 'progress' },
      h(
        'div',
        { class: 'progress__head' },
        h('span', { id: 'progress-label' }, 'Progress'),
        ' ',
        percent,
        ' ',
        doneText,
      ),
      bar,
    ),
    counts,
    h(
      'dl',
      { class: 'stats' },
      h('div', {}, h('dt', {}, 'Rate'), rate),
      h('div', {}, etaLabel, eta),
      h('div', {}, h('dt', {}, 'Updates'), h('dd', {}, connection)),
    ),
    announcer,
    h('div', { class: 'actions' }, cancelButton, ndjsonButton),
    confirmBox,
    actionError,
  );
  header.setAttribute('aria-busy', 'false');
  recentSubmissions.delete(jobId);

  const estimator = new RateEstimator();
  let lastAnnouncedAt = 0;

  function renderHeader(): void {
    const done = finishedCount(job.counts);
    title.textContent = `Job ${shortId(job.id)}`;
    title.title = job.id;
    replace(statusSlot, stateBadge(job.status));
    replace(
      meta,
      'Started ',
      h('time', { datetime: job.createdAt, title: formatDateTime(job.createdAt) }, formatAgo(job.createdAt)),
      job.finishedAt ? ' · finished ' : '',
      job.finishedAt ? h('time', { datetime: job.finishedAt }, formatDateTime(job.finishedAt)) : '',
      ' · id ',
      h('code', {}, job.id),
    );
    percent.textContent = formatPercent(job.progress);
    doneText.textContent = `${formatCount(done)} of ${formatCount(job.total)} done`;
    bar.value = job.progress;
    bar.className = `progress--${job.status}`;
    bar.setAttribute(
      'aria-valuetext',
      `${formatPercent(job.progress)}, ${formatCount(done)} of ${formatCount(job.total)} done`,
    );
    replace(
      counts,
      ...ITEM_STATES.map((state) =>
        h(
          'li',
          { class: `count count--${state}`, 'data-state': state },
          h('span', { class: 'count__n' }, formatCount(job.counts[state])),
          ' ',
          stateBadge(state),
        ),
      ),
    );
    renderRate();
    const final = isFinal(job);
    const cancellable = job.status === 'queued' || job.status === 'running';
    cancelButton.hidden = !cancellable;
    if (!cancellable) confirmBox.hidden = true;
    if (final) connection.textContent = 'Finished';
    ndjsonButton.disabled = job.counts.succeeded === 0;
    ndjsonButton.title = job.counts.succeeded === 0 ? 'No document yet' : '';
  }

  function renderRate(): void {
    if (job.finishedAt) {
      const tookMs = new Date(job.finishedAt).getTime() - new Date(job.createdAt).getTime();
      // Cancelled items were not processed: the average counts fetched ones only.
      const processed = job.counts.succeeded + job.counts.failed;
      etaLabel.textContent = 'Took';
      eta.textContent = formatDuration(tookMs);
      rate.textContent =
        tookMs > 0 && processed > 0 ? `${formatRate(processed / (tookMs / 1000))} on average` : '—';
      return;
    }
    etaLabel.textContent = 'Time left';
    const perSecond = estimator.ratePerSecond();
    rate.textContent = perSecond === null ? 'measuring…' : formatRate(perSecond);
    const remaining = job.counts.queued + job.counts.running;
    const left = estimator.etaMs(remaining);
    eta.textContent = remaining === 0 ? '—' : left === null ? 'estimating…' : `about ${formatDuration(left)}`;
  }

  function announce(force: boolean): void {
    const now = Date.now();
    if (!force && now - lastAnnouncedAt < ANNOUNCE_EVERY_MS) return;
    lastAnnouncedAt = now;
    const done = finishedCount(job.counts);
    announcer.textContent = isFinal(job)
      ? `Job ${job.status}: ${formatCount(job.counts.succeeded)} succeeded, ${formatCount(job.counts.failed)} failed, ${formatCount(job.counts.cancelled)} cancelled.`
      : `Progress ${formatPercent(job.progress)}: ${formatCount(done)} of ${formatCount(job.total)} done.`;
  }

  // ---- actions ----
  cancelButton.addEventListener('click', () => {
    confirmBox.hidden = false;
    cancelButton.setAttribute('aria-expanded', 'true');
    confirmCancel.focus();
  });
  keepRunning.addEventListener('click', () => {
    confirmBox.hidden = true;
    cancelButton.setAttribute('aria-expanded', 'false');
    cancelButton.focus();
  });
  confirmCancel.addEventListener('click', () => {
    confirmCancel.disabled = true;
    replace(actionError);
    cancelJob(job.id)
      .then(
        (cancelled) => {
          confirmBox.hidden = true;
          cancelButton.setAttribute('aria-expanded', 'false');
          job = cancelled;
          renderHeader();
          announce(true);
          toast('Job cancelled');
          title.focus();
          scheduleRefresh();
        },
        (error: unknown) => replace(actionError, errorBox(error, 'The job could not be cancelled')),
      )
      .finally(() => {
        confirmCancel.disabled = false;
      });
  });
  ndjsonButton.addEventListener('click', () => {
    ndjsonButton.disabled = true;
    ndjsonButton.textContent = 'Preparing download…';
    replace(actionError);
    downloadResultsNdjson(job.id, signal)
      .then(
        (blob) => download(blob, `distill-${job.id}.ndjson`),
        (error: unknown) => {
          if (!signal.aborted) replace(actionError, errorBox(error, 'The results could not be downloaded'));
        },
      )
      .finally(() => {
        ndjsonButton.disabled = job.counts.succeeded === 0;
        ndjsonButton.textContent = 'Download all (NDJSON)';
      });
  });

  // ---- lists ----
  const items = itemsSection(job.id, signal);
  const results = resultsSection(job.id, signal);
  main.append(items.element, results.element);

  let refreshTimer: number | undefined;
  let lastRefreshAt = 0;
  /** Re-reads the loaded rows at most once per `REFRESH_EVERY_MS`, however many events arrive. */
  function scheduleRefresh(): void {
    if (refreshTimer !== undefined) return;
    const wait = Math.max(0, lastRefreshAt + REFRESH_EVERY_MS - Date.now());
    refreshTimer = window.setTimeout(() => {
      refreshTimer = undefined;
      lastRefreshAt = Date.now();
      void items.refresh();
      void results.refresh();
    }, wait);
  }

  const ticker = window.setInterval(renderRate, 1000);
  signal.addEventListener('abort', () => {
    window.clearInterval(ticker);
    window.clearTimeout(refreshTimer);
  });

  renderHeader();
  await Promise.all([items.refresh(), results.refresh()]);
  if (isFinal(job)) {
    window.clearInterval(ticker);
    return;
  }

  estimator.add(finishedCount(job.counts));
  connection.textContent = 'Connecting…';
  try {
    await followEvents(eventsPath(job.id), {
      finalEvent: FINAL_EVENT,
      signal,
      onConnection: (state) => {
        connection.textContent = state === 'live' ? 'Live' : 'Reconnecting…';
      },
      onEvent: (event) => {
        if (event.event === PROGRESS_EVENT) {
          const data = JSON.parse(event.data) as ProgressEventData;
          job = {
            ...job,
            status: data.status,
            counts: data.counts,
            total: data.total,
            progress: data.progress,
          };
          estimator.add(finishedCount(job.counts));
          renderHeader();
          announce(false);
          scheduleRefresh();
        } else if (event.event === FINAL_EVENT) {
          job = JSON.parse(event.data) as JobView;
          renderHeader();
          announce(true);
          scheduleRefresh();
        }
      },
    });
  } catch (error) {
    if (signal.aborted) return;
    connection.textContent = 'Not live';
    actionError.append(errorBox(error, 'Live updates stopped; reload the page to try again'));
  } finally {
    if (isFinal(job)) window.clearInterval(ticker);
  }
}

/** What the submission did, shown once right after it. */
function submissionSummary(summary: SubmissionSummary | undefined): HTMLElement | null {
  if (!summary) return null;
  const parts = [`${formatCount(summary.accepted)} accepted`];
  if (summary.duplicates > 0) parts.push(`${formatCount(summary.duplicates)} duplicates merged`);
  if (summary.reused > 0) parts.push(`${formatCount(summary.reused)} answered from stored documents`);
  if (summary.invalidCount > 0) parts.push(`${formatCount(summary.invalidCount)} refused`);
  if (summary.truncated) parts.push('the rest of a very large upload was ignored');
  const box = h('div', { class: 'notice', role: 'status' }, h('p', {}, `Submitted: ${parts.join(' · ')}.`));
  if (summary.invalid.length > 0) {
    box.append(
      h(
        'details',
        {},
        h('summary', {}, 'Refused entries'),
        h(
          'ul',
          { class: 'invalid-list' },
          ...summary.invalid.map((entry) => h('li', {}, h('code', {}, entry.input), ` ${entry.message}`)),
        ),
      ),
    );
  }
  return box;
}

/** Sets the text of a live region only when it changes, so a refresh does not repeat it aloud. */
function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

/** "25 items loaded, more available" or "6 of 48 loaded documents match". */
function loadedSummary(
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
function searchField(
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

/** The items list: state filter (server-side), URL search (client-side), Load more. */
function itemsSection(
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
      const page = await listItems(jobId, {
        state: filter,
        limit,
        cursor: options.isRefresh ? null : cursor,
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

/** The documents of succeeded items: search by URL or title over the loaded pages, Load more. */
function resultsSection(
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
      const page = await listResults(jobId, {
        limit: Math.min(limit, 100),
        cursor: options.isRefresh ? null : cursor,
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
