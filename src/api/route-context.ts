import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JobOptionsInput as WireJobOptions } from '../client/types.js';
import type { JobOptionsInput } from '../jobs/index.js';
import type { ResolvedApiOptions } from './options.js';
import type { ApiServices } from './services.js';

/**
 * What every route plugin receives from `buildApi`: the services and the resolved options.
 * `RouteContext<'events'>` is the context of a route group that needs `events`: there it is set.
 */
export interface RouteContext<K extends keyof ApiServices = never> {
  services: ApiServices & { [P in K]-?: NonNullable<ApiServices[P]> };
  options: ResolvedApiOptions;
}

/** Does `context` carry every one of the optional services `keys`? (Route groups register only then.) */
export function hasServices<K extends keyof ApiServices>(
  context: RouteContext,
  ...keys: K[]
): context is RouteContext<K> {
  return keys.every((key) => context.services[key] !== undefined);
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
