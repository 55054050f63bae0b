import type { FastifyReply, FastifyRequest } from 'fastify';
import type { JobOptionsInput as WireJobOptions } from '../client/types.js';
import { InvalidRequestSecretError, sealRequestSecrets } from '../fetch/index.js';
import type { JobOptionsInput } from '../jobs/index.js';
import { SecretKeyMissingError, type SecretBox } from '../lib/index.js';
import { toAiOptions } from './ai-options.js';
import { ApiError } from './api-error.js';
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

/**
 * Wire job options (`maxAge`) → the domain's (`maxAgeSeconds`); unset ones stay unset. Headers and
 * cookies are checked and sealed with `secrets.box` (issue 20): without a box they are refused
 * (`secret_key_missing`), and on a route that passes no `secrets` (schedules) they are not taken.
 */
export function toDomainOptions(
  input: WireJobOptions | undefined,
  secrets?: { box: SecretBox | undefined },
  llm: { isLlmConfigured: boolean } = { isLlmConfigured: true },
): JobOptionsInput {
  // Chunks, json and summary (issue 18): their checks give their own 400 codes.
  const options: JobOptionsInput = toAiOptions(input, llm.isLlmConfigured);
  if (input?.headers !== undefined || input?.cookies !== undefined) {
    if (secrets === undefined)
      throw new ApiError(
        'invalid_request_secret',
        'This route does not take `options.headers` or `options.cookies`',
      );
    if (secrets.box === undefined)
      throw new ApiError(
        'secret_key_missing',
        new SecretKeyMissingError('`options.headers` and `options.cookies`').message,
      );
    try {
      options.secrets = sealRequestSecrets(secrets.box, { headers: input.headers, cookies: input.cookies });
    } catch (error) {
      if (error instanceof InvalidRequestSecretError) {
        throw new ApiError('invalid_request_secret', `\`${error.field}\` ${error.message}`, {
          extensions: { field: error.field },
          cause: error,
        });
      }
      throw error;
    }
  }
  if (input?.maxAge !== undefined) options.maxAgeSeconds = input.maxAge;
  if (input?.timeoutMs !== undefined) options.timeoutMs = input.timeoutMs;
  if (input?.maxAttempts !== undefined) options.maxAttempts = input.maxAttempts;
  if (input?.render !== undefined) options.render = input.render;
  if (input?.screenshot !== undefined) options.screenshot = input.screenshot;
  if (input?.proxyPool !== undefined) options.proxyPool = input.proxyPool;
  if (input?.proxySession !== undefined) options.proxySession = input.proxySession;
  if (input?.ocrLanguages !== undefined) options.ocrLanguages = input.ocrLanguages;
  if (input?.onBlocked?.proxyPool !== undefined) options.onBlocked = { proxyPool: input.onBlocked.proxyPool };
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
