import {
  normalizeUrl,
  NoValidUrlsError,
  type ClaimedItem,
  type CrawlSettings,
  type ItemOutcome,
  type Job,
  type JobOptionsInput,
  type JobsService,
} from '../jobs/index.js';
import { checkPatterns } from './url-pattern.js';

/** What a client asks of a crawl; unset members take the defaults below. */
export interface CrawlInput {
  url: string;
  /** @default 2 */
  maxDepth?: number | undefined;
  /** @default 100, and never more than the service's `maxPages` */
  maxPages?: number | undefined;
  include?: string[] | undefined;
  exclude?: string[] | undefined;
  /** @default true */
  sameSite?: boolean | undefined;
  /** @default true */
  useSitemap?: boolean | undefined;
}

/** Defaults of a crawl's settings. */
export const CRAWL_DEFAULTS = { maxDepth: 2, maxPages: 100, sameSite: true, useSitemap: true } as const;

export interface CrawlsServiceOptions {
  jobs: Pick<JobsService, 'submit' | 'finishAttempt'>;
  /** Most pages one crawl may ask for. @default 10000 */
  maxPages?: number;
}

/**
 * Crawls (issue 9): a crawl is a job like any other (progress, results, events, cancel) whose
 * options carry its `CrawlSettings`. It starts with one item, the start page; each page that
 * succeeds adds the links in scope (the worker's crawl hook, `withCrawlLinks`, puts them in the
 * outcome) at depth + 1 in the transaction that ends it (the jobs service's `finishAttempt`), so the job completes only when no page is queued or running and no
 * link is left to follow. Pages are claimed in item order, which is discovery order: breadth-first
 * but for pages in flight at once, which finish (and add their links) in any order.
 * A URL is never added twice to one job, so never fetched twice in one crawl.
 */
export class CrawlsService {
  readonly #jobs: CrawlsServiceOptions['jobs'];
  readonly #maxPages: number;

  constructor(options: CrawlsServiceOptions) {
    this.#jobs = options.jobs;
    this.#maxPages = options.maxPages ?? 10_000;
    if (!Number.isSafeInteger(this.#maxPages) || this.#maxPages < 1) {
      throw new TypeError(`Expected \`maxPages\` to be a positive integer, got \`${this.#maxPages}\``);
    }
  }

  /** Most pages a crawl may ask for. */
  get maxPages(): number {
    return this.#maxPages;
  }

  /**
   * The settings of a crawl from `input` and the defaults. Throws `NoValidUrlsError` for a bad
   * start URL, `InvalidPatternError` for a pattern that does not compile, and `RangeError` for
   * `maxPages` above the service's limit.
   */
  settings(input: CrawlInput): CrawlSettings {
    const normalized = normalizeUrl(input.url);
    if (!normalized.ok) {
      throw new NoValidUrlsError(
        [
          {
            index: 0,
            input: input.url.slice(0, 200),
            reason: normalized.reason,
            message: normalized.message,
          },
        ],
        1,
      );
    }
    const maxPages = input.maxPages ?? Math.min(CRAWL_DEFAULTS.maxPages, this.#maxPages);
    if (maxPages > this.#maxPages)
      throw new RangeError(`maxPages is ${maxPages}; this server allows at most ${this.#maxPages}`);
    const include = input.include ?? [];
    const exclude = input.exclude ?? [];
    checkPatterns(include, 'include');
    checkPatterns(exclude, 'exclude');
    return {
      url: normalized.url,
      maxDepth: input.maxDepth ?? CRAWL_DEFAULTS.maxDepth,
      maxPages,
      include,
      exclude,
      sameSite: input.sameSite ?? CRAWL_DEFAULTS.sameSite,
      useSitemap: input.useSitemap ?? CRAWL_DEFAULTS.useSitemap,
    };
  }

  /**
   * Starts a crawl: a job with the start page as its one item. Crawl pages are always fetched
   * (maxAge 0; a page taken from storage would not have its links followed), conditionally when
   * their document is stored, and always extract links.
   */
  async start(input: {
    crawl: CrawlInput;
    options?: JobOptionsInput | undefined;
    webhook?: Job['webhook'] | undefined;
    idempotencyKey?: string | undefined;
    tenant?: string | undefined;
    /** The crawl job's name (checked); unset: named after the start page. */
    name?: string | undefined;
  }): Promise<{ job: Job; crawl: CrawlSettings; isNew: boolean }> {
    const crawl = this.settings(input.crawl);
    const formats = input.options?.formats;
    const result = await this.#jobs.submit({
      urls: [crawl.url],
      options: {
        ...input.options,
        ...(formats !== undefined ? { formats: [...new Set([...formats, 'links' as const])] } : {}),
        maxAgeSeconds: 0,
        crawl,
      },
      webhook: input.webhook ?? null,
      idempotencyKey: input.idempotencyKey,
      tenant: input.tenant,
      name: input.name,
    });
    return { job: result.job, crawl: result.job.options.crawl ?? crawl, isNew: result.isNew };
  }

  /**
   * The jobs service's `finishAttempt`, which records a crawl page's links with its outcome and
   * enqueues them; kept for callers written before finishing an item moved there.
   * @deprecated Call `JobsService.finishAttempt`.
   */
  finishAttempt(item: ClaimedItem, outcome: ItemOutcome): Promise<boolean> {
    return this.#jobs.finishAttempt(item, outcome);
  }
}
