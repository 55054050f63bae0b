import type { ExtractLimits } from '../extract/index.js';
import {
  extractedFormats,
  UploadFailedError,
  uploadUrl,
  type ClaimedItem,
  type ItemOutcome,
  type JobOptionsInput,
  type JobsService,
  type SubmitResult,
} from '../jobs/index.js';
import {
  AbortedError,
  DistillError,
  silentLogger,
  systemClock,
  toError,
  type Clock,
  type Logger,
} from '../lib/index.js';
import { withLlmStage, type LlmStageOptions } from './llm-stage.js';
import type { TaskFunction } from './pool.js';
import { toNewDocument, type Extractor } from './process-item.js';
import { outcomeForError } from './retry-policy.js';

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
 * Extracts an uploaded file as the one item of a new job and returns that job, completed. A file
 * that cannot be extracted still has its job, whose item failed with the extraction's code: the
 * promise then rejects with {@link UploadFailedError}, which names the job and the code.
 */
export type UploadFile = (file: UploadedFile) => Promise<SubmitResult>;

/** What {@link createUploadFile} builds on. */
export interface UploadFileDependencies {
  /** The extraction thread pool: the same threads, limits and time limit as fetched documents. */
  extractor: Extractor;
  jobs: Pick<JobsService, 'resolveOptions' | 'startLocalItem' | 'finishLocalItem'>;
  /** The model step of json and summary (and the chunk count of chunks), as the workers run it. */
  llmStage?: LlmStageOptions | undefined;
  /**
   * The item's lease while the request extracts it: past it, a process that died meanwhile has its
   * item failed `lease_expired`. Longer than extraction and the model step together. @default 600000
   */
  leaseMs?: number;
  clock?: Clock;
  logger?: Logger;
  /** Per-format limits beyond the pool's own (none needed when the pool sets them). */
  limits?: ExtractLimits;
}

/**
 * The path of an upload, as a job item: the job is made with its one item running here (never
 * queued: the bytes are in this request), then the item's task runs — extraction in the thread
 * pool (never on the event loop), then the model step of json/summary as for fetched URLs — and
 * its outcome is recorded as a worker records one (`JobsService.finishLocalItem`): a document under
 * an `upload.distill.invalid` URL named by the bytes' hash, or a failed item with its code, with the
 * same events. A client that goes away cancels the item.
 */
export function createUploadFile(deps: UploadFileDependencies): UploadFile {
  const clock = deps.clock ?? systemClock;
  const log = deps.logger ?? silentLogger;
  const leaseMs = deps.leaseMs ?? 600_000;
  return async (file) => {
    const url = uploadUrl(file.body, file.fileName);
    const options = deps.jobs.resolveOptions(file.options);
    const extract: TaskFunction = async (item, { signal }) => {
      const doc = await deps.extractor.run(
        {
          ...deps.limits,
          url,
          contentType: file.contentType,
          body: file.body,
          formats: extractedFormats(options.formats),
          ...(options.ocrLanguages !== undefined ? { ocrLanguages: options.ocrLanguages } : {}),
        },
        { signal },
      );
      // An upload has no HTTP status of its own: 200, as for a file served whole.
      return { kind: 'succeeded', document: toNewDocument(doc, 200, clock.now()) };
    };
    const task = deps.llmStage ? withLlmStage(extract, deps.llmStage) : extract;
    const item = await deps.jobs.startLocalItem({ url, options: file.options, tenant: file.tenant, leaseMs });
    const signal = file.signal ?? new AbortController().signal;
    const { outcome, failure } = await runItem(task, item, signal, clock, log);
    const result = await deps.jobs.finishLocalItem(item, outcome);
    if (outcome.kind === 'cancelled') throw new AbortedError('The upload was abandoned by its client');
    if (failure) throw new UploadFailedError(result, failure);
    return result;
  };
}

/** Runs the item's task and decides its outcome as the pool would (maxAttempts is 1: no retry). */
async function runItem(
  task: TaskFunction,
  item: ClaimedItem,
  signal: AbortSignal,
  clock: Clock,
  log: Logger,
): Promise<{ outcome: ItemOutcome; failure?: DistillError }> {
  try {
    return { outcome: await task(item, { signal, log }) };
  } catch (thrown) {
    if (signal.aborted) return { outcome: { kind: 'cancelled' } };
    const error = toError(thrown);
    const failure =
      error instanceof DistillError
        ? error
        : new DistillError('internal_error', error.message, { cause: error });
    if (failure.code === 'internal_error')
      log.error({ err: error, jobId: item.jobId }, 'An upload failed unexpectedly');
    // No retry for an upload, whatever the error's class (the pool's own limits included): queued
    // again, a worker would try to fetch its upload.distill.invalid URL.
    const decided = outcomeForError(thrown, item, { now: clock.now() });
    const outcome: ItemOutcome =
      decided.kind === 'failed'
        ? decided
        : { kind: 'failed', error: { code: failure.code, message: failure.message.slice(0, 1000) } };
    return { outcome, failure };
  }
}
