/**
 * The distill page: a hash router (`#/`, `#/jobs`, `#/jobs/:id`, `#/documents/:id`) so the server
 * only serves `/` and `/assets/*`, and the API key dialog. Each view gets an AbortSignal that fires
 * when the user navigates away, which stops its requests, its event stream and its timers.
 */
import './styles.css';
import { getApiKey, onUnauthorized, setApiKey } from './api.js';
import { h, replace } from './dom.js';
import { errorBox, pageHeading, toast } from './ui.js';
import { renderDocument } from './views/document.js';
import { renderJob } from './views/job.js';
import { renderJobs } from './views/jobs.js';
import { renderNewJob } from './views/new-job.js';
import type { ViewContext } from './views/view.js';

const main = document.getElementById('main')!;
let current: AbortController | null = null;
let isFirstRender = true;

type Route =
  | { name: 'new' }
  | { name: 'jobs' }
  | { name: 'job'; jobId: string }
  | { name: 'document'; documentId: string; jobId: string | null }
  | { name: 'not-found'; path: string };

function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(search);
  const parts = path
    .split('/')
    .filter((part) => part !== '')
    .map((part) => decodeURIComponent(part));
  if (parts.length === 0) return { name: 'new' };
  if (parts[0] === 'jobs' && parts.length === 1) return { name: 'jobs' };
  if (parts[0] === 'jobs' && parts.length === 2) return { name: 'job', jobId: parts[1]! };
  if (parts[0] === 'documents' && parts.length === 2)
    return { name: 'document', documentId: parts[1]!, jobId: params.get('job') };
  return { name: 'not-found', path };
}

function markNav(route: Route): void {
  const active = route.name === 'new' ? 'new' : route.name === 'jobs' || route.name === 'job' ? 'jobs' : '';
  for (const link of document.querySelectorAll<HTMLAnchorElement>('[data-nav]')) {
    if (link.dataset.nav === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function render(): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const route = parseRoute(location.hash);
  const context: ViewContext = {
    signal: controller.signal,
    setTitle: (title) => {
      document.title = `${title} · distill`;
    },
    rerender: () => void render(),
  };
  markNav(route);
  replace(main);
  main.setAttribute('data-view', route.name);
  const isFirst = isFirstRender;
  isFirstRender = false;
  const view = (() => {
    switch (route.name) {
      case 'new':
        return renderNewJob(main, context);
      case 'jobs':
        return renderJobs(main, context);
      case 'job':
        return renderJob(main, context, route.jobId);
      case 'document':
        return renderDocument(main, context, route.documentId, route.jobId);
      case 'not-found':
        context.setTitle('Not found');
        main.append(
          h(
            'section',
            { class: 'panel' },
            pageHeading('Page not found'),
            h('p', {}, 'Nothing lives at this address. ', h('a', { href: '#/' }, 'Start a new job'), '.'),
          ),
        );
        return Promise.resolve();
    }
  })();
  // After a navigation (not the first load), move focus to the new page's heading so keyboard and
  // screen reader users start reading there, as a server-rendered page would.
  if (!isFirst) {
    const heading = main.querySelector<HTMLElement>('h1');
    (heading ?? main).focus();
  }
  try {
    await view;
  } catch (error) {
    if (controller.signal.aborted) return;
    main.append(errorBox(error, 'Something went wrong on this page'));
  }
  if (!isFirst && document.activeElement === main) main.querySelector<HTMLElement>('h1')?.focus();
}

// ---- API key ----
const dialog = document.getElementById('api-key-dialog') as HTMLDialogElement;
const keyInput = document.getElementById('api-key-input') as HTMLInputElement;
const keyReason = document.getElementById('api-key-reason')!;
const defaultReason = keyReason.textContent ?? '';

function openKeyDialog(reason?: string): void {
  if (dialog.open) return;
  keyReason.textContent = reason ?? defaultReason;
  keyInput.value = getApiKey() ?? '';
  dialog.showModal();
  keyInput.focus();
}

dialog.addEventListener('close', () => {
  const action = dialog.returnValue;
  dialog.returnValue = '';
  try {
    if (action === 'save') {
      setApiKey(keyInput.value.trim());
      toast(keyInput.value.trim() === '' ? 'API key removed' : 'API key saved');
      void render();
    } else if (action === 'clear') {
      setApiKey('');
      toast('API key removed');
      void render();
    }
  } catch (error) {
    toast(error instanceof Error ? error.message : String(error));
  }
  keyInput.value = '';
});

document.getElementById('api-key-button')!.addEventListener('click', () => openKeyDialog());
window.addEventListener('distill:api-key', (event) => {
  openKeyDialog((event as CustomEvent<{ reason?: string }>).detail.reason);
});
let hasPromptedForKey = false;
onUnauthorized((problem) => {
  // Ask once per page load on its own; after that the error boxes offer the button.
  if (hasPromptedForKey) return;
  hasPromptedForKey = true;
  openKeyDialog(
    getApiKey()
      ? `The server refused the stored API key (${problem.message}). Enter a valid one.`
      : 'This server requires an API key. It is kept in this browser only (localStorage) and sent with every request.',
  );
});

window.addEventListener('hashchange', () => void render());
void render();
