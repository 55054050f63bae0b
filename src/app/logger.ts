import { pino, type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import type { Config } from '../config/index.js';
import { chooseLogFormat, LOG_SERIALIZERS, REDACTED, REDACTED_LOG_PATHS, type Logger } from '../lib/index.js';

/** Options of `createLogger` beyond the configuration (tests give a destination). */
export interface CreateLoggerOptions {
  /** Where lines go. @default stderr, written synchronously so that nothing is lost on exit */
  destination?: DestinationStream;
  /** Whether the destination is a terminal, for `DISTILL_LOG_FORMAT=auto`. @default process.stderr.isTTY */
  isTty?: boolean;
}

/**
 * The process logger (pino) at the configured level on stderr: JSON lines, or human-readable
 * lines (pino-pretty) when `logFormat` says so or, with `auto`, when stderr is a terminal. Both
 * redact credentials (`REDACTED_LOG_PATHS`, `LOG_SERIALIZERS`).
 */
export function createLogger(
  config: Pick<Config, 'logLevel'> & Partial<Pick<Config, 'logFormat'>>,
  options: CreateLoggerOptions = {},
): Logger {
  const isTty = options.isTty ?? process.stderr.isTTY === true;
  const destination = options.destination ?? pino.destination({ dest: 2, sync: true });
  const format = chooseLogFormat(config.logFormat ?? 'auto', isTty);
  return pino(
    {
      level: config.logLevel,
      base: { pid: process.pid },
      redact: { paths: [...REDACTED_LOG_PATHS], censor: REDACTED },
      serializers: LOG_SERIALIZERS,
    },
    format === 'pretty' ? prettyStream(destination, isTty) : destination,
  );
}

/**
 * Pretty lines through pino-pretty's formatter, called in the write itself: its stream form
 * (`pino(pretty())`) passes lines through an asynchronous transform, so the last lines before an
 * exit could be lost; this keeps pretty output as synchronous as the JSON lines.
 */
function prettyStream(destination: DestinationStream, isColored: boolean): DestinationStream {
  const prettify = prettyFactory({
    colorize: isColored,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
    singleLine: true,
  });
  return { write: (line: string) => destination.write(prettify(line)) };
}
