import type { ApiDependencies, ReadinessCheck } from './dependencies.js';

/** Options of `createReadiness`. */
export interface ReadinessOptions {
  /** Longest a single check may take before it counts as failed, in milliseconds. @default 2000 */
  timeoutMs?: number;
  /** Told about every failed check (to log it: the HTTP answer never carries the cause). */
  onError?: (name: string, error: unknown) => void;
}

/**
 * Builds `ApiDependencies.readiness` from named probes, e.g.
 * `{ database: () => repository.countItemsByState(), queue: () => queue.depth() }`: each runs at
 * once with a time limit, and the service is ready when all resolve.
 */
export function createReadiness(
  probes: Record<string, () => Promise<unknown>>,
  options: ReadinessOptions = {},
): ApiDependencies['readiness'] {
  const timeoutMs = options.timeoutMs ?? 2000;
  return async () => {
    const entries = await Promise.all(
      Object.entries(probes).map(async ([name, probe]): Promise<[string, ReadinessCheck]> => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([
            probe(),
            new Promise((_resolve, reject) => {
              timer = setTimeout(() => reject(new Error(`${name} did not answer within ${timeoutMs} ms`)), timeoutMs);
            }),
          ]);
          return [name, { ok: true }];
        } catch (error) {
          options.onError?.(name, error);
          return [name, { ok: false, message: `${name} is not reachable` }];
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { isReady: entries.every(([, check]) => check.ok), checks };
  };
}
