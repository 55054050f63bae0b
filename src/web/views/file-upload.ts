/**
 * The new-job form's "Extract files" part: files dropped on it or chosen with the picker are sent,
 * one at a time, to `POST /v1/files` through the typed client (`uploadFile`). Each file's row shows
 * its upload progress in bytes, then "Extracting…" while the server extracts it (during the request),
 * then a link to its document or the error the API gave (its message and code).
 */
import type { DocumentFormatName } from '../../client/types.js';
import { DistillApiError, uploadClient } from '../api.js';
import { h, replace } from '../dom.js';
import { formatCount } from '../format.js';

/** What the upload part needs from the form around it. */
export interface FileUploadOptions {
  /** The formats ticked in the form's options, read when a file is sent. */
  formats: () => DocumentFormatName[];
  signal: AbortSignal;
}

/** Files queued at once, at most: a larger drop is cut with a note (each file is one request). */
const MAX_FILES = 50;

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The drop zone, picker and list of uploads; append it to the form. */
export function fileUploadField(options: FileUploadOptions): HTMLElement {
  const picker = h('input', {
    id: 'upload-files',
    type: 'file',
    multiple: true,
    class: 'sr-only',
    'aria-describedby': 'upload-hint',
  });
  const zone = h(
    'div',
    { class: 'dropzone', id: 'upload-zone' },
    h(
      'p',
      { class: 'dropzone__text' },
      'Drop files here, or ',
      h('label', { for: 'upload-files', class: 'dropzone__pick' }, 'choose files'),
      '.',
    ),
    picker,
  );
  const overall = h('progress', {
    id: 'upload-progress',
    max: '1',
    value: '0',
    hidden: true,
    'aria-label': 'Files extracted',
  });
  const overallText = h('p', { id: 'upload-count', class: 'small', role: 'status' });
  const list = h('ol', { class: 'uploads', 'aria-label': 'Uploaded files' });
  const queue: File[] = [];
  let total = 0;
  let finished = 0;
  let isRunning = false;

  function showCount(): void {
    overall.hidden = total === 0;
    overall.max = Math.max(total, 1);
    overall.value = finished;
    overallText.textContent =
      total === 0
        ? ''
        : `${formatCount(finished)} of ${formatCount(total)} file${total === 1 ? '' : 's'} done.`;
  }

  function add(files: Iterable<File>): void {
    let skipped = 0;
    for (const file of files) {
      if (queue.length >= MAX_FILES) skipped += 1;
      else queue.push(file);
    }
    total = finished + queue.length + (isRunning ? 1 : 0);
    showCount();
    if (skipped > 0)
      overallText.textContent += ` ${formatCount(skipped)} more not sent: at most ${MAX_FILES} files at once.`;
    if (!isRunning) void drain();
  }

  async function drain(): Promise<void> {
    isRunning = true;
    try {
      while (queue.length > 0 && !options.signal.aborted) {
        await send(queue.shift()!);
        finished += 1;
        showCount();
      }
    } finally {
      isRunning = false;
    }
  }

  async function send(file: File): Promise<void> {
    const bar = h('progress', {
      max: '1',
      value: '0',
      class: 'upload__bar',
      'aria-label': `Upload of ${file.name}`,
    });
    const state = h('span', { class: 'upload__state' }, 'Uploading…');
    const row = h(
      'li',
      { class: 'upload', 'data-state': 'uploading' },
      h(
        'div',
        { class: 'upload__head' },
        h('span', { class: 'upload__name' }, file.name),
        h('span', { class: 'muted small' }, formatBytes(file.size)),
      ),
      bar,
      state,
    );
    list.append(row);
    const client = uploadClient((sent, size) => {
      bar.max = Math.max(size || file.size, 1);
      bar.value = sent;
      if (size > 0 && sent >= size) {
        // The body is sent: the server now extracts it before answering.
        row.dataset.state = 'extracting';
        state.textContent = 'Extracting…';
        bar.removeAttribute('value');
      }
    });
    try {
      const { job } = await client.uploadFile(file, { formats: options.formats(), signal: options.signal });
      let doc: { id?: string; title?: string | null; wordCount?: number } | undefined;
      for await (const result of client.results(job.id, {
        fields: ['id', 'title', 'wordCount'],
        signal: options.signal,
      })) {
        doc = result;
        break;
      }
      row.dataset.state = 'done';
      bar.max = 1;
      bar.value = 1;
      const href = doc?.id
        ? `#/documents/${encodeURIComponent(doc.id)}?job=${encodeURIComponent(job.id)}`
        : `#/jobs/${encodeURIComponent(job.id)}`;
      const words = doc?.wordCount !== undefined ? ` (${formatCount(doc.wordCount)} words)` : '';
      replace(
        state,
        'Extracted: ',
        h('a', { href, class: 'upload__document' }, doc?.title || file.name),
        words,
      );
    } catch (error) {
      if (options.signal.aborted) return;
      row.dataset.state = 'failed';
      bar.hidden = true;
      if (error instanceof DistillApiError) {
        // A file that could not be read is still a failed item of its job: link the job.
        const jobId = error.problem.jobId;
        const jobLink =
          jobId !== undefined
            ? [' · ', h('a', { href: `#/jobs/${encodeURIComponent(jobId)}`, class: 'upload__job' }, 'job')]
            : [];
        replace(
          state,
          h('span', { class: 'upload__error' }, error.detail ?? error.problem.title),
          ' ',
          h('code', { class: 'error-code' }, error.code),
          h('span', { class: 'muted small' }, ` · HTTP ${error.status}`),
          ...jobLink,
        );
      } else {
        replace(
          state,
          h('span', { class: 'upload__error' }, error instanceof Error ? error.message : String(error)),
        );
      }
    }
  }

  picker.addEventListener('change', () => {
    add(Array.from(picker.files ?? []));
    picker.value = '';
  });
  for (const type of ['dragenter', 'dragover'] as const) {
    zone.addEventListener(type, (event) => {
      event.preventDefault();
      zone.classList.add('dropzone--over');
    });
  }
  zone.addEventListener('dragleave', () => zone.classList.remove('dropzone--over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dropzone--over');
    add(Array.from(event.dataTransfer?.files ?? []));
  });

  return h(
    'section',
    { class: 'field', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title', class: 'field__title' }, 'Or extract files'),
    h(
      'p',
      { id: 'upload-hint', class: 'hint' },
      'A PDF, a Word, PowerPoint, Excel or OpenDocument file, an EPUB, an image to read with OCR, HTML or text: each becomes a document of its own (a one-file job).',
    ),
    zone,
    overall,
    overallText,
    list,
  );
}
