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

/** What the thread sends back. `heapUsedBytes` lets the pool recycle threads whose heap grows. */
export type ExtractTaskResult =
  | { ok: true; document: ExtractedDocument; heapUsedBytes: number }
  | { ok: false; error: SerialisedError; heapUsedBytes: number };

export default async function extractInThread(task: ExtractTask): Promise<ExtractTaskResult> {
  if (task.startedPort) {
    task.startedPort.postMessage('started');
    task.startedPort.close();
  }
  try {
    const document = await extractDocument({ url: task.url, contentType: task.contentType, body: task.body, formats: task.formats });
    return { ok: true, document, heapUsedBytes: process.memoryUsage().heapUsed };
  } catch (caught) {
    const error = toError(caught);
    const serialised: SerialisedError = { name: error.name, code: error instanceof DistillError ? error.code : null, message: error.message };
    if ('mimeType' in error && typeof error.mimeType === 'string') serialised.mimeType = error.mimeType;
    return { ok: false, error: serialised, heapUsedBytes: process.memoryUsage().heapUsed };
  }
}
