import { OPTIONS, type Config, type OptionSpec } from './options.js';

/** The flag of an option: `DISTILL_DATABASE_URL` → `--database-url`, `PORT` → `--port`. */
export function flagOf(spec: Pick<OptionSpec, 'env' | 'flag'>): string {
  return (
    spec.flag ??
    `--${spec.env
      .replace(/^DISTILL_/, '')
      .toLowerCase()
      .replace(/_/g, '-')}`
  );
}

/** The flags that take no value: `--respect-robots` alone means true, `--no-respect-robots` false. */
export const BOOLEAN_OPTION_FLAGS: readonly string[] = OPTIONS.filter((o) => o.kind === 'boolean').map(
  flagOf,
);

/** All the problems of a configuration, reported together at start-up. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** An option's text as its kind reads it: the value, or what is wrong with it. */
export function parseValue(spec: OptionSpec, raw: string): { value?: unknown; problem?: string } {
  const text = raw.trim();
  switch (spec.kind) {
    case 'integer':
    case 'number': {
      if (spec.isAutoAllowed && text === 'auto') return { value: 'auto' };
      const value = Number(text);
      if (
        text === '' ||
        !Number.isFinite(value) ||
        (spec.kind === 'integer' && !Number.isSafeInteger(value))
      ) {
        return {
          problem: `expected ${spec.kind === 'integer' ? 'an integer' : 'a number'}${spec.isAutoAllowed ? ' or auto' : ''}`,
        };
      }
      if (spec.min !== undefined && value < spec.min) return { problem: `expected at least ${spec.min}` };
      if (spec.max !== undefined && value > spec.max) return { problem: `expected at most ${spec.max}` };
      return { value };
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(text)) return { value: true };
      if (/^(0|false|no|off)$/i.test(text)) return { value: false };
      return { problem: 'expected true or false' };
    case 'enum':
      return spec.values?.includes(text)
        ? { value: text }
        : { problem: `expected one of ${spec.values?.join(', ')}` };
    case 'string':
      return { value: text };
  }
}

/**
 * Builds the configuration: defaults, then `env`, then `flags`. Throws `ConfigError` naming every
 * bad variable or flag and what it allows. Flags it does not know are left for the caller.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  flags: ReadonlyMap<string, string> = new Map(),
): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  const specs: readonly OptionSpec[] = OPTIONS;
  for (const spec of specs) {
    values[spec.key] = spec.default;
    const flag = flagOf(spec);
    const sources: Array<[string, string | undefined]> = [
      [spec.env, env[spec.env]],
      [flag, flags.get(flag)],
    ];
    for (const [name, raw] of sources) {
      if (raw === undefined || (raw === '' && name === spec.env)) continue;
      const { value, problem } = parseValue(spec, raw);
      const check = problem === undefined ? spec.check?.(value) : undefined;
      if (problem !== undefined || check !== undefined) {
        // A secret's value is never echoed, even a wrong one (it may be a real key given to the wrong variable).
        const shown = spec.isSecret === true ? '(hidden)' : JSON.stringify(raw);
        problems.push(`${name}=${shown}: ${problem ?? check} (${spec.description})`);
      } else {
        values[spec.key] = value;
      }
    }
  }
  if (Number(values.concurrencyMin) > Number(values.concurrencyMax)) {
    problems.push(
      `DISTILL_CONCURRENCY_MIN (${String(values.concurrencyMin)}) is above DISTILL_CONCURRENCY_MAX (${String(values.concurrencyMax)})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Every key of Config is set above, each to a value its kind parsed and checked.
  return Object.freeze(values as Config);
}

/** `loadConfig` over this process's environment: the one place distill reads `process.env`. */
export function loadProcessConfig(flags: ReadonlyMap<string, string> = new Map()): Config {
  return loadConfig(process.env, flags);
}
