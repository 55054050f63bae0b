import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { JobOptionsInput as WireJobOptions } from '../../client/types.js';
import type { Job } from '../../jobs/index.js';
import { isAbortError, sleep } from '../../lib/index.js';
import { ApiError, ItemFailedError } from '../api-error.js';
import { bindJobId } from '../request-log.js';
import { signalOfResponse, toDomainOptions, type RouteContext } from '../route-context.js';
import { documentSchema, extractBodySchema, problemResponses } from '../schemas.js';
import { isJobFinal, toDocumentView, toJobView } from '../views.js';

/**
 * `POST /v1/extract`: one URL, answered synchronously. It goes through the same path as any job
 * (a one-URL job, the same fetcher, limits, store and reuse of fresh documents), and the request
 * waits for that job up to `extractTimeoutMs`. On time-out the job keeps running: 504 names it.
 */
export function extractRoutes(context: RouteContext) {
  const { services, options } = context;

  /** Polls the job until it is final; null when `signal` aborts first. */
  async function pollUntilFinal(jobId: string, signal: AbortSignal): Promise<Job | null> {
    for (;;) {
      const job = await services.repository.getJob(jobId);
      if (job === null || isJobFinal(job)) return job;
      await sleep(options.extractPollMs, { signal });
    }
  }

  async function waitFinal(jobId: string, responseSignal: AbortSignal): Promise<Job | null | 'timeout'> {
    const signal = AbortSignal.any([responseSignal, AbortSignal.timeout(options.extractTimeoutMs)]);
    try {
      const job = services.waitForJob
        ? await services.waitForJob(jobId, { signal })
        : await pollUntilFinal(jobId, signal);
      return job !== null && isJobFinal(job) ? job : signal.aborted ? 'timeout' : job;
    } catch (error) {
      if (isAbortError(error) || signal.aborted) return 'timeout';
      throw error;
    }
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.post(
      '/v1/extract',
      {
        schema: {
          summary: 'Extract one URL and wait for its document',
          description:
            "Submits a one-URL job and waits for it (bounded). 200 with the document; 422 with the item's error code " +
            '(e.g. blocked_address, http_error, timeout) when it failed; 504 extract_timeout when it took too long (the job ' +
            'keeps running; the problem names it).',
          tags: ['documents'],
          body: extractBodySchema,
          response: { 200: documentSchema, ...problemResponses },
        },
      },
      async (
        request: FastifyRequest<{ Body: { url: string; options?: WireJobOptions } }>,
        reply: FastifyReply,
      ) => {
        const submitted = await services.jobs.submit({
          urls: [request.body.url],
          options: toDomainOptions(
            request.body.options,
            { box: context.services.secretBox },
            { isLlmConfigured: context.services.isLlmConfigured === true },
          ),
          tenant: request.tenant,
        });
        const jobId = submitted.job.id;
        bindJobId(request, reply, jobId);
        const job = await waitFinal(jobId, signalOfResponse(request, reply));
        if (job === 'timeout' || job === null) {
          const view = toJobView(submitted.job);
          throw new ApiError(
            'extract_timeout',
            `The URL was not extracted within ${options.extractTimeoutMs} ms; job ${jobId} keeps running`,
            {
              extensions: { jobId, links: view.links },
            },
          );
        }
        const [item] = (await services.repository.listItems(jobId, { limit: 1 })).items;
        if (item?.state === 'succeeded' && item.documentId !== null) {
          const document = await services.repository.getDocument(item.documentId);
          if (document) return reply.header('x-distill-job-id', jobId).send(toDocumentView(document));
        }
        if (item?.state === 'failed') {
          throw new ItemFailedError({
            code: item.error?.code ?? 'extraction_failed',
            message: item.error?.message ?? `Extracting ${item.url} failed`,
            jobId,
            url: item.url,
            httpStatus: item.error?.httpStatus,
          });
        }
        if (item?.state === 'cancelled' || job.status === 'cancelled') {
          throw new ApiError('job_cancelled', `Job ${jobId} was cancelled before the URL was extracted`, {
            extensions: { jobId },
          });
        }
        throw new Error(`Job ${jobId} is final but its item is ${item?.state ?? 'missing'}`);
      },
    );
    done();
  };
}
