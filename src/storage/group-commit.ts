/**
 * Group commit: requests that arrive within a few milliseconds of each other are written in one
 * transaction, so a batch pays once for what every transaction pays (BEGIN, COMMIT and its sync,
 * the job's row lock, its counters' read and write) instead of once per request.
 *
 * Correctness comes before the saving:
 * - A caller's promise settles only after the transaction that holds its write committed (or
 *   failed), so nothing reports an outcome that a crash could still take back. A crash before the
 *   commit loses the whole batch's writes together, as it would lose one transaction's: the items
 *   are still running under their leases, which run out, and they run again (at-least-once).
 * - A batch that fails is not one caller's failure: each request of it is then written alone
 *   (`commitOne`), so a bad request fails by itself and the others' writes still land.
 * - Batches are bounded (`maxBatch`), one runs at a time, and the requests waiting are bounded by
 *   their callers: each waits for its own answer (the worker pool's slots).
 */
export interface GroupCommitOptions<Request, Result> {
  /** Writes the batch in one transaction; one result per request, in order. */
  commitBatch(requests: readonly Request[]): Promise<Result[]>;
  /** Writes one request in its own transaction: a batch of one, and the fallback of a failed batch. */
  commitOne(request: Request): Promise<Result>;
  /** Requests per transaction at most. @default 64 */
  maxBatch?: number;
  /** How long the first request of a batch waits for company, in milliseconds. @default 2 */
  windowMs?: number;
  /** Told of each batch that failed and was written request by request. */
  onBatchFailed?(error: unknown, size: number): void;
}

interface Waiting<Request, Result> {
  request: Request;
  resolve(result: Result): void;
  reject(error: unknown): void;
}

export class GroupCommit<Request, Result> {
  readonly #options: GroupCommitOptions<Request, Result>;
  readonly #maxBatch: number;
  readonly #windowMs: number;
  #waiting: Array<Waiting<Request, Result>> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #isCommitting = false;
  /** Batches committed and the requests they held, for the metrics and the tests. */
  readonly stats = { batches: 0, requests: 0, largest: 0, failedBatches: 0 };

  constructor(options: GroupCommitOptions<Request, Result>) {
    this.#options = options;
    this.#maxBatch = options.maxBatch ?? 64;
    this.#windowMs = options.windowMs ?? 2;
    if (!Number.isSafeInteger(this.#maxBatch) || this.#maxBatch < 1) {
      throw new TypeError(`Expected \`maxBatch\` to be a positive integer, got \`${this.#maxBatch}\``);
    }
  }

  /** Writes `request` with the others that arrive meanwhile; settles once its transaction ended. */
  submit(request: Request): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      if (this.#isCommitting) return; // the batch in flight starts the next one when it ends
      if (this.#waiting.length >= this.#maxBatch) this.#flushNow();
      else this.#timer ??= setTimeout(() => this.#flushNow(), this.#windowMs);
    });
  }

  #flushNow(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#isCommitting || this.#waiting.length === 0) return;
    const batch = this.#waiting.splice(0, this.#maxBatch);
    this.#isCommitting = true;
    void this.#commit(batch).finally(() => {
      this.#isCommitting = false;
      // What arrived while this batch was written waited long enough: it goes now.
      if (this.#waiting.length > 0) this.#flushNow();
    });
  }

  async #commit(batch: Array<Waiting<Request, Result>>): Promise<void> {
    this.stats.batches += 1;
    this.stats.requests += batch.length;
    this.stats.largest = Math.max(this.stats.largest, batch.length);
    if (batch.length > 1) {
      let results: Result[] | undefined;
      try {
        results = await this.#options.commitBatch(batch.map((w) => w.request));
      } catch (error) {
        this.stats.failedBatches += 1;
        this.#options.onBatchFailed?.(error, batch.length);
      }
      if (results !== undefined) {
        batch.forEach((w, i) => w.resolve(results[i]!));
        return;
      }
    }
    // One request, or a failed batch: each alone, so one bad write fails only its own caller.
    for (const w of batch) {
      try {
        w.resolve(await this.#options.commitOne(w.request));
      } catch (error) {
        w.reject(error);
      }
    }
  }
}
