// `PagePermits`: the bound on `BrowserPool`'s pages in flight (browser-pool.ts), a semaphore whose
// waiters give up at their render's deadline or when its signal aborts.
import { AbortedError } from '../lib/index.js';
import { RenderFailedError } from './errors.js';

interface Waiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

/** At most `max` permits out at once; the others wait in order, each until its deadline. */
export class PagePermits {
  readonly #max: number;
  #inFlight = 0;
  #waiters: Waiter[] = [];

  constructor(max: number) {
    this.#max = max;
  }

  /** Permits out now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Renders waiting for a permit. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Takes a permit, waiting until `deadline` (a `performance.now()` time) or until `signal` aborts. */
  async acquire(signal: AbortSignal | undefined, deadline: number, url: string): Promise<void> {
    if (signal?.aborted) throw new AbortedError(`Rendering ${url} was aborted`);
    if (this.#inFlight < this.#max) {
      this.#inFlight += 1;
      return;
    }
    const waitMs = Math.max(1, Math.floor(deadline - performance.now()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new RenderFailedError(url, `no browser page became free within ${waitMs} ms`));
      }, waitMs);
      const onAbort = (): void => {
        cleanup();
        reject(new AbortedError(`Rendering ${url} was aborted`));
      };
      const waiter: Waiter = {
        resolve: () => {
          cleanup();
          resolve();
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Returns a permit. */
  release(): void {
    // The permit passes straight to the next waiter, so `#inFlight` never exceeds `max`.
    const next = this.#waiters.shift();
    if (next) next.resolve();
    else this.#inFlight -= 1;
  }

  /** Rejects every waiting render with `error` (the pool is stopping). */
  rejectWaiting(error: Error): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }
}
