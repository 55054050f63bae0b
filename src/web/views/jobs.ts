/** `#/jobs`: recent jobs, newest first, a page at a time; also the short list under the form. */
import type { JobView } from '../../client/types.js';
import { api } from '../api.js';
import { h, replace } from '../dom.js';
import { finishedCount, formatAgo, formatCount, formatDateTime, formatPercent } from '../format.js';
import { errorBox, jobName, jobStatusBadge, pageHeading, shortId } from '../ui.js';
import type { ViewContext } from './view.js';

/** A list of jobs: one card per job, linking to its page. */
export function jobList(jobs: readonly JobView[]): HTMLElement {
  return h(
    'ul',
    { class: 'job-list' },
    ...jobs.map((job) =>
      h(
        'li',
        { class: 'job-card' },
        h(
          'p',
          { class: 'job-card__head' },
          h(
            'a',
            { href: `#/jobs/${encodeURIComponent(job.id)}`, class: 'job-card__link', title: job.id },
            jobName(job),
          ),
          ' ',
          jobStatusBadge(job),
        ),
        h(
          'p',
          { class: 'job-card__meta' },
          `${formatCount(finishedCount(job.counts))} of ${formatCount(job.total)} done (${formatPercent(job.progress)})`,
          job.counts.failed > 0 ? ' · ' : '',
          job.counts.failed > 0
            ? h('span', { class: 'failed-count' }, `${formatCount(job.counts.failed)} failed`)
            : '',
          ' · ',
          h(
            'time',
            { datetime: job.createdAt, title: formatDateTime(job.createdAt) },
            formatAgo(job.createdAt),
          ),
        ),
        h('progress', {
          max: '1',
          value: String(job.progress),
          class: `progress--${job.status}`,
          'aria-label': `Progress of ${jobName(job)}`,
        }),
        h('p', { class: 'job-card__id muted small' }, h('code', { title: job.id }, shortId(job.id))),
      ),
    ),
  );
}

/** Renders the jobs page. */
export async function renderJobs(main: HTMLElement, context: ViewContext): Promise<void> {
  const list = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading jobs…'));
  const more = h('button', { type: 'button', class: 'button', hidden: true }, 'Load more jobs');
  const status = h('p', { class: 'muted small', role: 'status' });
  const filter = h(
    'select',
    { id: 'jobs-status' },
    h('option', { value: '' }, 'Every status'),
    ...(['queued', 'running', 'completed', 'cancelled'] as const).map((s) => h('option', { value: s }, s)),
  );
  const search = h('input', {
    id: 'jobs-search',
    type: 'search',
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: '200',
    'aria-describedby': 'jobs-search-hint',
  });
  main.append(
    h(
      'section',
      { 'aria-labelledby': 'jobs-title', class: 'panel' },
      withId(pageHeading('Jobs'), 'jobs-title'),
      h(
        'div',
        { class: 'filters' },
        h('div', { class: 'field field--inline' }, h('label', { for: 'jobs-status' }, 'Status'), filter),
        h(
          'div',
          { class: 'field field--inline' },
          h('label', { for: 'jobs-search' }, 'Search jobs'),
          search,
          h(
            'p',
            { id: 'jobs-search-hint', class: 'hint' },
            'Part of a name or first link, or a whole link of the job.',
          ),
        ),
      ),
      list,
      status,
      more,
    ),
  );
  context.setTitle('Jobs');

  let jobs: JobView[] = [];
  let cursor: string | null = null;
  let generation = 0;
  async function load(): Promise<void> {
    const mine = ++generation;
    more.disabled = true;
    try {
      const chosen = (filter.value || undefined) as JobView['status'] | undefined;
      const q = search.value.trim();
      const page = await api.listJobs({
        cursor: cursor ?? undefined,
        limit: 20,
        status: chosen,
        q,
        signal: context.signal,
      });
      if (mine !== generation) return; // A newer filter won.
      jobs.push(...page.items);
      cursor = page.nextCursor;
      list.setAttribute('aria-busy', 'false');
      replace(
        list,
        jobs.length === 0
          ? search.value.trim() !== ''
            ? h('p', {}, `No ${filter.value ? `${filter.value} ` : ''}job matches “${search.value.trim()}”.`)
            : filter.value !== ''
              ? h('p', {}, `No ${filter.value} job.`)
              : h('p', {}, 'No jobs yet. ', h('a', { href: '#/' }, 'Submit some links'), '.')
          : jobList(jobs),
      );
      list.setAttribute('aria-busy', 'false');
      more.hidden = cursor === null;
      status.textContent =
        jobs.length > 0
          ? `${formatCount(jobs.length)} jobs shown${cursor === null ? ', all of them' : ''}.`
          : '';
    } catch (error) {
      if (context.signal.aborted) return;
      list.setAttribute('aria-busy', 'false');
      if (jobs.length === 0) replace(list, errorBox(error, 'The jobs could not be loaded'));
      else list.append(errorBox(error, 'More jobs could not be loaded'));
    } finally {
      more.disabled = false;
    }
  }
  more.addEventListener('click', () => void load());
  const restart = (): void => {
    jobs = [];
    cursor = null;
    void load();
  };
  filter.addEventListener('change', restart);
  // The server searches: wait for a pause in typing rather than ask on every key.
  let searchTimer: number | undefined;
  search.addEventListener('input', () => {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(restart, 250);
  });
  context.signal.addEventListener('abort', () => window.clearTimeout(searchTimer));
  await load();
}

function withId<T extends HTMLElement>(element: T, id: string): T {
  element.id = id;
  return element;
}
