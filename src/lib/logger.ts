/** The logging calls distill makes; pino's logger satisfies it (and so does Fastify's check). */
export interface Logger {
  level: string;
  fatal(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  trace(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const drop = (): void => undefined;

/** A logger that drops everything. */
export const silentLogger: Logger = {
  level: 'silent',
  fatal: drop,
  error: drop,
  warn: drop,
  info: drop,
  debug: drop,
  trace: drop,
  child: () => silentLogger,
};
