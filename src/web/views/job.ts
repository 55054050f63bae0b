/**
 * `#/jobs/:id`: one job, live. The header follows the job's Server-Sent Events (progress bar,
 * counts per state, rate and ETA, cancel); below it, the items (filter by state on the server,
 * search by URL over the loaded rows) and the documents (search by URL or title over the loaded
 * pages), each paged with "Load more" and refreshed while the job runs.
 */
import { describePoliteness } from '../../client/politeness.js';
import type { JobView, ProgressEventData, SubmissionSummary } from '../../client/types.js';
import { api, downloadResultsNdjson } from '../api.js';
import { download, h, replace } from '../dom.js';
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
  ITEM_STATES,
  jobName,
  jobStatusBadge,
  pageHeading,
  shortId,
  stateBadge,
  toast,
} from '../ui.js';
import { itemsSection } from './job-items.js';
import { resultsSection } from './job-results.js';
import { recentSubmissions } from './new-job.js';
import type { ViewContext } from './view.js';

/** Name of the last SSE event of a stream (src/api/routes/events.ts `FINAL_EVENT`). */
const FINAL_EVENT = 'completed';
const PROGRESS_EVENT = 'progress';
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
    job = await api.getJob(jobId, { signal });
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
  const politenessNote = h('p', { class: 'politeness small', id: 'job-politeness', hidden: true });
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
  const deleteButton = h(
    'button',
    { type: 'button', class: 'button button--danger', hidden: true },
    'Delete job',
  );
  const retryButton = h(
    'button',
    { type: 'button', class: 'button', id: 'retry-failed', hidden: true },
    'Retry failed',
  );
  const ndjsonButton = h('button', { type: 'button', class: 'button' }, 'Download all (NDJSON)');
  const zipButton = h('button', { type: 'button', class: 'button' }, 'Download Markdown (zip)');
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
    politenessNote,
    h(
      'dl',
      { class: 'stats' },
      h('div', {}, h('dt', {}, 'Rate'), rate),
      h('div', {}, etaLabel, eta),
      h('div', {}, h('dt', {}, 'Updates'), h('dd', {}, connection)),
    ),
    announcer,
    h('div', { class: 'actions' }, cancelButton, retryButton, ndjsonButton, zipButton, deleteButton),
    confirmBox,
    actionError,
  );
  header.setAttribute('aria-busy', 'false');
  recentSubmissions.delete(jobId);

  const estimator = new RateEstimator();
  let lastAnnouncedAt = 0;

  function renderHeader(): void {
    const done = finishedCount(job.counts);
    title.textContent = jobName(job);
    title.title = job.id;
    context.setTitle(jobName(job));
    replace(statusSlot, jobStatusBadge(job));
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
    // Items held back by per-host limits are not "running": the cell counts those in flight.
    const polite = job.politeness;
    replace(
      counts,
      ...ITEM_STATES.map((state) =>
        h(
          'li',
          {
            class: `count count--${state}${state === 'failed' && job.counts.failed > 0 ? ' count--alarm' : ''}`,
            'data-state': state,
          },
          h(
            'span',
            { class: 'count__n' },
            formatCount(state === 'running' && polite ? polite.inFlight : job.counts[state]),
          ),
          ' ',
          state === 'running' && polite
            ? h('span', { class: 'badge badge--running' }, 'in flight')
            : stateBadge(state),
        ),
      ),
    );
    politenessNote.hidden = polite === undefined;
    politenessNote.textContent = polite ? describePoliteness(polite) : '';
    renderRate();
    const final = isFinal(job);
    const cancellable = job.status === 'queued' || job.status === 'running';
    cancelButton.hidden = !cancellable;
    retryButton.hidden = job.counts.failed === 0 || job.status === 'cancelled';
    deleteButton.hidden = !final;
    retryButton.textContent = `Retry failed (${formatCount(job.counts.failed)})`;
    if (!cancellable) confirmBox.hidden = true;
    if (final) connection.textContent = 'Finished';
    ndjsonButton.disabled = job.counts.succeeded === 0;
    ndjsonButton.title = job.counts.succeeded === 0 ? 'No document yet' : '';
    zipButton.disabled = ndjsonButton.disabled;
    zipButton.title = ndjsonButton.title;
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
    api
      .cancel(job.id)
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
  deleteButton.addEventListener('click', () => {
    if (!window.confirm('Delete this job and its list of items? Its documents stay stored.')) return;
    deleteButton.disabled = true;
    replace(actionError);
    api.deleteJob(job.id).then(
      () => {
        toast('Job deleted');
        location.hash = '#/jobs';
      },
      (error: unknown) => {
        deleteButton.disabled = false;
        replace(actionError, errorBox(error, 'The job could not be deleted'));
      },
    );
  });
  retryButton.addEventListener('click', () => {
    retryButton.disabled = true;
    replace(actionError);
    api
      .retryFailed(job.id)
      .then(
        ({ retried }) => {
          toast(
            retried === 0
              ? 'Nothing to retry'
              : `${formatCount(retried)} failed link${retried === 1 ? '' : 's'} queued again`,
          );
          // The job runs again: start over, live updates included.
          context.rerender();
        },
        (error: unknown) => replace(actionError, errorBox(error, 'The failed links could not be retried')),
      )
      .finally(() => {
        retryButton.disabled = false;
      });
  });
  zipButton.addEventListener('click', () => {
    zipButton.disabled = true;
    zipButton.textContent = 'Preparing download…';
    replace(actionError);
    api
      .resultsZip(job.id, { signal })
      .then(
        (blob) => download(blob, `distill-${job.id}.zip`),
        (error: unknown) => {
          if (!signal.aborted)
            replace(actionError, errorBox(error, 'The Markdown files could not be downloaded'));
        },
      )
      .finally(() => {
        zipButton.disabled = job.counts.succeeded === 0;
        zipButton.textContent = 'Download Markdown (zip)';
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
    await followEvents(job.id, {
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
            politeness: data.politeness,
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
