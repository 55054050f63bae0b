// Flags of `npm run bench -- <scenario...> [--flag value] [--switch]`: scenario names are the
// arguments that are neither a flag nor a flag's value.

const argv = process.argv.slice(2);

/** The value of `--name value` or `--name=value`, or undefined. */
export function flagValue(name) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    if (arg === name && i + 1 < argv.length && !argv[i + 1].startsWith('-')) return argv[i + 1];
  }
  return undefined;
}

/** Whether the switch `--name` is given. */
export function hasFlag(name) {
  return argv.includes(name);
}

/** The arguments that are not flags nor their values: `--a 1 b --c` → [b] when `--a` takes a value. */
export function positionals(flagsWithValue) {
  const names = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('-')) {
      if (flagsWithValue.has(arg)) i++;
      continue;
    }
    names.push(arg);
  }
  return names;
}
