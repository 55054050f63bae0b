/** Pieces shared by the views: headings, state badges, error boxes, toasts, copying. */
import type { ItemStateName, JobStatusName, JobView } from '../client/types.js';
import { DistillApiError } from './api.js';
import { h } from './dom.js';

/** The state names in the order the page shows them. */
export const ITEM_STATES: readonly ItemStateName[] = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
];

/** A badge for an item state or a job status; the word is always shown, colour only adds to it. */
export function stateBadge(state: ItemStateName | JobStatusName): HTMLElement {
  return h('span', { class: `badge badge--${state}` }, state);
}

/**
 * A job's status badge: a job that ended with failures is not a green "completed" but a red
 * "completed with N failed"; one still running with failures says so beside its status.
 */
export function jobStatusBadge(job: Pick<JobView, 'status' | 'counts'>): HTMLElement {
  const failed = job.counts.failed;
  if (failed === 0 || job.status === 'queued') return stateBadge(job.status);
  const badge = h(
    'span',
    { class: 'badge badge--failed' },
    `${job.status} with ${failed.toLocaleString('en-US')} failed`,
  );
  return badge;
}

/** A job's name as the lists show it; servers before job names get "Job" and the id's start. */
export function jobName(job: Pick<JobView, 'id' | 'name'>): string {
  return job.name || `Job ${shortId(job.id)}`;
}

/** The page's `<h1>`: focusable so the router can move focus to it after a navigation. */
export function pageHeading(text: string | Node, extra: string = ''): HTMLHeadingElement {
  return h('h1', { tabindex: '-1', class: `page-title ${extra}`.trim() }, text);
}

/** Asks the shell to open the API key dialog (main.ts listens). */
export function requestApiKey(reason?: string): void {
  window.dispatchEvent(new CustomEvent('distill:api-key', { detail: { reason } }));
}

/** An alert box for a failed action; a 401 offers to enter the API key. */
export function errorBox(error: unknown, what: string): HTMLElement {
  const box = h('div', { class: 'alert', role: 'alert' });
  const title = h('p', { class: 'alert__title' }, what);
  box.append(title);
  if (error instanceof DistillApiError) {
    box.append(h('p', {}, error.detail ?? error.problem.title));
    const fields = error.problem.errors;
    if (fields && fields.length > 0) {
      box.append(h('ul', {}, ...fields.map((f) => h('li', {}, h('code', {}, f.field), ` ${f.message}`))));
    }
    box.append(h('p', { class: 'muted small' }, `Code ${error.code} · HTTP ${error.status}`));
    if (error.status === 401) {
      box.append(
        h(
          'button',
          { type: 'button', class: 'button button--primary', on: { click: () => requestApiKey() } },
          'Enter API key',
        ),
      );
    }
  } else {
    box.append(h('p', {}, error instanceof Error ? error.message : String(error)));
  }
  return box;
}

let toastTimer: number | undefined;

/** Shows a short status message (announced politely to screen readers). */
export function toast(message: string): void {
  const element = document.getElementById('toast');
  if (!element) return;
  element.textContent = message;
  element.classList.add('toast--visible');
  window.clearTimeout(toastTimer);
  toastTimer = window.setTimeout(() => element.classList.remove('toast--visible'), 2500);
}

/** Copies `text` to the clipboard and says so. */
export async function copyText(text: string, what: string): Promise<void> {
  try {
    // `navigator.clipboard` exists only in secure contexts (https, localhost).
    if (navigator.clipboard) await navigator.clipboard.writeText(text);
    else copyWithSelection(text);
    toast(`${what} copied`);
  } catch {
    // The browser refused (permission denied, no user gesture): say so rather than fail silently.
    toast(`Could not copy ${what.toLowerCase()}: the browser refused access to the clipboard`);
  }
}

/** The old way to copy, for pages served over plain http: select a hidden textarea and copy. */
function copyWithSelection(text: string): void {
  const area = h('textarea', { readonly: true, class: 'sr-only', 'aria-hidden': 'true', tabindex: '-1' });
  area.value = text;
  const focused = document.activeElement;
  document.body.append(area);
  area.select();
  // execCommand is deprecated but is the only clipboard access an insecure origin has.
  const isCopied = document.execCommand('copy');
  area.remove();
  if (focused instanceof HTMLElement) focused.focus();
  if (!isCopied) throw new Error('execCommand("copy") failed');
}

/** A short form of an id for headings and lists; the full id stays in the title attribute. */
export function shortId(id: string): string {
  return id.length > 12 ? id.slice(0, 8) : id;
}

/** An external link (new tab, no referrer), showing `text` or the URL. */
export function externalLink(url: string, text?: string): HTMLAnchorElement {
  return h(
    'a',
    { href: url, target: '_blank', rel: 'noopener noreferrer nofollow', class: 'url' },
    text ?? url,
  );
}

/** A `<span>` for screen readers only. */
export function srOnly(text: string): HTMLElement {
  return h('span', { class: 'sr-only' }, text);
}
