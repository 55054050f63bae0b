import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../cli/args.js';
import {
  ConfigError,
  describeOptions,
  flagOf,
  loadConfig,
  OPTIONS,
  parseValue,
  type OptionSpec,
} from './index.js';

describe('loadConfig', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBe('sqlite:./data/distill.db');
    expect(config.port).toBe(3000);
    expect(config.respectRobots).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('takes environment variables, and flags of the same meaning over them', () => {
    const { flags } = parseCommandLine(['serve', '--port', '8080', '--no-respect-robots', '--host-rate=0.5']);
    const config = loadConfig(
      { PORT: '9000', DISTILL_CONCURRENCY: '8', DISTILL_DATABASE_URL: 'sqlite:/tmp/x.db' },
      flags,
    );
    expect(config).toMatchObject({
      port: 8080,
      concurrency: 8,
      databaseUrl: 'sqlite:/tmp/x.db',
      respectRobots: false,
      hostRatePerSecond: 0.5,
    });
  });

  it('reports every bad value at once, naming the variable and what it allows', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        DISTILL_CONCURRENCY: '0',
        DISTILL_LOG_LEVEL: 'loud',
        DISTILL_DATABASE_URL: 'oracle://x',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems[0]).toMatch(/^PORT="eighty": expected an integer/);
    expect(problems.join('\n')).toMatch(/DISTILL_CONCURRENCY="0": expected at least 1/);
    expect(problems.join('\n')).toMatch(/DISTILL_DATABASE_URL="oracle:\/\/x": expected sqlite/);
    expect(problems.join('\n')).toMatch(/DISTILL_LOG_LEVEL="loud": expected one of fatal, error/);
  });

  it('lists every option with its flag, variable and default in --help', () => {
    const help = describeOptions();
    for (const option of OPTIONS) {
      expect(help).toContain(flagOf(option));
      expect(help).toContain(option.env);
    }
    expect(help).toContain('[default: sqlite:./data/distill.db]');
  });

  it('has one entry per key and variable, each default of its kind and allowed by its own checks', () => {
    const specs: readonly OptionSpec[] = OPTIONS;
    expect(new Set(specs.map((o) => o.key)).size).toBe(specs.length);
    expect(new Set(specs.map((o) => o.env)).size).toBe(specs.length);
    expect(new Set(specs.map(flagOf)).size).toBe(specs.length);
    for (const spec of specs) {
      if (spec.default === '' && spec.kind === 'string') continue;
      const parsed = parseValue(spec, String(spec.default));
      expect(parsed, spec.env).toEqual({ value: spec.default });
      expect(spec.check?.(spec.default), spec.env).toBeUndefined();
    }
  });
});
