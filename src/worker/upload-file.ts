import type { ExtractLimits } from '../extract/index.js';
import { extractedFormats, uploadUrl, type JobOptionsInput, type JobsService, type SubmitResult } from '../jobs/index.js';
import { systemClock, type Clock } from '../lib/index.js';
import { toNewDocument, type Extractor } from './process-item.js';

/** A file to extract that is not at a URL: an upload (`POST /v1/files`) or a local path (`distill extract ./file.pdf`). */
export interface UploadedFile {
  body: Uint8Array;
  /** The type the client declared; sniffing decides when it is missing, generic or wrong. */
  contentType: string | undefined;
  /** The file's name as the client gave it (only its last segment is kept, in the document's URL). */
  fileName: string | undefined;
  options?: JobOptionsInput;
  tenant?: string | undefined;
  signal?: AbortSignal;
}

/**
 * Extracts an uploaded file and stores its document as a one-item job. Rejects with the
 * extraction's own error (`unsupported_content_type`, `encrypted_document`, `extraction_timeout`,
 * `extractor_busy`, ...) and stores nothing when the file cannot be extracted.
 */
export type UploadFile = (file: UploadedFile) => Promise<SubmitResult>;

/** What {@link createUploadFile} builds on. */
export interface UploadFileDependencies {
  /** The extraction thread pool: the same threads, limits and time limit as fetched documents. */
  extractor: Extractor;
  jobs: Pick<JobsService, 'submitDocument' | 'resolveOptions'>;
  clock?: Clock;
  /** Per-format limits beyond the pool's own (none needed when the pool sets them). */
  limits?: ExtractLimits;
}

/**
 * The path of an upload: extract in the thread pool (never on the event loop), then
 * `JobsService.submitDocument`, which keeps the document under an `upload.distill.invalid` URL
 * named by the bytes' hash and makes a completed one-item job that refers to it, so the job, its
 * items, its results and its events read like those of any job.
 */
export function createUploadFile(deps: UploadFileDependencies): UploadFile {
  const clock = deps.clock ?? systemClock;
  return async (file) => {
    const url = uploadUrl(file.body, file.fileName);
    const options = deps.jobs.resolveOptions(file.options);
    const doc = await deps.extractor.run(
      {
        ...deps.limits,
        url,
        contentType: file.contentType,
        body: file.body,
        formats: extractedFormats(options.formats),
        ...(options.ocrLanguages !== undefined ? { ocrLanguages: options.ocrLanguages } : {}),
      },
      file.signal ? { signal: file.signal } : {},
    );
    // An upload has no HTTP status of its own: 200, as for a file served whole.
    return deps.jobs.submitDocument({ url, document: toNewDocument(doc, 200, clock.now()), options: file.options, tenant: file.tenant });
  };
}
