/**
 * Firecrawl-compatible routes under `/firecrawl` (`/firecrawl/v1/...` and `/firecrawl/v2/...`): a
 * Firecrawl script points its SDK's `apiUrl` at `http://host:port/firecrawl` and runs on distill's
 * own jobs, crawls, limits, tenants, keys (`Authorization: Bearer`), reuse and events. Requests and
 * answers have the shapes `@mendable/firecrawl-js` sends and reads; errors are Firecrawl's
 * `{success: false, error}`. What each field does is in firecrawl-requests.ts and docs/firecrawl.md.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { normalizeUrl, type Job } from '../../../jobs/index.js';
import { isAbortError, sleep } from '../../../lib/index.js';
import { toAiOptions } from '../../ai-options.js';
import { ApiError, ItemFailedError } from '../../api-error.js';
import { registerFirecrawlErrorHandling } from '../../error-handler.js';
import { bindJobId } from '../../request-log.js';
import { signalOfResponse, toDomainOptions, type RouteContext } from '../../route-context.js';
import { toCrawlProblem, checkWebhook } from '../../routes/crawls.js';
import { toMapProblem } from '../../routes/map.js';
import { isJobFinal } from '../../views.js';
import { invalid } from './firecrawl-fields.js';
import {
  readBatchBody,
  readCrawlBody,
  readMapBody,
  readScrapeBody,
  type FirecrawlVersion,
  type ScrapeRequest,
  type FirecrawlWebhook,
} from './firecrawl-requests.js';
import { firecrawlStatus, toFirecrawlDocument, toFirecrawlError } from './firecrawl-views.js';

/** The prefix of every Firecrawl-compatible route. */
export const FIRECRAWL_PREFIX = '/firecrawl';
/** Documents per page of a status answer; the rest is behind `next`. */
const STATUS_PAGE_SIZE = 100;
/** Failed items an errors answer lists at most. */
const MAX_ERRORS = 10_000;
/** Firecrawl's default crawl `limit`. */
const DEFAULT_CRAWL_LIMIT = 10_000;

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;
const statusQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cursor: { type: 'string', maxLength: 1024 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;
/** Bodies are read member by member (firecrawl-requests.ts), so that each error names its field. */
const anyObject = { type: 'object', additionalProperties: true } as const;

type IdRequest = FastifyRequest<{ Params: { id: string }; Querystring: { cursor?: string; limit?: number } }>;

/** Registers the Firecrawl-compatible routes (v1 and v2) on their own scope, with Firecrawl's error shape. */
export function firecrawlRoutes(context: RouteContext) {
  const { services, options } = context;

  /** `http://host:port/firecrawl`, as the client reached it: `next` links are absolute, as Firecrawl's. */
  const baseOf = (request: FastifyRequest): string => `${request.protocol}://${request.host}`;

  /**
   * A scrape's job options, with its `headers` checked and sealed as the native routes seal them,
   * and its json and summary formats checked as the native API checks them (a schema that does not
   * compile, sizes, a server with no model: the same codes, in Firecrawl's shape, naming the field).
   */
  const jobOptionsOf = (scrape: ScrapeRequest) => {
    let options = scrape.options;
    if (scrape.modelFormats.length > 0) {
      try {
        options = {
          ...options,
          llm: toAiOptions({ formats: scrape.modelFormats }, services.isLlmConfigured === true).llm,
        };
      } catch (error) {
        if (!(error instanceof ApiError)) throw error;
        const field =
          scrape.formats.json?.field ?? scrape.jsonOptions?.field ?? scrape.formatsField ?? 'formats';
        throw new ApiError(error.code, `\`${field}\`: ${error.message}`, { extensions: { field } });
      }
    }
    return scrape.headers === undefined
      ? options
      : { ...options, ...toDomainOptions({ headers: scrape.headers }, { box: services.secretBox }) };
  };

  async function waitFinal(jobId: string, waitMs: number, responseSignal: AbortSignal): Promise<Job | null> {
    const signal = AbortSignal.any([responseSignal, AbortSignal.timeout(waitMs)]);
    try {
      if (services.waitForJob) return await services.waitForJob(jobId, { signal });
      for (;;) {
        const job = await services.repository.getJob(jobId);
        if (job === null || isJobFinal(job)) return job;
        await sleep(options.extractPollMs, { signal });
      }
    } catch (error) {
      if (isAbortError(error) || signal.aborted) return null;
      throw error;
    }
  }

  async function checkFirecrawlWebhook(webhook: FirecrawlWebhook | undefined): Promise<void> {
    await checkWebhook(
      services.events?.checkWebhookUrl.bind(services.events) ??
        services.crawls?.checkWebhookUrl?.bind(services.crawls),
      webhook,
    );
  }

  /** The job of a status route, if it is the tenant's: another tenant's is not found. */
  const ownJob = (request: IdRequest): Promise<Job> =>
    services.jobs.getJob(request.params.id, { tenant: request.tenant });

  async function statusAnswer(
    request: IdRequest,
    job: Job,
    kind: 'batch/scrape' | 'crawl',
    version: FirecrawlVersion,
  ) {
    const limit = request.query.limit ?? STATUS_PAGE_SIZE;
    const page = await services.repository.listResults(job.id, { limit, cursor: request.query.cursor });
    const base = baseOf(request);
    const data = page.items.map(({ item, document }) =>
      toFirecrawlDocument(document, job.options, base, item.llm),
    );
    const next =
      page.nextCursor !== null && page.nextCursor !== undefined
        ? `${base}${FIRECRAWL_PREFIX}/${version}/${kind}/${encodeURIComponent(job.id)}?cursor=${encodeURIComponent(page.nextCursor)}${request.query.limit !== undefined ? `&limit=${limit}` : ''}`
        : null;
    return {
      success: true,
      status: firecrawlStatus(job),
      completed: job.counts.succeeded + job.counts.failed,
      total: job.total,
      creditsUsed: 0,
      expiresAt: new Date(job.createdAt + 24 * 3600 * 1000).toISOString(),
      // The v1 SDK follows `next` while the member exists, null or not: v1 leaves it out at the end.
      ...(next !== null || version === 'v2' ? { next } : {}),
      data,
    };
  }

  async function errorsAnswer(job: Job) {
    const errors: Record<string, unknown>[] = [];
    const robotsBlocked: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await services.repository.listItems(job.id, { state: 'failed', limit: 500, cursor });
      for (const item of page.items) {
        if (item.error?.code === 'robots_disallowed') robotsBlocked.push(item.url);
        else errors.push(toFirecrawlError(item));
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && errors.length + robotsBlocked.length < MAX_ERRORS);
    return { success: true, errors, robotsBlocked };
  }

  async function cancelAnswer(request: IdRequest) {
    await ownJob(request);
    await services.jobs.cancel(request.params.id, { tenant: request.tenant });
    return { success: true, status: 'cancelled' };
  }

  function registerVersion(app: FastifyInstance, version: FirecrawlVersion): void {
    const v = `/${version}`;

    app.post(
      `${v}/scrape`,
      { schema: { hide: true, body: anyObject } },
      async (request, reply: FastifyReply) => {
        const scrape = readScrapeBody(request.body);
        if (!normalizeUrl(scrape.url).ok)
          throw invalid('url', `is not a valid http(s) URL: ${JSON.stringify(scrape.url.slice(0, 200))}`);
        const submitted = await services.jobs.submit({
          urls: [scrape.url],
          options: jobOptionsOf(scrape),
          tenant: request.tenant,
        });
        const jobId = submitted.job.id;
        bindJobId(request, reply, jobId);
        // Firecrawl's `timeout` may lengthen the wait, but never past the server's idle limit, which
        // would cut the connection first (the idle limit already outlasts `extractTimeoutMs`).
        const idleLimitMs =
          options.idleTimeoutMs === 0
            ? Infinity
            : Math.max(options.idleTimeoutMs, options.extractTimeoutMs + 5000) - 5000;
        const waitMs = Math.max(options.extractTimeoutMs, Math.min(scrape.timeoutMs ?? 0, idleLimitMs));
        const job = await waitFinal(jobId, waitMs, signalOfResponse(request, reply));
        if (job === null || !isJobFinal(job)) {
          throw new ApiError(
            'extract_timeout',
            `The page was not scraped within ${waitMs} ms; job ${jobId} keeps running`,
            { extensions: { jobId } },
          );
        }
        const [item] = (await services.repository.listItems(jobId, { limit: 1 })).items;
        if (item?.state === 'succeeded' && item.documentId !== null) {
          const document = await services.repository.getDocument(item.documentId);
          if (document)
            return {
              success: true,
              data: toFirecrawlDocument(document, job.options, baseOf(request), item.llm),
            };
        }
        if (item?.state === 'failed') {
          throw new ItemFailedError({
            code: item.error?.code ?? 'extraction_failed',
            message: item.error?.message ?? `Scraping ${item.url} failed`,
            jobId,
            url: item.url,
            httpStatus: item.error?.httpStatus,
          });
        }
        throw new ApiError('job_cancelled', `Job ${jobId} was cancelled before the page was scraped`, {
          extensions: { jobId },
        });
      },
    );

    app.post(`${v}/batch/scrape`, { schema: { hide: true, body: anyObject } }, async (request, reply) => {
      const batch = readBatchBody(request.body, options.maxUrlsPerRequest);
      const invalidURLs = batch.urls.filter((url) => !normalizeUrl(url).ok);
      if (invalidURLs.length > 0 && !batch.ignoreInvalidURLs) {
        throw invalid(
          'urls',
          `holds ${invalidURLs.length} invalid URL(s), the first ${JSON.stringify(invalidURLs[0]!.slice(0, 200))}; set ignoreInvalidURLs to skip them`,
        );
      }
      await checkFirecrawlWebhook(batch.webhook);
      const idempotencyKey = request.headers['x-idempotency-key'];
      const submitted = await services.jobs.submit({
        urls: batch.urls,
        options: jobOptionsOf(batch),
        webhook: batch.webhook ? { url: batch.webhook.url } : null,
        idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
        tenant: request.tenant,
      });
      bindJobId(request, reply, submitted.job.id);
      const id = submitted.job.id;
      return {
        success: true,
        id,
        url: `${baseOf(request)}${FIRECRAWL_PREFIX}${v}/batch/scrape/${encodeURIComponent(id)}`,
        ...(batch.ignoreInvalidURLs ? { invalidURLs } : {}),
      };
    });

    app.get(
      `${v}/batch/scrape/:id`,
      { schema: { hide: true, params: idParams, querystring: statusQuery } },
      async (request: IdRequest) => statusAnswer(request, await ownJob(request), 'batch/scrape', version),
    );
    app.delete(`${v}/batch/scrape/:id`, { schema: { hide: true, params: idParams } }, (request: IdRequest) =>
      cancelAnswer(request),
    );
    app.get(
      `${v}/batch/scrape/:id/errors`,
      { schema: { hide: true, params: idParams } },
      async (request: IdRequest) => errorsAnswer(await ownJob(request)),
    );

    if (services.crawls) {
      const { crawls } = services;
      app.post(`${v}/crawl`, { schema: { hide: true, body: anyObject } }, async (request, reply) => {
        const input = readCrawlBody(request.body, version);
        await checkFirecrawlWebhook(input.webhook);
        const idempotencyKey = request.headers['x-idempotency-key'];
        let result;
        try {
          result = await crawls.start({
            crawl: { ...input.crawl, maxPages: input.crawl.maxPages ?? DEFAULT_CRAWL_LIMIT },
            // Crawl pages are always fetched (a crawl is about the site now), as the native route.
            options: jobOptionsOf(input.scrape),
            webhook: input.webhook ? { url: input.webhook.url } : null,
            idempotencyKey: typeof idempotencyKey === 'string' ? idempotencyKey : undefined,
            tenant: request.tenant,
          });
        } catch (error) {
          throw toCrawlProblem(error);
        }
        bindJobId(request, reply, result.job.id);
        const id = result.job.id;
        return {
          success: true,
          id,
          url: `${baseOf(request)}${FIRECRAWL_PREFIX}${v}/crawl/${encodeURIComponent(id)}`,
        };
      });
      app.get(
        `${v}/crawl/:id`,
        { schema: { hide: true, params: idParams, querystring: statusQuery } },
        async (request: IdRequest) => {
          // Any job of the tenant, batches too: the v1 SDK polls a batch's status here.
          return statusAnswer(request, await ownJob(request), 'crawl', version);
        },
      );
      app.delete(`${v}/crawl/:id`, { schema: { hide: true, params: idParams } }, (request: IdRequest) =>
        cancelAnswer(request),
      );
      app.get(
        `${v}/crawl/:id/errors`,
        { schema: { hide: true, params: idParams } },
        async (request: IdRequest) => errorsAnswer(await ownJob(request)),
      );
    }

    if (services.map) {
      const { map } = services;
      app.post(`${v}/map`, { schema: { hide: true, body: anyObject } }, async (request, reply) => {
        const input = readMapBody(request.body);
        let result;
        try {
          result = await map.map({ ...input, signal: signalOfResponse(request, reply) });
        } catch (error) {
          throw toMapProblem(error);
        }
        // v1 answers URLs as strings, v2 as objects (the SDK turns strings into objects too).
        const links =
          version === 'v1'
            ? result.links.map((link) => link.url)
            : result.links.map((link) =>
                link.title ? { url: link.url, title: link.title } : { url: link.url },
              );
        return {
          success: true,
          links,
          ...(result.warnings.length > 0
            ? { warning: result.warnings.map((w) => `${w.url}: ${w.message}`).join('; ') }
            : {}),
        };
      });
    }
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    registerFirecrawlErrorHandling(app);
    registerVersion(app, 'v1');
    registerVersion(app, 'v2');
    done();
  };
}
