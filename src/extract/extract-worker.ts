import { workerData, type MessagePort } from 'node:worker_threads';
import { extractDocument } from './extract.js';
import { DistillError, toError } from '../lib/index.js';
import { lowerThreadPriority } from './thread-priority.js';
import type { DocumentFormat, ExtractedDocument } from './types.js';

/*
 * The body of one extractor thread (run by piscina). It never throws: errors come back as
 * `{ name, code, message }` so the pool can rebuild the same class on the main side (structured
 * clone keeps neither the class nor `code`), and a failing task never costs the thread.
 */

/** What every thread is started with (piscina's `workerData`). */
export interface ExtractThreadData {
  threadNiceness: number;
}

// Once per thread, when piscina loads this module in it.
const threadData = workerData as Partial<ExtractThreadData> | null;
if (threadData?.threadNiceness) lowerThreadPriority(threadData.threadNiceness);

/** What the pool sends for one document. */
export interface ExtractTask {
  url: string;
  contentType: string | undefined;
  body: Uint8Array;
  formats?: readonly DocumentFormat[];
  /** Bytes a compressed container may inflate to (`ExtractInput.maxInflatedBytes`). */
  maxInflatedBytes?: number;
  maxSheetRows?: number;
  maxSheetColumns?: number;
  includeSlideNotes?: boolean;
  ocrLanguages?: readonly string[];
  ocrPageTimeoutMs?: number;
  ocrMaxPages?: number;
  maxImagePixels?: number;
  /** The pool's time limit of this task, in ms: OCR ends its pages before it. */
  timeoutMs?: number;
  /** The pool starts the task's time limit when this port says the task has started. */
  startedPort?: MessagePort;
}

/** An error as it crosses the thread boundary. */
export interface SerialisedError {
  name: string;
  code: string | null;
  message: string;
  mimeType?: string;
}

/**
 * How much memory the thread holds after a task, so the pool can recycle threads that grow: its
 * V8 heap, the memory outside that heap (ArrayBuffers, zlib), which the heap limit does not
 * bound, and how much the task grew the resident memory of the whole process.
 */
export interface ThreadMemory {
  heapUsedBytes: number;
  externalBytes: number;
  rssGrowthBytes: number;
}

/** What the thread sends back. */
export type ExtractTaskResult = (
  { ok: true; document: ExtractedDocument } | { ok: false; error: SerialisedError }
) &
  ThreadMemory;

function memorySince(rssBefore: number): ThreadMemory {
  const { heapUsed, external, rss } = process.memoryUsage();
  // `external` counts this isolate's ArrayBuffers too; `rss` is the process's.
  return { heapUsedBytes: heapUsed, externalBytes: external, rssGrowthBytes: Math.max(0, rss - rssBefore) };
}

export default async function extractInThread(task: ExtractTask): Promise<ExtractTaskResult> {
  if (task.startedPort) {
    task.startedPort.postMessage('started');
    task.startedPort.close();
  }
  const rssBefore = process.memoryUsage.rss();
  try {
    const { startedPort: _port, timeoutMs, ...input } = task;
    // Half a second before the pool terminates the thread, so OCR's children are killed first.
    const document = await extractDocument({
      ...input,
      ...(timeoutMs !== undefined ? { deadlineAt: Date.now() + timeoutMs - 500 } : {}),
    });
    return { ok: true, document, ...memorySince(rssBefore) };
  } catch (caught) {
    const error = toError(caught);
    const serialised: SerialisedError = {
      name: error.name,
      code: error instanceof DistillError ? error.code : null,
      message: error.message,
    };
    if ('mimeType' in error && typeof error.mimeType === 'string') serialised.mimeType = error.mimeType;
    return { ok: false, error: serialised, ...memorySince(rssBefore) };
  }
}
