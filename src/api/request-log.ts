import type { FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';

/** Fastify's type of a `childLoggerFactory` (not exported under its own name). */
type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

/** `/v1/jobs/<id>…` and `/v1/crawls/<id>…`: requests about one job (a crawl is a job). */
const JOB_PATH = /^\/v1\/(?:jobs|crawls)\/([A-Za-z0-9_-]{1,64})(?:[/?]|$)/;

/** The job a request path is about, if any: `/v1/jobs/<id>/items` → `<id>`. */
export function jobIdOfPath(path: string | undefined): string | undefined {
  return path === undefined ? undefined : JOB_PATH.exec(path)?.[1];
}

/**
 * Fastify's `childLoggerFactory`: the logger of a request about a job (`/v1/jobs/:id…`,
 * `/v1/crawls/:id`) carries `jobId` beside `reqId`, from its first line (`incoming request`) to its
 * last (`request completed`). Read from the raw URL because the factory runs before routing.
 */
export const requestChildLogger: ChildLoggerFactory = function (logger, bindings, options, rawRequest) {
  const jobId = jobIdOfPath(rawRequest.url);
  return logger.child(jobId === undefined ? bindings : { ...bindings, jobId }, options);
};

/**
 * Binds `jobId` to the rest of a request's lines once the route knows it (a submission creates the
 * job): the request's logger and the reply's, which writes `request completed`.
 */
export function bindJobId(request: FastifyRequest, reply: FastifyReply, jobId: string): void {
  const log = request.log.child({ jobId });
  request.log = log;
  reply.log = log;
}
