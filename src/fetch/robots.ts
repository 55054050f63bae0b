/**
 * robots.txt support: one parsed file per origin, cached with a TTL in a bounded LRU map, loaded at
 * most once at a time per origin (concurrent callers share the load).
 *
 * What an unavailable robots.txt means (RFC 9309 §2.3.1, with one deliberate difference):
 * - 2xx: parsed and obeyed.
 * - 4xx (404, 410, also 401/403): no rules, everything allowed; cached for `ttlMs`.
 * - 5xx, network errors, timeouts, a blocked address: everything allowed, but cached only for
 *   `errorTtlMs` so the file is asked for again soon. RFC 9309 says to assume "disallow all" on
 *   5xx; we allow instead because a distill job is a user asking for specific pages (closer to a
 *   browser than a crawler), and the per-host limiter still keeps us polite to a struggling server.
 */
import robotsParserModule from 'robots-parser';
import { systemClock, type Clock } from '../lib/clock.js';
import { AbortedError } from '../lib/errors.js';
import { positiveInteger } from '../lib/index.js';

/** What loading one robots.txt gave. */
export type RobotsTxtResult =
  /** A 2xx answer with the (possibly truncated) file. */
  | { readonly kind: 'found'; readonly text: string }
  /** A 4xx answer: no rules apply. */
  | { readonly kind: 'absent' }
  /** A 5xx answer or a failure to fetch: allow, and ask again after `errorTtlMs`. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Loads the robots.txt at `robotsUrl`; should not reject (a rejection counts as `unavailable`). */
export type RobotsTxtLoader = (robotsUrl: string) => Promise<RobotsTxtResult>;

/** Options of `RobotsCache`. */
export interface RobotsCacheOptions {
  /** Fetches one robots.txt; the fetcher passes one that goes through its guarded agent. */
  load: RobotsTxtLoader;
  /** Product token matched against `User-agent:` lines. @default 'distill' */
  userAgentToken?: string;
  /** How long a fetched (or 4xx) robots.txt is kept, in milliseconds. @default 3600000 (1 h) */
  ttlMs?: number;
  /** How long an unavailable robots.txt (5xx, error) counts as "allow all", in milliseconds. @default 600000 (10 min) */
  errorTtlMs?: number;
  /** Most origins kept; the least recently used is dropped first. @default 10000 */
  maxOrigins?: number;
  /** Source of time for TTLs. @default systemClock */
  clock?: Clock;
}

/**
 * robots-parser is CommonJS (`module.exports = fn`) while its types declare `export default fn`;
 * under NodeNext the default import is the function itself at run time.
 */
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

type Robot = ReturnType<typeof robotsParser>;

interface RobotsEntry {
  /** `undefined` means "no rules": everything is allowed. */
  readonly robot: Robot | undefined;
  readonly expiresAtMs: number;
}

/** Caches robots.txt per origin and answers whether a URL may be fetched. */
export class RobotsCache {
  readonly #load: RobotsTxtLoader;
  readonly #token: string;
  readonly #ttlMs: number;
  readonly #errorTtlMs: number;
  readonly #maxOrigins: number;
  readonly #clock: Clock;
  /** Insertion order is recency order: an entry is re-inserted when used. */
  readonly #entries = new Map<string, RobotsEntry>();
  /** Loads in progress, so that concurrent callers for one origin share one request. */
  readonly #loading = new Map<string, Promise<RobotsEntry>>();

  constructor(options: RobotsCacheOptions) {
    this.#load = options.load;
    this.#token = (options.userAgentToken ?? 'distill').trim().toLowerCase();
    if (this.#token === '' || /[\s/]/.test(this.#token)) {
      throw new TypeError(
        `Expected \`userAgentToken\` to be a product token such as \`distill\`, got \`${String(options.userAgentToken)}\``,
      );
    }
    this.#ttlMs = positiveInteger('ttlMs', options.ttlMs ?? 3_600_000);
    this.#errorTtlMs = positiveInteger('errorTtlMs', options.errorTtlMs ?? 600_000);
    this.#maxOrigins = positiveInteger('maxOrigins', options.maxOrigins ?? 10_000);
    this.#clock = options.clock ?? systemClock;
  }

  /** The product token rules are matched for. */
  get userAgentToken(): string {
    return this.#token;
  }

  /** Number of origins cached (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * True when robots.txt of `url`'s origin allows fetching it. `signal` only stops this caller's
   * wait (rejecting with `AbortedError`); a shared load goes on for the others.
   */
  async isAllowed(url: URL, options: { signal?: AbortSignal } = {}): Promise<boolean> {
    const entry = await waitOrAbort(this.#entryFor(url.origin), options.signal);
    if (entry.robot === undefined) return true;
    // robots-parser answers undefined for a URL of another origin; ours never is, but allow then.
    return entry.robot.isAllowed(url.href, this.#token) ?? true;
  }

  /** Forgets every cached file (loads in progress finish and are cached). */
  clear(): void {
    this.#entries.clear();
  }

  #entryFor(origin: string): Promise<RobotsEntry> {
    const cached = this.#entries.get(origin);
    if (cached !== undefined && cached.expiresAtMs > this.#clock.now()) {
      this.#entries.delete(origin);
      this.#entries.set(origin, cached);
      return Promise.resolve(cached);
    }
    const loading = this.#loading.get(origin);
    if (loading !== undefined) return loading;
    const promise = this.#loadEntry(origin).finally(() => this.#loading.delete(origin));
    this.#loading.set(origin, promise);
    return promise;
  }

  async #loadEntry(origin: string): Promise<RobotsEntry> {
    const robotsUrl = `${origin}/robots.txt`;
    let result: RobotsTxtResult;
    try {
      result = await this.#load(robotsUrl);
    } catch (error) {
      result = { kind: 'unavailable', reason: String(error) };
    }
    const now = this.#clock.now();
    const entry: RobotsEntry =
      result.kind === 'found'
        ? { robot: robotsParser(robotsUrl, result.text), expiresAtMs: now + this.#ttlMs }
        : {
            robot: undefined,
            expiresAtMs: now + (result.kind === 'absent' ? this.#ttlMs : this.#errorTtlMs),
          };
    this.#entries.delete(origin);
    this.#entries.set(origin, entry);
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxOrigins) break;
      this.#entries.delete(key);
    }
    return entry;
  }
}

/** Waits for `promise` unless `signal` aborts first (then rejects with `AbortedError`). */
function waitOrAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError(undefined, { cause: signal.reason }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError(undefined, { cause: signal.reason }));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
