import { BOOLEAN_OPTION_FLAGS } from '../config/index.js';

// Flags that take no value: the boolean options, and the commands' switches.
const BOOLEAN_FLAGS: ReadonlySet<string> = new Set([...BOOLEAN_OPTION_FLAGS, '--watch']);

/** What `parseCommandLine` found: options by key, the rest as positionals. */
export interface ParsedArgs {
  flags: Map<string, string>;
  positionals: string[];
  isHelp: boolean;
}

/**
 * Splits argv into `--flag value` / `--flag=value` pairs and positionals. A boolean flag may stand
 * alone (`--respect-robots`) or be negated (`--no-respect-robots`). Flags that are not options are
 * kept for the command to interpret (`-o`, `-f`, `--server`).
 */
export function parseCommandLine(
  argv: readonly string[],
  booleanFlags: ReadonlySet<string> = BOOLEAN_FLAGS,
): ParsedArgs {
  const flags = new Map<string, string>();
  const positionals: string[] = [];
  let isHelp = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '--help' || arg === '-h') {
      isHelp = true;
      continue;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    } else if (arg.startsWith('--no-') && booleanFlags.has(`--${arg.slice(5)}`)) {
      flags.set(`--${arg.slice(5)}`, 'false');
    } else if (booleanFlags.has(arg)) {
      flags.set(arg, 'true');
    } else {
      const value = argv[i + 1];
      if (value === undefined || (value.startsWith('-') && value !== '-')) {
        flags.set(arg, '');
      } else {
        flags.set(arg, value);
        i++;
      }
    }
  }
  return { flags, positionals, isHelp };
}
