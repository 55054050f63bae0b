/**
 * `#/documents/:id`: one document. The rendered Markdown (sanitised), its metadata, its links and
 * its raw text, in tabs; copy and download as Markdown or JSON.
 */
import type { DocumentView } from '../../client/types.js';
import { api } from '../api.js';
import { download, h, replace } from '../dom.js';
import { formatCount, formatDateTime } from '../format.js';
import { renderMarkdown } from '../markdown.js';
import { copyText, errorBox, externalLink, jobName, pageHeading, shortId } from '../ui.js';
import type { ViewContext } from './view.js';

/** A file name from the document's title or URL. */
function fileName(doc: DocumentView, extension: string): string {
  const base = (doc.title ?? new URL(doc.url).hostname + new URL(doc.url).pathname)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
  return `${base || shortId(doc.id)}.${extension}`;
}

/** The Markdown to show and copy: the document's own, or its text when Markdown was not kept. */
function markdownOf(doc: DocumentView): string {
  return doc.markdown ?? doc.text;
}

export async function renderDocument(
  main: HTMLElement,
  context: ViewContext,
  documentId: string,
  jobId: string | null,
): Promise<void> {
  const { signal } = context;
  context.setTitle('Document');
  // The way back names the job as the lists do; until the job is read (or if it cannot be), its id.
  const backLink = jobId
    ? h('a', { href: `#/jobs/${encodeURIComponent(jobId)}`, id: 'back-to-job' }, `← Job ${shortId(jobId)}`)
    : null;
  const back = backLink ? h('p', { class: 'back' }, backLink) : null;
  if (jobId && backLink) {
    api.getJob(jobId, { signal }).then(
      (job) => (backLink.textContent = `← ${jobName(job)}`),
      () => undefined, // The id stays: the link works without the name.
    );
  }
  const panel = h(
    'article',
    { class: 'panel', 'aria-busy': 'true', 'aria-labelledby': 'doc-title' },
    h('p', { class: 'muted' }, 'Loading document…'),
  );
  if (back) main.append(back);
  main.append(panel);

  let doc: DocumentView;
  try {
    doc = await api.getDocument(documentId, { signal });
  } catch (error) {
    if (signal.aborted) return;
    replace(panel, pageHeading('Document'), errorBox(error, 'This document could not be loaded'));
    panel.setAttribute('aria-busy', 'false');
    return;
  }
  context.setTitle(doc.title ?? doc.url);

  const markdown = markdownOf(doc);
  const tabs: Array<{ id: string; label: string; panel: () => HTMLElement }> = [
    {
      id: 'rendered',
      label: 'Reading view',
      panel: () => {
        const body = h('div', { class: 'prose', lang: doc.lang ?? undefined });
        body.append(renderMarkdown(markdown, doc.finalUrl || doc.url));
        return body;
      },
    },
    {
      id: 'markdown',
      label: 'Markdown',
      panel: () => h('pre', { class: 'raw', tabindex: '0', 'aria-label': 'Markdown source' }, markdown),
    },
    {
      id: 'text',
      label: 'Text',
      panel: () => h('pre', { class: 'raw raw--wrap', tabindex: '0', 'aria-label': 'Plain text' }, doc.text),
    },
    {
      id: 'links',
      label: `Links (${formatCount(doc.links.length)})`,
      panel: () =>
        doc.links.length === 0
          ? h('p', { class: 'muted' }, 'No links were kept for this document.')
          : h('ol', { class: 'link-list' }, ...doc.links.map((link) => h('li', {}, externalLink(link)))),
    },
    { id: 'metadata', label: 'Metadata', panel: () => metadataList(doc) },
  ];

  const tabList = h('div', { role: 'tablist', 'aria-label': 'Document views', class: 'tabs' });
  const tabPanel = h('div', { role: 'tabpanel', id: 'doc-panel', class: 'tab-panel', tabindex: '0' });
  const tabButtons = tabs.map((tab, index) =>
    h(
      'button',
      {
        type: 'button',
        role: 'tab',
        id: `tab-${tab.id}`,
        'aria-controls': 'doc-panel',
        'aria-selected': index === 0 ? 'true' : 'false',
        tabindex: index === 0 ? '0' : '-1',
        class: 'tab',
      },
      tab.label,
    ),
  );
  function select(index: number, focus: boolean): void {
    tabButtons.forEach((button, i) => {
      button.setAttribute('aria-selected', i === index ? 'true' : 'false');
      button.tabIndex = i === index ? 0 : -1;
    });
    const tab = tabs[index]!;
    tabPanel.setAttribute('aria-labelledby', `tab-${tab.id}`);
    replace(tabPanel, tab.panel());
    if (focus) tabButtons[index]!.focus();
  }
  // Tabs follow the WAI-ARIA pattern: arrows move between them, Home/End jump, Tab enters the panel.
  tabButtons.forEach((button, index) => {
    button.addEventListener('click', () => select(index, false));
    button.addEventListener('keydown', (event) => {
      const last = tabButtons.length - 1;
      const next =
        event.key === 'ArrowRight'
          ? index === last
            ? 0
            : index + 1
          : event.key === 'ArrowLeft'
            ? index === 0
              ? last
              : index - 1
            : event.key === 'Home'
              ? 0
              : event.key === 'End'
                ? last
                : null;
      if (next === null) return;
      event.preventDefault();
      select(next, true);
    });
  });
  tabList.append(...tabButtons);

  const json = (): string => JSON.stringify(doc, null, 2);
  const actions = h(
    'div',
    { class: 'actions doc-actions', role: 'group', 'aria-label': 'Copy and download' },
    h(
      'button',
      { type: 'button', class: 'button', on: { click: () => void copyText(markdown, 'Markdown') } },
      'Copy Markdown',
    ),
    h(
      'button',
      { type: 'button', class: 'button', on: { click: () => void copyText(doc.text, 'Text') } },
      'Copy text',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'button',
        on: {
          click: () =>
            download(new Blob([markdown], { type: 'text/markdown;charset=utf-8' }), fileName(doc, 'md')),
        },
      },
      'Download .md',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'button',
        on: {
          click: () => download(new Blob([json()], { type: 'application/json' }), fileName(doc, 'json')),
        },
      },
      'Download .json',
    ),
  );

  const heading = Object.assign(pageHeading(doc.title?.trim() || doc.url), { id: 'doc-title' });
  replace(
    panel,
    heading,
    h(
      'p',
      { class: 'doc-source small' },
      externalLink(doc.finalUrl || doc.url),
      doc.siteName ? ` · ${doc.siteName}` : '',
      doc.byline ? ` · ${doc.byline}` : '',
      ` · ${formatCount(doc.wordCount)} words`,
      ` · fetched ${formatDateTime(doc.fetchedAt)}`,
    ),
    doc.description ? h('p', { class: 'lead' }, doc.description) : null,
    actions,
    tabList,
    tabPanel,
  );
  panel.setAttribute('aria-busy', 'false');
  select(0, false);
}

function metadataList(doc: DocumentView): HTMLElement {
  const rows: Array<[string, Node | string]> = [
    ['URL', externalLink(doc.url)],
    ['Final URL', externalLink(doc.finalUrl)],
    ['Canonical URL', doc.canonicalUrl ? externalLink(doc.canonicalUrl) : '—'],
    ['Title', doc.title ?? '—'],
    ['Site', doc.siteName ?? '—'],
    ['Author', doc.byline ?? '—'],
    ['Published', doc.publishedTime ? formatDateTime(doc.publishedTime) : '—'],
    ['Language', doc.lang ?? '—'],
    ['Media type', doc.mimeType],
    ['HTTP status', String(doc.httpStatus)],
    ['Words', formatCount(doc.wordCount)],
    ['Extractor', doc.extractor],
    ['Fetched', formatDateTime(doc.fetchedAt)],
    ['Content hash', h('code', {}, doc.contentHash)],
    ['Document id', h('code', {}, doc.id)],
  ];
  const list = h(
    'dl',
    { class: 'meta-list' },
    ...rows.flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]),
  );
  const extra = { ...doc.metadata, ...(Object.keys(doc.quality).length > 0 ? { quality: doc.quality } : {}) };
  if (Object.keys(extra).length === 0) return list;
  return h(
    'div',
    {},
    list,
    h('h3', {}, 'More metadata'),
    h('pre', { class: 'raw', tabindex: '0' }, JSON.stringify(extra, null, 2)),
  );
}
