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

/** How log lines are written: `json` lines, `pretty` (human-readable), or `auto`. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/**
 * The format a process writes: `auto` is pretty when stderr is a terminal (a person reads it) and
 * JSON lines otherwise (a collector parses them); `json` and `pretty` are taken as asked.
 */
export function chooseLogFormat(format: LogFormat, isTty: boolean): 'json' | 'pretty' {
  if (format === 'auto') return isTty ? 'pretty' : 'json';
  return format;
}

/** Request headers that carry credentials. */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'x-api-key',
  'cookie',
  'set-cookie',
  'webhook-secret',
];

/** What a redacted value is replaced with. */
export const REDACTED = '[redacted]';

/**
 * Paths pino replaces with `[redacted]` wherever a log call puts them: credentials in headers
 * (API keys, cookies, a submission's webhook secret) and any `secret`, `apiKey` or `password`
 * field up to two levels deep (a job's `webhook.secret`, a delivery's `secret`).
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  ...['req.headers', 'headers'].flatMap((base) => SECRET_HEADERS.map((name) => `${base}["${name}"]`)),
  ...['secret', 'apiKey', 'password'].flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
];

/**
 * Query parameters whose values are credentials in the URLs people use: API keys, tokens, signed
 * URLs (`X-Amz-Signature`, `X-Amz-Credential`, `sig`).
 */
const SECRET_QUERY_PARAMETER =
  /([?&](?:[\w.-]*(?:api[_-]?key|token|secret|password|signature|credential)|key|sig|auth)=)[^&#]*/gi;
/** The user and password of an absolute URL (`scheme://user:password@`). */
const URL_USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i;

/**
 * `url` with its user information and credential-like query values replaced by `[redacted]`, for
 * logs. Text, not a parsed URL: it works on paths (`/v1/jobs?token=…`) and never throws.
 */
export function redactUrl(url: string): string {
  return url.replace(URL_USER_INFO, `$1${REDACTED}@`).replace(SECRET_QUERY_PARAMETER, `$1${REDACTED}`);
}

/** The parts of a Fastify request its log lines show (Fastify's own choice, with the URL redacted). */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, unknown>;
  socket?: { remotePort?: number } | null;
}

/**
 * Serializers of the process logger: `url` fields and the request's URL lose their credentials
 * (`redactUrl`); `req` is otherwise what Fastify logs (method, URL, host, address), never headers.
 */
export const LOG_SERIALIZERS = {
  url: (value: unknown): unknown => (typeof value === 'string' ? redactUrl(value) : value),
  req: (request: LoggedRequest): Record<string, unknown> => ({
    method: request.method,
    url: typeof request.url === 'string' ? redactUrl(request.url) : request.url,
    version: request.headers?.['accept-version'],
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  }),
};
