/** Owns the deadline and the abort wiring of one fetch of `HttpFetcher`. */
export class FetchScope {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #timer: NodeJS.Timeout;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #onCallerAbort = (): void => this.#controller.abort(this.#callerSignal?.reason);
  #isTimedOut = false;

  constructor(timeoutMs: number, callerSignal: AbortSignal | undefined) {
    this.signal = this.#controller.signal;
    this.#callerSignal = callerSignal;
    this.#timer = setTimeout(() => {
      this.#isTimedOut = true;
      this.#controller.abort(new Error(`Deadline of ${timeoutMs} ms passed`));
    }, timeoutMs);
    if (callerSignal?.aborted) this.#onCallerAbort();
    else callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  get isTimedOut(): boolean {
    return this.#isTimedOut;
  }

  get isCallerAborted(): boolean {
    return this.#callerSignal?.aborted === true;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}
