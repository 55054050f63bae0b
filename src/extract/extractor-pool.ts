import os from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AbortedError, DistillError, PermanentError, toError, positiveInteger } from '../lib/index.js';
import {
  DecompressionLimitError,
  ExtractionFailedError,
  ExtractionTimeoutError,
  ExtractorBusyError,
  UnsupportedContentTypeError,
} from './errors.js';
import type { ExtractTask, ExtractTaskResult, ExtractThreadData, SerialisedError } from './extract-worker.js';
import type { ExtractedDocument, ExtractInput, ExtractLimits } from './types.js';

/** Options of {@link ExtractorPool}. */
export interface ExtractorPoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  threads?: number;
  /** Documents waiting for a thread before `run()` rejects with `extractor_busy`. @default threads * 4 */
  maxQueue?: number;
  /** Time limit of one document, in ms, counted from when a thread starts on it. @default 15000 */
  timeoutMs?: number;
  /** Old-generation heap limit of each thread, in MB; a thread over it is killed and its task fails. @default 256 */
  maxOldGenerationSizeMb?: number;
  /** Threads are replaced after this many documents each, on average. @default 1000 */
  recycleAfterTasks?: number;
  /** Idle threads above one exit after this long, in ms. @default 30000 */
  idleTimeoutMs?: number;
  /**
   * Niceness of the threads (0 to 19, Linux): above 0 they run at a lower priority than the event
   * loop, so that the API stays fast while they are busy. @default 10
   */
  threadNiceness?: number;
  /** Bytes a compressed container (a DOCX's zip) may inflate to; over it, `decompression_limit`. @default 52428800 */
  maxInflatedBytes?: number;
  /**
   * Threads are replaced when one document grows the process's resident memory by more than
   * this, in MB, or leaves more than half of `maxOldGenerationSizeMb` outside the heap. @default 256
   */
  maxRssGrowthMb?: number;
  /** Per-format limits of every document (a document's own input overrides them). */
  limits?: ExtractLimits;
  /** Node options of the threads besides the pool's own, e.g. `--cpu-prof` to profile them. @default [] */
  execArgv?: readonly string[];
}

/** Counters of an {@link ExtractorPool}. */
export interface ExtractorPoolStats {
  /** Threads alive now, in all generations. */
  threads: number;
  /** Documents waiting for a thread. */
  queued: number;
  /** Documents submitted and not yet settled (running or waiting). */
  inFlight: number;
  /** Documents finished, successfully or not. */
  completed: number;
  /** Times the threads were replaced by fresh ones. */
  recycled: number;
}

/** Options of one {@link ExtractorPool.run} call. */
export interface ExtractorRunOptions {
  signal?: AbortSignal;
  /** Overrides the pool's time limit for this document, in ms. */
  timeoutMs?: number;
}

const ERROR_CLASSES: Record<string, (error: SerialisedError) => DistillError> = {
  UnsupportedContentTypeError: (error) =>
    new UnsupportedContentTypeError(error.mimeType ?? 'application/octet-stream', error.message),
  ExtractionFailedError: (error) => new ExtractionFailedError(error.message),
  ExtractionTimeoutError: (error) => new ExtractionTimeoutError(error.message),
  ExtractorBusyError: (error) => new ExtractorBusyError(error.message),
  DecompressionLimitError: (error) => new DecompressionLimitError(error.message),
  AbortedError: (error) => new AbortedError(error.message),
};

/** Rebuilds an error that crossed the thread boundary as the same class with the same code. */
function reviveError(error: SerialisedError): DistillError {
  const revive = ERROR_CLASSES[error.name];
  if (revive) return revive(error);
  if (error.code) {
    const revived = new PermanentError(error.code, error.message);
    revived.name = error.name;
    return revived;
  }
  return new ExtractionFailedError(`${error.name}: ${error.message}`);
}

/** The limits `input` sets itself (undefined ones would hide the pool's). */
function definedLimits(input: ExtractInput): ExtractLimits {
  const limits: ExtractLimits = {};
  if (input.maxSheetRows !== undefined) limits.maxSheetRows = input.maxSheetRows;
  if (input.maxSheetColumns !== undefined) limits.maxSheetColumns = input.maxSheetColumns;
  if (input.includeSlideNotes !== undefined) limits.includeSlideNotes = input.includeSlideNotes;
  if (input.ocrLanguages !== undefined) limits.ocrLanguages = input.ocrLanguages;
  if (input.ocrPageTimeoutMs !== undefined) limits.ocrPageTimeoutMs = input.ocrPageTimeoutMs;
  if (input.ocrMaxPages !== undefined) limits.ocrMaxPages = input.ocrMaxPages;
  if (input.maxImagePixels !== undefined) limits.maxImagePixels = input.maxImagePixels;
  return limits;
}

const workerUrl = new URL(
  import.meta.url.endsWith('.ts') ? './extract-worker.ts' : './extract-worker.js',
  import.meta.url,
);

/** One set of threads. Recycling swaps in a new generation and drains the old one. */
interface Generation {
  piscina: Piscina<ExtractTask, ExtractTaskResult>;
  submitted: number;
  inFlight: number;
  isRetiring: boolean;
}

/**
 * Runs {@link extractDocument} in a pool of worker threads so that parsing never blocks the event
 * loop. Each document has a time limit (the thread running it is terminated, not left spinning),
 * each thread a heap limit, the queue a bound (callers get `extractor_busy` and back off), and an
 * error in one document never harms the pool.
 *
 * Recycling: piscina has no "max tasks per thread" and cannot retire one chosen thread, and a
 * thread that exits by itself loses the task piscina may already have handed it. So the pool
 * recycles by generation: after `threads * recycleAfterTasks` documents, or when a thread reports
 * a heap or off-heap memory above half its heap limit, or a document grew the process's resident
 * memory by more than `maxRssGrowthMb`, new documents go to a fresh piscina and the old one is destroyed
 * once its documents have settled. Nothing in flight is lost and memory stays bounded.
 */
export class ExtractorPool implements AsyncDisposable {
  readonly #threads: number;
  readonly #maxQueue: number;
  readonly #timeoutMs: number;
  readonly #maxOldGenerationSizeMb: number;
  readonly #recycleAfterTasks: number;
  readonly #idleTimeoutMs: number;
  readonly #threadNiceness: number;
  readonly #maxInflatedBytes: number | undefined;
  readonly #maxRssGrowthBytes: number;
  readonly #limits: ExtractLimits;
  readonly #execArgv: readonly string[];
  #current: Generation | null = null;
  readonly #retiring = new Set<Generation>();
  #inFlight = 0;
  /** Documents handed to a generation's threads and not yet settled: at most `threads`. */
  #dispatched = 0;
  /** Documents waiting for a thread, in order; each is resolved when one frees (see `#dispatch`). */
  readonly #waiting: Array<() => void> = [];
  #completed = 0;
  #recycled = 0;
  #stopping: Promise<void> | null = null;

  constructor(options: ExtractorPoolOptions = {}) {
    this.#threads = positiveInteger('threads', options.threads ?? os.availableParallelism());
    this.#maxQueue =
      options.maxQueue === 0 ? 0 : positiveInteger('maxQueue', options.maxQueue ?? this.#threads * 4);
    this.#timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? 15_000);
    this.#maxOldGenerationSizeMb = positiveInteger(
      'maxOldGenerationSizeMb',
      options.maxOldGenerationSizeMb ?? 256,
    );
    this.#recycleAfterTasks = positiveInteger('recycleAfterTasks', options.recycleAfterTasks ?? 1000);
    this.#idleTimeoutMs = positiveInteger('idleTimeoutMs', options.idleTimeoutMs ?? 30_000);
    const niceness = options.threadNiceness ?? 10;
    if (!Number.isInteger(niceness) || niceness < 0 || niceness > 19) {
      throw new TypeError(`Expected \`threadNiceness\` to be an integer from 0 to 19, got \`${niceness}\``);
    }
    this.#threadNiceness = niceness;
    this.#maxInflatedBytes =
      options.maxInflatedBytes === undefined
        ? undefined
        : positiveInteger('maxInflatedBytes', options.maxInflatedBytes);
    this.#maxRssGrowthBytes = positiveInteger('maxRssGrowthMb', options.maxRssGrowthMb ?? 256) * 1024 * 1024;
    this.#limits = { ...options.limits };
    this.#execArgv = [...(options.execArgv ?? [])];
  }

  /** Starts the threads now rather than on the first document. Idempotent. */
  start(): void {
    if (this.#stopping) throw new AbortedError('The extractor pool is stopped');
    this.#current ??= this.#createGeneration();
  }

  /**
   * Extracts one document in a thread. The body's buffer is transferred to the thread, not copied,
   * when the body spans all of it: do not use `input.body` after calling this.
   * @throws {ExtractorBusyError} when every thread is busy and the queue is full.
   * @throws {ExtractionTimeoutError} when the document takes longer than its time limit.
   * @throws {AbortedError} when `signal` aborts.
   */
  async run(input: ExtractInput, options: ExtractorRunOptions = {}): Promise<ExtractedDocument> {
    if (this.#stopping) throw new AbortedError('The extractor pool is stopped');
    const { signal } = options;
    if (signal?.aborted)
      throw new AbortedError('Extraction was aborted before it started', { cause: signal.reason });
    if (this.#inFlight >= this.#threads + this.#maxQueue) {
      throw new ExtractorBusyError(
        `The extractor pool is full: ${this.#inFlight} documents in flight (threads ${this.#threads}, maxQueue ${this.#maxQueue})`,
      );
    }
    const timeoutMs = positiveInteger('timeoutMs', options.timeoutMs ?? this.#timeoutMs);
    this.#inFlight++;
    try {
      await this.#waitForThread(signal);
    } catch (error) {
      this.#inFlight--;
      throw error;
    }
    try {
      return await this.#runOnThread(input, timeoutMs, signal);
    } finally {
      this.#inFlight--;
      this.#dispatched--;
      this.#waiting.shift()?.();
    }
  }

  /**
   * Waits, in order, until fewer than `threads` documents are on the threads. Documents wait here
   * rather than in a piscina queue, so that a generation being retired holds only what its threads
   * are running and drains at once (a long queue inside it would keep four threads alive).
   */
  async #waitForThread(signal: AbortSignal | undefined): Promise<void> {
    if (this.#dispatched < this.#threads && this.#waiting.length === 0) {
      this.#dispatched++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.#waiting.indexOf(admit);
        if (index !== -1) this.#waiting.splice(index, 1);
        reject(
          new AbortedError('Extraction was aborted while it waited for a thread', { cause: signal?.reason }),
        );
      };
      const admit = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.#dispatched++;
        resolve();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(admit);
    });
  }

  async #runOnThread(
    input: ExtractInput,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ExtractedDocument> {
    if (this.#stopping) throw new AbortedError('The extractor pool is stopped');
    if (signal?.aborted)
      throw new AbortedError('Extraction was aborted while it waited for a thread', { cause: signal.reason });
    const generation = this.#generationForTask();

    const controller = new AbortController();
    const channel = new MessageChannel();
    let timer: NodeJS.Timeout | undefined;
    let hasTimedOut = false;
    // The clock starts when a thread picks the document up, so time spent queued is not counted.
    channel.port1.once('message', () => {
      timer = setTimeout(() => {
        hasTimedOut = true;
        controller.abort();
      }, timeoutMs);
    });
    const onAbort = (): void => controller.abort();
    signal?.addEventListener('abort', onAbort, { once: true });

    const task: ExtractTask = {
      ...this.#limits,
      ...definedLimits(input),
      url: input.url,
      contentType: input.contentType,
      body: input.body,
      formats: input.formats,
      maxInflatedBytes: input.maxInflatedBytes ?? this.#maxInflatedBytes,
      timeoutMs,
      startedPort: channel.port2,
    };
    const buffer = input.body.buffer;
    const canTransfer =
      buffer instanceof ArrayBuffer &&
      input.body.byteOffset === 0 &&
      input.body.byteLength === buffer.byteLength;
    // piscina's own transferList type is narrower than what worker_threads accepts.
    const transferList = (canTransfer ? [channel.port2, buffer] : [channel.port2]) as unknown as Parameters<
      Piscina['run']
    >[1] extends infer O
      ? O extends { transferList?: infer T }
        ? T
        : never
      : never;

    generation.inFlight++;
    try {
      const result = await generation.piscina.run(task, { signal: controller.signal, transferList });
      const halfHeapBytes = (this.#maxOldGenerationSizeMb * 1024 * 1024) / 2;
      // Memory outside the heap (ArrayBuffers, zlib) escapes the heap limit: recycle on it as well.
      if (
        result.heapUsedBytes > halfHeapBytes ||
        result.externalBytes > halfHeapBytes ||
        result.rssGrowthBytes > this.#maxRssGrowthBytes
      ) {
        generation.isRetiring = true;
      }
      if (!result.ok) throw reviveError(result.error);
      return result.document;
    } catch (error) {
      if (error instanceof DistillError) throw error;
      if (hasTimedOut)
        throw new ExtractionTimeoutError(`Extraction of ${input.url} took longer than ${timeoutMs} ms`, {
          cause: error,
        });
      if (signal?.aborted)
        throw new AbortedError(`Extraction of ${input.url} was aborted`, { cause: signal.reason });
      const cause = toError(error);
      // Out of memory (ERR_WORKER_OUT_OF_MEMORY) and other thread deaths: the document is at fault.
      throw new ExtractionFailedError(`The extractor thread failed on ${input.url}: ${cause.message}`, {
        cause,
      });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      channel.port1.close();
      this.#completed++;
      generation.inFlight--;
      this.#drainRetired();
    }
  }

  /** Threads, waiting documents and finished documents. */
  stats(): ExtractorPoolStats {
    let threads = 0;
    let queued = this.#waiting.length;
    for (const generation of [this.#current, ...this.#retiring]) {
      if (!generation) continue;
      threads += generation.piscina.threads.length;
      queued += generation.piscina.queueSize;
    }
    return {
      threads,
      queued,
      inFlight: this.#inFlight,
      completed: this.#completed,
      recycled: this.#recycled,
    };
  }

  /**
   * Stops the threads. Documents still running are aborted (their `run()` rejects). Idempotent: a
   * second call returns the same promise.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const generations = [this.#current, ...this.#retiring].filter(
        (generation): generation is Generation => generation !== null,
      );
      this.#current = null;
      this.#retiring.clear();
      const results = await Promise.allSettled(generations.map((generation) => generation.piscina.destroy()));
      const errors = results
        .filter((result): result is PromiseRejectedResult => result.status === 'rejected')
        .map((result) => toError(result.reason));
      if (errors.length > 0) throw new AggregateError(errors, 'Some extractor threads did not stop cleanly');
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  #createGeneration(): Generation {
    const isTypeScript = workerUrl.pathname.endsWith('.ts');
    const piscina = new Piscina<ExtractTask, ExtractTaskResult>({
      filename: workerUrl.href,
      minThreads: 1,
      maxThreads: this.#threads,
      idleTimeout: this.#idleTimeoutMs,
      // Our own in-flight counter bounds the queue (it spans generations); piscina's stays open.
      maxQueue: Number.POSITIVE_INFINITY,
      resourceLimits: { maxOldGenerationSizeMb: this.#maxOldGenerationSizeMb },
      workerData: { threadNiceness: this.#threadNiceness } satisfies ExtractThreadData,
      // Tests run the TypeScript sources; tsx compiles them in the threads too.
      execArgv: [...(isTypeScript ? ['--import', 'tsx'] : []), ...this.#execArgv],
    });
    return { piscina, submitted: 0, inFlight: 0, isRetiring: false };
  }

  #generationForTask(): Generation {
    let generation = this.#current ?? (this.#current = this.#createGeneration());
    if (generation.isRetiring || generation.submitted >= this.#threads * this.#recycleAfterTasks) {
      this.#retiring.add(generation);
      generation.isRetiring = true;
      generation = this.#current = this.#createGeneration();
      this.#recycled++;
    }
    generation.submitted++;
    return generation;
  }

  /** Destroys retired generations whose documents have all settled. */
  #drainRetired(): void {
    for (const generation of this.#retiring) {
      if (generation.inFlight > 0) continue;
      this.#retiring.delete(generation);
      // Nothing runs there any more; a failure to stop threads cannot affect a document.
      generation.piscina.destroy().catch(() => undefined);
    }
  }
}
