import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JobOptionsInput as WireJobOptions, WebhookInput } from '../../client/types.js';
import { ApiError, ApiValidationError } from '../api-error.js';
import { readJobName } from '../job-name.js';
import { bindJobId } from '../request-log.js';
import { toDomainOptions, type RouteContext } from '../route-context.js';
import type { CrawlInputView } from '../services.js';
import { idempotencyHeadersSchema, jobIdParamsSchema, problemResponses } from '../schemas.js';
import { crawlBodySchema, crawlResponseSchema } from '../schemas-crawls.js';
import { jobPath, toJobView } from '../views.js';
import { ownedJobOf } from '../auth.js';

/** A crawl's bad settings as a `validation_failed` problem; anything else unchanged. */
export function toCrawlProblem(error: unknown, prefix = ''): unknown {
  if (error instanceof TypeError && typeof (error as { pattern?: unknown }).pattern === 'string') {
    const field = (error as { field?: unknown }).field === 'exclude' ? 'exclude' : 'include';
    return new ApiValidationError(`${prefix}/${field}`, error.message);
  }
  if (error instanceof RangeError) return new ApiValidationError(`${prefix}/maxPages`, error.message);
  return error;
}

/** Checks a submitted webhook URL against the guard, as `POST /v1/jobs` does. */
export async function checkWebhook(
  check: ((url: string) => Promise<void>) | undefined,
  webhook: WebhookInput | undefined,
): Promise<void> {
  if (!check || !webhook) return;
  try {
    await check(webhook.url);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'invalid_webhook_url') {
      throw new ApiError('invalid_webhook_url', (error as Error).message, {
        extensions: { url: webhook.url },
        cause: error,
      });
    }
    throw error;
  }
}

interface CrawlBody extends CrawlInputView {
  name?: string;
  options?: WireJobOptions;
  webhook?: WebhookInput;
}

/** Registers `POST /v1/crawls` and `GET /v1/crawls/:id` (a crawl is a job: the job routes serve the rest). */
export function crawlRoutes(context: RouteContext<'crawls'>) {
  const { crawls } = context.services;
  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.post(
      '/v1/crawls',
      {
        schema: {
          summary: 'Crawl a site',
          description:
            'Follows the links the extractor finds (and /sitemap.xml) from `url`, breadth-first, within maxDepth, maxPages, the ' +
            'include/exclude patterns and the same site; robots.txt and per-host limits apply. The crawl is a job: follow, page ' +
            'and cancel it through /v1/jobs/{id}. Pages are always fetched (maxAge 0), conditionally when stored.',
          tags: ['crawls'],
          body: crawlBodySchema,
          headers: idempotencyHeadersSchema,
          response: { 200: crawlResponseSchema, 202: crawlResponseSchema, ...problemResponses },
        },
      },
      async (
        request: FastifyRequest<{ Body: CrawlBody; Headers: { 'idempotency-key'?: string } }>,
        reply,
      ) => {
        const { options, webhook, name: rawName, ...crawl } = request.body;
        const name = readJobName(rawName);
        await checkWebhook(crawls.checkWebhookUrl?.bind(crawls), webhook);
        let result;
        try {
          result = await crawls.start({
            crawl,
            options: toDomainOptions(
              options,
              { box: context.services.secretBox },
              { isLlmConfigured: context.services.isLlmConfigured === true },
            ),
            webhook: webhook
              ? { url: webhook.url, ...(webhook.secret !== undefined ? { secret: webhook.secret } : {}) }
              : null,
            idempotencyKey: request.headers['idempotency-key'],
            tenant: request.tenant,
            name,
          });
        } catch (error) {
          throw toCrawlProblem(error);
        }
        bindJobId(request, reply, result.job.id);
        return reply
          .code(result.isNew ? 202 : 200)
          .header('location', jobPath(result.job.id))
          .send({ job: toJobView(result.job), crawl: result.crawl });
      },
    );

    app.get(
      '/v1/crawls/:id',
      {
        schema: {
          summary: 'A crawl: its job and its settings',
          tags: ['crawls'],
          params: jobIdParamsSchema,
          response: { 200: crawlResponseSchema, ...problemResponses },
        },
      },
      (request: FastifyRequest<{ Params: { id: string } }>) => {
        const job = ownedJobOf(request);
        if (!job.options.crawl)
          throw new ApiError('crawl_not_found', `No crawl with id ${JSON.stringify(request.params.id)}`);
        return { job: toJobView(job), crawl: job.options.crawl };
      },
    );
    done();
  };
}
