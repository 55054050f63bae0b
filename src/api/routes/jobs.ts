import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentField, ItemStateName } from '../../client/types.js';
import { wantsLlm, type JobOptions } from '../../jobs/index.js';
import { ApiValidationError } from '../api-error.js';
import { ownedJobOf } from '../auth.js';
import {
  readSubmission,
  runSubmission,
  StreamedBody,
  type SubmitHeaders,
  type SubmitQuery,
} from '../job-submission.js';
import { bindJobId } from '../request-log.js';
import { resultsZip } from '../results-zip.js';
import { toDomainOptions, type RouteContext } from '../route-context.js';
import {
  appendBodySchema,
  idempotencyHeadersSchema,
  itemSchema,
  itemStateQuery,
  jobIdParamsSchema,
  jobSchema,
  pageSchema,
  paginationQuerySchema,
  problemResponses,
  resultSchema,
  submitBodySchema,
  submitQuerySchema,
  submitResponseSchema,
} from '../schemas.js';
import {
  DOCUMENT_FIELDS,
  politenessOf,
  toItemView,
  toJobView,
  toResultView,
  toSubmissionSummary,
} from '../views.js';

export { StreamedBody } from '../job-submission.js';

/** Results per page of the NDJSON stream: documents can be large, so pages stay small. */
const STREAM_PAGE_SIZE = 100;

function parseFields(fields: string | undefined): DocumentField[] | null {
  if (fields === undefined || fields === '') return null;
  const names = [
    ...new Set(
      fields
        .split(',')
        .map((f) => f.trim())
        .filter((f) => f !== ''),
    ),
  ];
  const unknown = names.filter((name) => !(DOCUMENT_FIELDS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ApiValidationError(
      '/fields',
      `names unknown fields ${unknown.map((u) => `\`${u}\``).join(', ')}; known: ${DOCUMENT_FIELDS.join(', ')}`,
    );
  }
  return names as DocumentField[];
}

function prefersZip(request: FastifyRequest): boolean {
  return /application\/zip/i.test(request.headers.accept ?? '');
}

function prefersNdjson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /application\/x-ndjson/i.test(accept);
}

/** Registers `/v1/jobs` and its sub-resources. */
export function jobRoutes(context: RouteContext) {
  const { services, options } = context;
  const { repository, jobs } = services;

  return async function register(app: FastifyInstance): Promise<void> {
    // Submission and append take streamed bodies. The parsers are registered in this encapsulated
    // scope only, so every other route answers 415 to text/plain.
    await app.register((scope, _options, done) => {
      scope.addContentTypeParser('text/plain', (_request, payload, done) =>
        done(null, new StreamedBody(payload, 'text')),
      );
      scope.addContentTypeParser('application/x-ndjson', (_request, payload, done) =>
        done(null, new StreamedBody(payload, 'ndjson')),
      );

      scope.post(
        '/v1/jobs',
        {
          schema: {
            summary: 'Submit a batch of URLs',
            description:
              'Creates a job from 1 to maxUrlsPerRequest URLs (JSON), or from any number streamed one per line as text/plain or ' +
              'application/x-ndjson (options then go in the query string). Invalid entries are reported, not fatal, unless ' +
              'none is valid (400 no_valid_urls). 202 for a new job; 200 with the same job when the Idempotency-Key was ' +
              'seen before (`submission.replayed` is true and nothing is added).',
            tags: ['jobs'],
            body: submitBodySchema(options.maxUrlsPerRequest),
            querystring: submitQuerySchema,
            headers: idempotencyHeadersSchema,
            response: { 200: submitResponseSchema, 202: submitResponseSchema, ...problemResponses },
          },
        },
        async (request: FastifyRequest<{ Querystring: SubmitQuery; Headers: SubmitHeaders }>, reply) => {
          const {
            urls,
            options: wireOptions,
            webhook,
            streamed,
            name,
          } = readSubmission(request.body, request.query, context);
          const webhookInput =
            webhook ??
            (request.query.webhookUrl !== undefined
              ? {
                  url: request.query.webhookUrl,
                  ...(request.headers['webhook-secret'] ? { secret: request.headers['webhook-secret'] } : {}),
                }
              : undefined);
          const result = await runSubmission(streamed, () =>
            jobs.submit({
              urls,
              options: toDomainOptions(
                wireOptions,
                { box: services.secretBox },
                { isLlmConfigured: services.isLlmConfigured === true },
              ),
              webhook: webhookInput ?? null,
              idempotencyKey: request.headers['idempotency-key'],
              tenant: request.tenant,
              name,
            }),
          );
          bindJobId(request, reply, result.job.id);
          const view = toJobView(result.job);
          return reply
            .code(result.isNew ? 202 : 200)
            .header('location', view.links.self)
            .send({
              job: view,
              submission: toSubmissionSummary(result, {
                ...(streamed
                  ? { invalid: streamed.mergeInvalid(result.invalid), truncated: streamed.truncated }
                  : {}),
              }),
            });
        },
      );

      scope.post(
        '/v1/jobs/:id/urls',
        {
          schema: {
            summary: 'Append URLs to a job',
            description: 'Same rules and body forms as submission; 409 job_cancelled for a cancelled job.',
            tags: ['jobs'],
            params: jobIdParamsSchema,
            body: appendBodySchema(options.maxUrlsPerRequest),
            response: { 202: submitResponseSchema, ...problemResponses },
          },
        },
        async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
          const { urls, streamed } = readSubmission(request.body, {}, context);
          const result = await runSubmission(streamed, () =>
            jobs.append(request.params.id, urls, { tenant: request.tenant }),
          );
          const view = toJobView(result.job);
          return reply
            .code(202)
            .header('location', view.links.self)
            .send({
              job: view,
              submission: toSubmissionSummary(result, {
                isAppend: true,
                ...(streamed
                  ? { invalid: streamed.mergeInvalid(result.invalid), truncated: streamed.truncated }
                  : {}),
              }),
            });
        },
      );
      done();
    });

    app.get(
      '/v1/jobs',
      {
        schema: {
          summary: 'List recent jobs, newest first',
          description:
            '`status` keeps the jobs in that status now (a page boundary is the creation time, so a job that changes status between pages may be missed or shown twice). ' +
            '`q` keeps the jobs whose name or first URL holds it (case-insensitively), or that hold it as one of their URLs (a whole URL, matched once normalised).',
          tags: ['jobs'],
          querystring: paginationQuerySchema(20, 100, {
            status: { type: 'string', enum: ['queued', 'running', 'completed', 'cancelled'] },
            q: {
              type: 'string',
              maxLength: 200,
              description: 'Part of a job name or first URL, or a whole URL of the job',
              examples: ['example.com'],
            },
          }),
          response: { 200: pageSchema(jobSchema), ...problemResponses },
        },
      },
      async (
        request: FastifyRequest<{
          Querystring: {
            cursor?: string;
            limit: number;
            status?: 'queued' | 'running' | 'completed' | 'cancelled';
            q?: string;
          };
        }>,
      ) => {
        const { limit, cursor, status, q } = request.query;
        const page = await repository.listJobs({ limit, cursor, tenant: request.tenant, status, query: q });
        return { items: page.items.map((job) => toJobView(job)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/jobs/:id',
      {
        schema: {
          summary: 'A job: status, counts per item state, progress, timestamps',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          response: { 200: jobSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const job = ownedJobOf(request);
        const view = toJobView(job, politenessOf(services.hostWaits, job));
        // Jobs that ask a model for json or summary: the tokens used so far (issue 18).
        return wantsLlm(job.options) && repository.llmUsage
          ? { ...view, llmUsage: await repository.llmUsage(job.id) }
          : view;
      },
    );

    app.get(
      '/v1/jobs/:id/items',
      {
        schema: {
          summary: "A job's URLs with their state, attempts and error, in submission order",
          tags: ['jobs'],
          params: jobIdParamsSchema,
          querystring: paginationQuerySchema(100, 1000, itemStateQuery),
          response: { 200: pageSchema(itemSchema), ...problemResponses },
        },
      },
      async (
        request: FastifyRequest<{
          Params: { id: string };
          Querystring: { cursor?: string; limit: number; state?: ItemStateName };
        }>,
      ) => {
        const { limit, cursor, state } = request.query;
        const page = await repository.listItems(request.params.id, { limit, cursor, state });
        return { items: page.items.map(toItemView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/jobs/:id/results',
      {
        schema: {
          summary: 'Documents of the succeeded items',
          description:
            'Paginated JSON by default. With `Accept: application/x-ndjson`, ALL results are streamed, one document per ' +
            'line (cursor and limit are then ignored). `fields` (comma-separated) keeps only those document fields. With ' +
            '`Accept: application/zip`, all results as a zip of Markdown files with front matter (what `distill extract -o` writes).',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          querystring: paginationQuerySchema(20, 100, {
            fields: {
              type: 'string',
              maxLength: 1000,
              pattern: '^[A-Za-z, ]*$',
              description: `Comma-separated: ${DOCUMENT_FIELDS.join(', ')}`,
            },
          }),
          response: {
            200: {
              content: {
                'application/json': { schema: pageSchema(resultSchema) },
                'application/x-ndjson': {
                  schema: { type: 'string', description: 'One JSON document per line' },
                },
                'application/zip': {
                  schema: { type: 'string', format: 'binary', description: 'One Markdown file per document' },
                },
              },
            },
            ...problemResponses,
          },
        },
      },
      async (
        request: FastifyRequest<{
          Params: { id: string };
          Querystring: { cursor?: string; limit: number; fields?: string };
        }>,
        reply: FastifyReply,
      ) => {
        const jobId = request.params.id;
        const jobOptions = ownedJobOf(request).options;
        const fields = parseFields(request.query.fields);
        if (prefersZip(request)) {
          const closed = new AbortController();
          reply.raw.once('close', () => closed.abort());
          return reply
            .type('application/zip')
            .header('content-disposition', `attachment; filename="distill-${jobId}.zip"`)
            .send(resultsZip(repository, jobId, closed.signal));
        }
        if (prefersNdjson(request)) {
          return reply
            .type('application/x-ndjson; charset=utf-8')
            .send(Readable.from(streamResults(jobId, jobOptions, fields)));
        }
        const page = await repository.listResults(jobId, {
          limit: request.query.limit,
          cursor: request.query.cursor,
        });
        return reply.type('application/json; charset=utf-8').send({
          items: page.items.map((r) => toResultView(r, jobOptions, fields)),
          nextCursor: page.nextCursor,
        });
      },
    );

    /** Every result of a job as NDJSON lines, a page at a time: memory holds one page at most. */
    async function* streamResults(
      jobId: string,
      jobOptions: JobOptions,
      fields: DocumentField[] | null,
    ): AsyncGenerator<string> {
      let cursor: string | undefined;
      do {
        const page = await repository.listResults(jobId, { limit: STREAM_PAGE_SIZE, cursor });
        let chunk = '';
        for (const result of page.items)
          chunk += `${JSON.stringify(toResultView(result, jobOptions, fields))}\n`;
        if (chunk !== '') yield chunk;
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    }

    app.post(
      '/v1/jobs/:id/cancel',
      {
        schema: {
          summary: 'Cancel a job (idempotent)',
          description:
            'Queued items become cancelled at once; running ones are aborted promptly and end cancelled.',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          response: { 200: jobSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) =>
        toJobView(await jobs.cancel(request.params.id, { tenant: request.tenant })),
    );

    app.delete(
      '/v1/jobs/:id',
      {
        schema: {
          summary: 'Delete a finished job',
          description:
            'Deletes a completed or cancelled job with its items and answers 204; its documents stay (other jobs may use them; ' +
            'retention removes orphans). 409 job_not_finished while it runs: cancel it first.',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => {
        await jobs.delete(request.params.id, { tenant: request.tenant });
        return reply.code(204).send();
      },
    );

    app.post(
      '/v1/jobs/:id/retry',
      {
        schema: {
          summary: 'Run the failed items of a job again',
          description:
            "Every failed item is queued again with its attempts from 0 (the job's maxAttempts applies anew); a completed job runs " +
            'again until they end, and writes `job.retried`. `retried` is 0 when nothing had failed. 409 job_cancelled for a cancelled job.',
          tags: ['jobs'],
          params: jobIdParamsSchema,
          response: {
            200: {
              type: 'object',
              required: ['job', 'retried'],
              properties: { job: jobSchema, retried: { type: 'integer', minimum: 0 } },
            },
            ...problemResponses,
          },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) => {
        const { job, retried } = await jobs.retryFailed(request.params.id, { tenant: request.tenant });
        return { job: toJobView(job), retried };
      },
    );
  };
}
