import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { JobOptionsInput as WireJobOptions, WebhookInput } from '../../client/types.js';
import {
  normalizeUrl,
  NoValidUrlsError,
  type JobOptionsInput,
  type Schedule,
  type ScheduleTemplate,
} from '../../jobs/index.js';
import { ApiValidationError } from '../api-error.js';
import { toDomainOptions, type RouteContext } from '../route-context.js';
import { pageSchema, paginationQuerySchema, problemResponses } from '../schemas.js';
import { scheduleBodySchema, scheduleSchema } from '../schemas-crawls.js';
import { iso, jobPath } from '../views.js';
import type { CrawlInputView } from '../services.js';
import { checkWebhook, toCrawlProblem } from './crawls.js';

interface TemplateBody {
  urls: string[];
  options?: WireJobOptions;
  webhook?: WebhookInput;
}

interface ScheduleBody {
  name?: string;
  urls?: string[];
  jobTemplate?: TemplateBody;
  crawl?: CrawlInputView;
  options?: WireJobOptions;
  webhook?: WebhookInput;
  cron?: string;
  intervalSeconds?: number;
  timezone?: string;
}

const scheduleParamsSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/** Domain job options → the wire's (`maxAgeSeconds` → `maxAge`); crawl settings are shown apart. */
function toWireOptions(options: JobOptionsInput): WireJobOptions {
  const { maxAgeSeconds, crawl: _crawl, ...rest } = options;
  return { ...(maxAgeSeconds !== undefined ? { maxAge: maxAgeSeconds } : {}), ...rest };
}

/** A schedule as the API shows it; the webhook's secret is never shown. */
export function toScheduleView(schedule: Schedule) {
  const self = `/v1/schedules/${encodeURIComponent(schedule.id)}`;
  const { template } = schedule;
  return {
    id: schedule.id,
    name: schedule.name,
    status: schedule.status,
    cron: schedule.cron,
    intervalSeconds: schedule.intervalSeconds,
    timezone: schedule.timezone,
    template: {
      kind: template.kind,
      ...(template.kind === 'urls' ? { urls: template.urls } : { crawl: template.crawl }),
      options: toWireOptions(template.options),
      webhook: template.webhook ? { url: template.webhook.url } : null,
    },
    nextRunAt: schedule.status === 'active' ? iso(schedule.nextRunAt) : null,
    lastRunAt: schedule.lastRunAt === null ? null : iso(schedule.lastRunAt),
    lastJobId: schedule.lastJobId,
    lastError: schedule.lastError,
    runs: schedule.runs,
    createdAt: iso(schedule.createdAt),
    updatedAt: iso(schedule.updatedAt),
    links: {
      self,
      pause: `${self}/pause`,
      resume: `${self}/resume`,
      lastJob: schedule.lastJobId === null ? null : jobPath(schedule.lastJobId),
    },
  };
}

/** Registers `/v1/schedules`: create, list, read, pause, resume, delete. */
export function scheduleRoutes(context: RouteContext<'schedules'>) {
  const { schedules, crawls } = context.services;
  /** The template of a new schedule from its body; throws `validation_failed` / `no_valid_urls`. */
  async function templateOf(body: ScheduleBody): Promise<ScheduleTemplate> {
    const forms = [body.urls, body.jobTemplate, body.crawl].filter((f) => f !== undefined).length;
    if (forms !== 1)
      throw new ApiValidationError('/', 'needs exactly one of `urls`, `jobTemplate` and `crawl`');
    if (body.jobTemplate && (body.options || body.webhook)) {
      throw new ApiValidationError(
        '/jobTemplate',
        'carries its own `options` and `webhook`; give none beside it',
      );
    }
    const options = body.jobTemplate?.options ?? body.options;
    const webhookInput = body.jobTemplate?.webhook ?? body.webhook;
    await checkWebhook(crawls?.checkWebhookUrl?.bind(crawls), webhookInput);
    const webhook = webhookInput
      ? {
          url: webhookInput.url,
          ...(webhookInput.secret !== undefined ? { secret: webhookInput.secret } : {}),
        }
      : null;
    if (body.crawl) {
      if (!crawls) throw new ApiValidationError('/crawl', 'crawls are not available on this server');
      let crawl;
      try {
        crawl = crawls.settings(body.crawl);
      } catch (error) {
        throw toCrawlProblem(error, '/crawl');
      }
      return { kind: 'crawl', crawl, options: toDomainOptions(options), webhook };
    }
    const urls = new Set<string>();
    const invalid = [];
    const given = body.urls ?? body.jobTemplate?.urls ?? [];
    for (const [index, entry] of given.entries()) {
      const normalized = normalizeUrl(entry);
      if (normalized.ok) urls.add(normalized.url);
      else if (invalid.length < 1000)
        invalid.push({
          index,
          input: entry.slice(0, 200),
          reason: normalized.reason,
          message: normalized.message,
        });
    }
    if (urls.size === 0) throw new NoValidUrlsError(invalid, given.length);
    return { kind: 'urls', urls: [...urls], options: toDomainOptions(options), webhook };
  }

  return function register(app: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
    app.post(
      '/v1/schedules',
      {
        schema: {
          summary: 'Create a recurring job',
          description:
            'Each run submits a job of `urls` (or `jobTemplate`: urls, options, webhook) or starts a `crawl`, on a `cron` ' +
            'expression in `timezone` or every `intervalSeconds`. One process fires schedules even in distributed mode; after ' +
            'downtime a schedule fires once, not once per missed run. Invalid URLs are dropped; none valid is no_valid_urls.',
          tags: ['schedules'],
          body: scheduleBodySchema,
          response: { 201: scheduleSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Body: ScheduleBody }>, reply) => {
        const body = request.body;
        const template = await templateOf(body);
        let schedule;
        try {
          schedule = await schedules.create({
            name: body.name,
            template,
            cron: body.cron,
            intervalSeconds: body.intervalSeconds,
            timezone: body.timezone,
            tenant: request.tenant,
          });
        } catch (error) {
          const field = (error as { field?: unknown }).field;
          if (error instanceof TypeError && typeof field === 'string')
            throw new ApiValidationError(`/${field}`, error.message);
          throw error;
        }
        const view = toScheduleView(schedule);
        return reply.code(201).header('location', view.links.self).send(view);
      },
    );

    app.get(
      '/v1/schedules',
      {
        schema: {
          summary: 'List schedules, newest first',
          tags: ['schedules'],
          querystring: paginationQuerySchema(20, 100),
          response: { 200: pageSchema(scheduleSchema), ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Querystring: { cursor?: string; limit: number } }>) => {
        const page = await schedules.list({
          limit: request.query.limit,
          cursor: request.query.cursor,
          tenant: request.tenant,
        });
        return { items: page.items.map(toScheduleView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/schedules/:id',
      {
        schema: {
          summary: 'A schedule',
          tags: ['schedules'],
          params: scheduleParamsSchema,
          response: { 200: scheduleSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) =>
        toScheduleView(await schedules.get(request.params.id, { tenant: request.tenant })),
    );

    app.post(
      '/v1/schedules/:id/pause',
      {
        schema: {
          summary: 'Pause a schedule (idempotent)',
          tags: ['schedules'],
          params: scheduleParamsSchema,
          response: { 200: scheduleSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) =>
        toScheduleView(await schedules.pause(request.params.id, { tenant: request.tenant })),
    );

    app.post(
      '/v1/schedules/:id/resume',
      {
        schema: {
          summary: 'Resume a schedule (idempotent)',
          description: 'It fires next at its first time after now: runs missed while paused are not made up.',
          tags: ['schedules'],
          params: scheduleParamsSchema,
          response: { 200: scheduleSchema, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>) =>
        toScheduleView(await schedules.resume(request.params.id, { tenant: request.tenant })),
    );

    app.delete(
      '/v1/schedules/:id',
      {
        schema: {
          summary: 'Delete a schedule (the jobs it created stay)',
          tags: ['schedules'],
          params: scheduleParamsSchema,
          response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses },
        },
      },
      async (request: FastifyRequest<{ Params: { id: string } }>, reply) => {
        await schedules.delete(request.params.id, { tenant: request.tenant });
        return reply.code(204).send();
      },
    );
    done();
  };
}
