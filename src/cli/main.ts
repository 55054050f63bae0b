import { App } from '../app/index.js';
import {
  ConfigError,
  describeOptions,
  flagOf,
  loadProcessConfig,
  OPTIONS,
  type Config,
} from '../config/index.js';
import { parseCommandLine, type ParsedArgs } from './args.js';
import { closest } from './did-you-mean.js';
import { EXTRACT_USAGE, runExtract } from './extract-command.js';
import { JOBS_USAGE, runJobs } from './jobs-command.js';
import { endQuietlyWhenStdoutCloses } from './io.js';
import { KEYS_USAGE, runKeys } from './keys-command.js';
import { MCP_USAGE, runMcp } from './mcp-command.js';
import { openStorage } from '../app/index.js';

interface Command {
  summary: string;
  usage: string;
  /** Flags of the command itself, beyond the configuration options. */
  flags?: readonly string[];
  /**
   * The configuration options (keys of `Config`) the command reads, shown by its `--help` and the
   * only ones it accepts as flags; unset: every option (the commands that run the service).
   */
  options?: readonly string[];
  run(config: Config, args: ParsedArgs): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  serve: {
    summary: 'Run the HTTP API and the workers in one process (what `npm start` runs)',
    usage: 'distill serve [options]',
    run: (config) => serve(config, 'serve'),
  },
  api: {
    summary: 'Run only the HTTP API (distributed mode: workers run as `distill worker`)',
    usage: 'distill api [options]',
    run: (config) => serve(config, 'api'),
  },
  worker: {
    summary: 'Run only the workers (distributed mode: needs DISTILL_DATABASE_URL shared with the API)',
    usage: 'distill worker [options]',
    run: (config) => serve(config, 'worker'),
  },
  extract: {
    summary: 'Fetch and extract URLs in this process, with a progress bar; NDJSON or Markdown files out',
    usage: EXTRACT_USAGE,
    flags: ['-f', '--file', '-o', '--out', '--max-age', '--format'],
    run: runExtract,
  },
  jobs: {
    summary: 'Talk to a running server: submit, status, list, results, cancel, watch',
    usage: JOBS_USAGE,
    flags: [
      '-f',
      '--file',
      '--max-age',
      '--format',
      '--fields',
      '--watch',
      '--state',
      '-o',
      '--out',
      '--name',
      '--status',
      '--search',
    ],
    options: ['server', 'apiKey', 'logLevel'],
    run: runJobs,
  },
  keys: {
    summary: 'Create, list or revoke API keys (the API asks for one as soon as one exists)',
    usage: KEYS_USAGE,
    flags: ['--tenant', '--name'],
    options: ['databaseUrl', 'logLevel'],
    run: runKeys,
  },
  mcp: {
    summary: 'An MCP server on stdio for agents, whose tools call a running distill (--server, --api-key)',
    usage: MCP_USAGE,
    run: runMcp,
  },
  migrate: {
    summary: 'Create or update the database schema, then exit',
    usage: 'distill migrate [--database-url URL]',
    options: ['databaseUrl', 'logLevel'],
    async run(config) {
      const storage = openStorage(config.databaseUrl);
      try {
        const ran = await storage.migrate();
        console.log(
          ran.length > 0
            ? `Applied ${ran.join(', ')} to ${storage.description}`
            : `${storage.description} is up to date`,
        );
        return 0;
      } finally {
        await storage.close();
      }
    },
  },
};

function usage(): string {
  const lines = [
    'distill: turns links into clean documents.',
    '',
    'Usage: distill <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`),
    '',
    "Run `distill <command> --help` for a command's usage.",
    'Every option can also be set with its environment variable; flags win.',
    '',
    describeOptions(),
  ];
  return lines.join('\n');
}

/** A command's `--help`: its summary and usage (its own flags, examples) first, then the options it reads. */
function commandHelp(name: string, command: Command): string {
  const heading =
    command.options === undefined
      ? `Options of \`distill ${name}\` (flag, environment variable, meaning, default):`
      : `Settings \`distill ${name}\` reads (flag, environment variable, meaning, default):`;
  return `${command.summary}\n\nUsage: ${command.usage}\n\n${describeOptions(command.options, heading)}`;
}

/** Entry point of the `distill` binary; resolves with the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyWhenStdoutCloses();
  const args = parseCommandLine(argv);
  const [name, ...rest] = args.positionals;
  if (name === undefined || name === 'help') {
    console.log(usage());
    return name === undefined && !args.isHelp ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = closest(name, Object.keys(COMMANDS));
    console.error(
      `Unknown command \`${name}\`.${guess ? ` Did you mean \`${guess}\`?` : ''} Commands: ${Object.keys(COMMANDS).join(', ')}`,
    );
    return 2;
  }
  if (args.isHelp) {
    console.log(commandHelp(name, command));
    return 0;
  }
  const options =
    command.options === undefined ? OPTIONS : OPTIONS.filter((spec) => command.options!.includes(spec.key));
  const knownFlags = [...options.map(flagOf), ...(command.flags ?? [])];
  const unknownFlags = [...args.flags.keys()].filter((flag) => !knownFlags.includes(flag));
  if (unknownFlags.length > 0) {
    const hints = unknownFlags.map((flag) => {
      const guess = closest(flag, knownFlags);
      return guess ? `${flag} (did you mean ${guess}?)` : flag;
    });
    console.error(
      `Unknown option(s) ${hints.join(', ')} for \`distill ${name}\`. See \`distill ${name} --help\`.`,
    );
    return 2;
  }
  let config: Config;
  try {
    config = loadProcessConfig(args.flags);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  return command.run(config, { ...args, positionals: rest });
}

/** Why the process could not start, for a person: a busy port says which and what to do. */
function startFailureMessage(error: unknown, config: Config): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EADDRINUSE') {
    const { address, port } = error as NodeJS.ErrnoException & { address?: string; port?: number };
    const where = `${address ?? config.host}:${port ?? config.port}`;
    return `Cannot start: ${where} is already in use (is another distill running?). Stop it, or choose another port with --port or PORT.`;
  }
  if (code === 'EACCES') {
    return `Cannot start: not allowed to listen on ${config.host}:${config.port}. Choose a port above 1023 with --port or PORT.`;
  }
  return `Cannot start: ${error instanceof Error ? error.message : String(error)}`;
}

/**
 * Runs the service until SIGTERM or SIGINT: the first signal stops intake, drains in-flight work
 * and closes everything, then exits 0; a second signal exits at once.
 */
async function serve(config: Config, role: 'serve' | 'api' | 'worker'): Promise<number> {
  const app = new App(config, { role });
  try {
    await app.start();
  } catch (error) {
    // What did start (workers, the relay, timers) stops again: a half-started process must not
    // keep running and taking work, and the exit code says it failed.
    await app
      .stop()
      .catch((stopError: unknown) =>
        app.logger.error({ err: stopError }, 'Stopping after a failed start failed'),
      );
    console.error(startFailureMessage(error, config));
    return 1;
  }
  return new Promise<number>((resolve) => {
    let isStopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (isStopping) {
        app.logger.warn({ signal }, 'Second signal: exiting at once');
        process.exit(1);
      }
      isStopping = true;
      app.logger.info({ signal }, 'Stopping: finishing in-flight work');
      app.stop().then(
        () => resolve(0),
        (error: unknown) => {
          app.logger.error({ err: error }, 'Shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
