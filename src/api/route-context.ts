import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JobOptionsInput as WireJobOptions } from '../client/types.js';
import type { JobOptionsInput } from '../jobs/index.js';
import type { ApiDependencies, ResolvedApiOptions } from './dependencies.js';

/** What every route plugin receives from `buildApi`. */
export interface RouteContext {
  deps: ApiDependencies;
  options: ResolvedApiOptions;
}

/** Wire job options (`maxAge`) → the domain's (`maxAgeSeconds`); unset ones stay unset. */
export function toDomainOptions(input: WireJobOptions | undefined): JobOptionsInput {
  const options: JobOptionsInput = {};
  if (input?.maxAge !== undefined) options.maxAgeSeconds = input.maxAge;
  if (input?.formats !== undefined) options.formats = input.formats;
  if (input?.timeoutMs !== undefined) options.timeoutMs = input.timeoutMs;
  if (input?.maxAttempts !== undefined) options.maxAttempts = input.maxAttempts;
  if (input?.render !== undefined) options.render = input.render;
  if (input?.screenshot !== undefined) options.screenshot = input.screenshot;
  return options;
}

/**
 * An AbortSignal that fires when the response closes: the client went away, or the response is
 * done. Long waits (SSE, synchronous extraction) pass it to every sleep, so no timer outlives them.
 */
export function signalOfResponse(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  const onClose = (): void => controller.abort(new Error(`The response to request ${request.id} closed`));
  if (reply.raw.destroyed || reply.raw.writableEnded) onClose();
  else reply.raw.once('close', onClose);
  return controller.signal;
}
