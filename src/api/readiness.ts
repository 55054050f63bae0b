import type { ApiServices, ReadinessCheck } from './services.js';

/** Options of `createReadiness`. */
export interface ReadinessOptions {
  /** Longest a single check may take before it counts as failed, in milliseconds. @default 2000 */
  timeoutMs?: number;
  /** Told about every failed check (to log it: the HTTP answer never carries the cause). */
  onError?: (name: string, error: unknown) => void;
}

/** A readiness probe: resolves when its dependency is usable; rejects (or runs out of time) when not. */
export type ReadinessProbe = () => Promise<unknown>;

/** A probe with how its result counts. */
export interface ReadinessProbeSpec {
  probe: ReadinessProbe;
  /**
   * Whether a failure makes the process unready (`/readyz` 503). `false` for a dependency whose
   * outage loses no work and blocks nothing the process is asked to do (RabbitMQ: events wait in
   * the outbox until it is back; webhook receivers: deliveries are kept and retried): it is reported
   * in `checks` with `ok: false`, but the process stays ready, so that a load balancer or an
   * orchestrator does not take away (or restart) a process that is doing its work. @default true
   */
  isRequired?: boolean;
  /** The check's message for a failure. @default the message of a `ReadinessError`, else "<name> is not reachable" */
  describe?: (error: unknown) => string;
}

/**
 * A probe failure whose message is meant for `/readyz` (what is wrong, never a driver's text); any
 * other error is reported as "<name> is not reachable" and its cause goes only to the log.
 */
export class ReadinessError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReadinessError';
  }
}

/** Suffix of the message of a failed check that does not count (see `isRequired`). */
const NOT_REQUIRED_NOTE = ' (reported only: work is kept meanwhile, so the process stays ready)';

/**
 * Builds `ApiServices.readiness` from named probes, e.g.
 * `{ database: () => repository.checkWritable(holder), rabbitmq: { probe, isRequired: false } }`:
 * each runs at once with a time limit, and the service is ready when every required one resolves.
 * Every check is reported, required or not.
 */
export function createReadiness(
  probes: Record<string, ReadinessProbe | ReadinessProbeSpec>,
  options: ReadinessOptions = {},
): ApiServices['readiness'] {
  const timeoutMs = options.timeoutMs ?? 2000;
  let running: ReturnType<ApiServices['readiness']> | undefined;
  const specs = Object.entries(probes).map(
    ([name, probe]): [string, Required<Omit<ReadinessProbeSpec, 'describe'>> & ReadinessProbeSpec] => [
      name,
      typeof probe === 'function'
        ? { probe, isRequired: true }
        : { ...probe, isRequired: probe.isRequired ?? true },
    ],
  );
  const probeAll: ApiServices['readiness'] = async () => {
    const entries = await Promise.all(
      specs.map(async ([name, spec]): Promise<[string, ReadinessCheck, boolean]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            spec.probe(),
            new Promise((_resolve, reject) => {
              timer = setTimeout(
                () => reject(new ReadinessError(`${name} did not answer within ${timeoutMs} ms`)),
                timeoutMs,
              );
            }),
          ]);
          return [name, { ok: true }, spec.isRequired];
        } catch (error) {
          options.onError?.(name, error);
          const message =
            spec.describe?.(error) ??
            (error instanceof ReadinessError ? error.message : `${name} is not reachable`);
          return [
            name,
            { ok: false, message: spec.isRequired ? message : `${message}${NOT_REQUIRED_NOTE}` },
            spec.isRequired,
          ];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries.map(([name, check]) => [name, check]));
    return { isReady: entries.every(([, check, isRequired]) => check.ok || !isRequired), checks };
  };
  // `/readyz` is open to anyone and its database probe writes a row: calls that arrive while a run
  // is under way share its report, so a flood of probes is at most one probe in flight.
  return () => {
    running ??= probeAll().finally(() => {
      running = undefined;
    });
    return running;
  };
}
