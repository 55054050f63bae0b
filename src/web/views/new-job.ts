/** `#/`: the form that starts a job (paste or upload links, choose options), files to extract, and recent jobs. */
import type { DocumentFormatName, JobOptionsInput, SubmissionSummary } from '../../client/types.js';
import { api, MAX_JSON_URLS, randomKey } from '../api.js';
import { h, replace } from '../dom.js';
import { formatCount } from '../format.js';
import { parseUrls, type ParsedUrls } from '../parse-urls.js';
import { errorBox, pageHeading } from '../ui.js';
import { fileUploadField } from './file-upload.js';
import { jobList } from './jobs.js';
import type { ViewContext } from './view.js';

/** The summary of the last submission, shown once on the job's page. */
export const recentSubmissions = new Map<string, SubmissionSummary>();

const FORMATS: ReadonlyArray<{ name: DocumentFormatName; label: string; isDefault: boolean }> = [
  { name: 'markdown', label: 'Markdown', isDefault: true },
  { name: 'text', label: 'Plain text', isDefault: true },
  { name: 'links', label: 'Links', isDefault: true },
  { name: 'html', label: 'Clean HTML', isDefault: false },
];

const MAX_AGE_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: '', label: 'Server default' },
  { value: '0', label: 'Never: always fetch again' },
  { value: '3600', label: 'Fetched in the last hour' },
  { value: '86400', label: 'Fetched in the last day' },
  { value: '604800', label: 'Fetched in the last week' },
  { value: '2592000', label: 'Fetched in the last 30 days' },
];

/** Largest file the page reads, in bytes: beyond this, use the API or CLI, which stream. */
const MAX_FILE_BYTES = 50 * 1024 * 1024;

export async function renderNewJob(main: HTMLElement, context: ViewContext): Promise<void> {
  context.setTitle('New job');
  let fileUrls: ParsedUrls | null = null;
  /** Kept while the form is unchanged, so trying again after a lost answer does not make a second job. */
  let idempotencyKey = randomKey();
  let fileName = '';

  const textarea = h('textarea', {
    id: 'urls',
    name: 'urls',
    rows: '8',
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-describedby': 'urls-hint urls-count',
    placeholder: 'https://example.com/article\nhttps://example.org/post',
  });
  const fileInput = h('input', {
    id: 'urls-file',
    name: 'file',
    type: 'file',
    accept: '.txt,.csv,text/plain,text/csv',
    'aria-describedby': 'file-hint',
  });
  const fileStatus = h('p', { class: 'small', id: 'file-status', role: 'status' });
  const clearFile = h(
    'button',
    { type: 'button', class: 'button button--quiet', hidden: true },
    'Remove file',
  );
  const count = h('p', { id: 'urls-count', class: 'url-count', 'aria-live': 'polite' }, 'No links yet.');
  const maxAge = h(
    'select',
    { id: 'max-age', name: 'maxAge', 'aria-describedby': 'max-age-hint' },
    ...MAX_AGE_CHOICES.map((c) => h('option', { value: c.value }, c.label)),
  );
  const formatBoxes = FORMATS.map((f) =>
    h('input', {
      type: 'checkbox',
      name: 'formats',
      value: f.name,
      id: `format-${f.name}`,
      checked: f.isDefault,
    }),
  );
  const render = h(
    'select',
    { id: 'render', name: 'render', 'aria-describedby': 'render-hint' },
    h('option', { value: 'never' }, 'Never (plain HTTP, fastest)'),
    h('option', { value: 'auto' }, 'When the page needs JavaScript'),
    h('option', { value: 'always' }, 'Always, in a browser'),
  );
  const jobNameInput = h('input', {
    id: 'job-name',
    name: 'name',
    type: 'text',
    maxlength: '200',
    autocomplete: 'off',
    placeholder: 'Docs refresh',
    'aria-describedby': 'job-name-hint',
  });
  const webhookUrl = h('input', {
    id: 'webhook-url',
    name: 'webhookUrl',
    type: 'url',
    autocomplete: 'off',
    placeholder: 'https://example.com/hooks/distill',
    'aria-describedby': 'webhook-hint',
  });
  const isCrawl = h('input', {
    id: 'crawl',
    name: 'crawl',
    type: 'checkbox',
    'aria-describedby': 'crawl-hint',
    'aria-controls': 'crawl-scope',
  });
  const crawlDepth = h('input', {
    id: 'crawl-depth',
    name: 'maxDepth',
    type: 'number',
    min: '0',
    max: '100',
    value: '2',
    inputmode: 'numeric',
  });
  const crawlPages = h('input', {
    id: 'crawl-pages',
    name: 'maxPages',
    type: 'number',
    min: '1',
    value: '100',
    inputmode: 'numeric',
  });
  const crawlScope = h(
    'div',
    { id: 'crawl-scope', class: 'field-row', hidden: true },
    h('div', { class: 'field' }, h('label', { for: 'crawl-depth' }, 'Link depth'), crawlDepth),
    h('div', { class: 'field' }, h('label', { for: 'crawl-pages' }, 'Page limit'), crawlPages),
  );
  isCrawl.addEventListener('change', () => (crawlScope.hidden = !isCrawl.checked));
  const submit = h('button', { type: 'submit', class: 'button button--primary button--large' }, 'Start job');
  const feedback = h('div', { id: 'submit-feedback' });

  function collect(): string[] {
    const pasted = parseUrls(textarea.value);
    if (!fileUrls) return pasted.urls;
    const seen = new Set(pasted.urls);
    return [...pasted.urls, ...fileUrls.urls.filter((url) => !seen.has(url))];
  }

  function updateCount(): void {
    const pasted = parseUrls(textarea.value);
    const total = collect().length;
    const parts = [
      total === 0 ? 'No links yet.' : `${formatCount(total)} link${total === 1 ? '' : 's'} to submit.`,
    ];
    const repeats = pasted.duplicates + (fileUrls?.duplicates ?? 0);
    if (repeats > 0) parts.push(`${formatCount(repeats)} repeated (sent once).`);
    const ignored = pasted.ignoredLines + (fileUrls?.ignoredLines ?? 0);
    if (ignored > 0)
      parts.push(`${formatCount(ignored)} line${ignored === 1 ? '' : 's'} without an http(s) link ignored.`);
    count.textContent = parts.join(' ');
  }

  let countTimer: number | undefined;
  textarea.addEventListener('input', () => {
    // Counting 100,000 pasted lines on every keystroke would lag: wait for a pause.
    window.clearTimeout(countTimer);
    countTimer = window.setTimeout(updateCount, 200);
  });
  context.signal.addEventListener('abort', () => window.clearTimeout(countTimer));

  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      fileStatus.textContent = `${file.name} is larger than ${MAX_FILE_BYTES / 1024 / 1024} MB; submit it with the CLI (distill jobs submit -f) or the API as text/plain.`;
      fileInput.value = '';
      return;
    }
    fileStatus.textContent = `Reading ${file.name}…`;
    file.text().then(
      (text) => {
        fileUrls = parseUrls(text, { isCsv: /\.csv$/i.test(file.name) || file.type === 'text/csv' });
        fileName = file.name;
        fileStatus.textContent = `${fileName}: ${formatCount(fileUrls.urls.length)} link${fileUrls.urls.length === 1 ? '' : 's'}.`;
        clearFile.hidden = false;
        updateCount();
      },
      (error: unknown) => {
        fileStatus.textContent = `${file.name} could not be read: ${error instanceof Error ? error.message : String(error)}`;
      },
    );
  });
  clearFile.addEventListener('click', () => {
    fileUrls = null;
    fileName = '';
    fileInput.value = '';
    fileStatus.textContent = 'File removed.';
    clearFile.hidden = true;
    updateCount();
    fileInput.focus();
  });

  const form = h(
    'form',
    { class: 'panel stack', novalidate: true, 'aria-labelledby': 'new-job-title' },
    Object.assign(pageHeading('Turn links into clean documents'), { id: 'new-job-title' }),
    h(
      'p',
      { class: 'lead' },
      'Paste links or upload a list of them. distill fetches every page in the background, keeps the main content, and shows you the progress live. Files you have (PDF, Office, images) go in the part below.',
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'urls' }, 'Links to fetch'),
      h(
        'p',
        { id: 'urls-hint', class: 'hint' },
        'One per line, or any text: every http:// or https:// link in it is used.',
      ),
      textarea,
      count,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'urls-file' }, 'Or upload a list of links'),
      h(
        'p',
        { id: 'file-hint', class: 'hint' },
        'A .txt file (links anywhere) or a .csv file (links in the first column).',
      ),
      h('div', { class: 'file-row' }, fileInput, clearFile),
      fileStatus,
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'job-name' }, 'Name (optional)'),
      jobNameInput,
      h(
        'p',
        { id: 'job-name-hint', class: 'hint' },
        'Shown in the jobs list. Without one, the job is named after its first link’s site and how many links it has.',
      ),
    ),
    h(
      'details',
      { class: 'options' },
      h('summary', {}, 'Options'),
      h(
        'div',
        { class: 'options__body stack' },
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'max-age' }, 'Reuse a stored copy when it was'),
          maxAge,
          h(
            'p',
            { id: 'max-age-hint', class: 'hint' },
            'A link fetched recently enough is answered from storage without fetching it again (maxAge).',
          ),
        ),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Formats to keep'),
          h(
            'div',
            { class: 'checks' },
            ...FORMATS.map((f, i) =>
              h('label', { class: 'check', for: `format-${f.name}` }, formatBoxes[i], ` ${f.label}`),
            ),
          ),
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'render' }, 'Render pages in a browser'),
          render,
          h(
            'p',
            { id: 'render-hint', class: 'hint' },
            'For pages that build their content with JavaScript (render). Needs Chromium on the server.',
          ),
        ),
        h(
          'fieldset',
          { class: 'field' },
          h('legend', {}, 'Crawl'),
          h(
            'label',
            { class: 'check', for: 'crawl' },
            isCrawl,
            ' Follow the links of the first link, within its site',
          ),
          h(
            'p',
            { id: 'crawl-hint', class: 'hint' },
            'The first link is the start page; links are followed breadth-first (a crawl job).',
          ),
          crawlScope,
        ),
        h(
          'div',
          { class: 'field' },
          h('label', { for: 'webhook-url' }, 'Webhook URL (optional)'),
          webhookUrl,
          h(
            'p',
            { id: 'webhook-hint', class: 'hint' },
            "Signed POSTs of the job's events (document extracted, item failed, job completed).",
          ),
        ),
      ),
    ),
    h('div', { class: 'actions' }, submit),
    feedback,
  );
  const uploads = h(
    'div',
    { class: 'panel stack' },
    fileUploadField({
      formats: () => formatBoxes.filter((box) => box.checked).map((box) => box.value as DocumentFormatName),
      signal: context.signal,
    }),
  );

  // A changed form is a different submission: it gets a key of its own.
  form.addEventListener('change', () => (idempotencyKey = randomKey()));
  textarea.addEventListener('input', () => (idempotencyKey = randomKey()));

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void onSubmit();
  });

  async function onSubmit(): Promise<void> {
    window.clearTimeout(countTimer);
    updateCount();
    const urls = collect();
    if (urls.length === 0) {
      replace(
        feedback,
        h(
          'div',
          { class: 'alert', role: 'alert' },
          h('p', {}, 'Add at least one http:// or https:// link, or upload a file with links.'),
        ),
      );
      textarea.setAttribute('aria-invalid', 'true');
      textarea.focus();
      return;
    }
    textarea.removeAttribute('aria-invalid');
    const formats = formatBoxes.filter((box) => box.checked).map((box) => box.value as DocumentFormatName);
    if (formats.length === 0) {
      replace(
        feedback,
        h('div', { class: 'alert', role: 'alert' }, h('p', {}, 'Choose at least one format to keep.')),
      );
      formatBoxes[0]?.focus();
      return;
    }
    const options: JobOptionsInput = { formats };
    if (maxAge.value !== '') options.maxAge = Number(maxAge.value);
    if (render.value !== 'never') options.render = render.value as JobOptionsInput['render'];
    const webhook = webhookUrl.value.trim() === '' ? undefined : { url: webhookUrl.value.trim() };
    submit.disabled = true;
    submit.textContent = urls.length > MAX_JSON_URLS ? 'Uploading…' : 'Starting…';
    form.setAttribute('aria-busy', 'true');
    replace(feedback);
    try {
      const name = jobNameInput.value.trim();
      const submitOptions = {
        ...options,
        idempotencyKey,
        ...(webhook ? { webhook } : {}),
        ...(name !== '' ? { name } : {}),
      };
      if (isCrawl.checked) {
        const { job } = await api.crawl(urls[0]!, {
          ...submitOptions,
          maxDepth: Number(crawlDepth.value),
          maxPages: Number(crawlPages.value),
        });
        idempotencyKey = randomKey();
        location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
        return;
      }
      const { job, submission } = await (urls.length <= MAX_JSON_URLS
        ? api.submit(urls, submitOptions)
        : api.submitStream(urls, submitOptions));
      idempotencyKey = randomKey();
      recentSubmissions.set(job.id, submission);
      location.hash = `#/jobs/${encodeURIComponent(job.id)}`;
    } catch (error) {
      replace(feedback, errorBox(error, 'The job could not be started'));
    } finally {
      submit.disabled = false;
      submit.textContent = 'Start job';
      form.removeAttribute('aria-busy');
    }
  }

  const recent = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(
    form,
    uploads,
    h(
      'section',
      { class: 'panel', 'aria-labelledby': 'recent-title' },
      h(
        'div',
        { class: 'section-head' },
        h('h2', { id: 'recent-title' }, 'Recent jobs'),
        h('a', { href: '#/jobs' }, 'All jobs'),
      ),
      recent,
    ),
  );

  try {
    const page = await api.listJobs({ limit: 5, signal: context.signal });
    replace(
      recent,
      page.items.length === 0 ? h('p', { class: 'muted' }, 'No jobs yet.') : jobList(page.items),
    );
  } catch (error) {
    if (context.signal.aborted) return;
    replace(recent, errorBox(error, 'Recent jobs could not be loaded'));
  } finally {
    recent.setAttribute('aria-busy', 'false');
  }
}
