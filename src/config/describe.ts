import { flagOf } from './load.js';
import { OPTIONS, type OptionSpec } from './options.js';

const specs: readonly OptionSpec[] = OPTIONS;

/** The options table for `--help`: flag, variable, default, description. */
export function describeOptions(
  keys?: readonly string[],
  heading = 'Options (flag, environment variable, meaning, default):',
): string {
  const shown = keys === undefined ? specs : specs.filter((spec) => keys.includes(spec.key));
  const rows = shown.map((spec) => {
    const def = spec.default === '' ? '(none)' : String(spec.default);
    return `  ${flagOf(spec).padEnd(28)} ${spec.env.padEnd(32)} ${spec.description} [default: ${def}]`;
  });
  return [heading, ...rows].join('\n');
}

/** Where the generated table starts and ends in the README. */
export const CONFIG_TABLE_MARKERS = {
  start: '<!-- configuration table: generated from src/config/options.ts by `npm run docs:config` -->',
  end: '<!-- end of the configuration table -->',
} as const;

/** The README's configuration table (Markdown): variable, flag, default, meaning. */
export function configTableMarkdown(): string {
  const rows = specs.map((spec) => {
    const def = spec.docDefault ?? (spec.default === '' ? '(none)' : `\`${String(spec.default)}\``);
    return `| \`${spec.env}\` | \`${flagOf(spec)}\` | ${def} | ${spec.doc ?? spec.description} |`;
  });
  return ['| variable | flag | default | meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `markdown` with the text between the configuration table's markers replaced by the table. */
export function withConfigTable(markdown: string): string {
  const start = markdown.indexOf(CONFIG_TABLE_MARKERS.start);
  const end = markdown.indexOf(CONFIG_TABLE_MARKERS.end);
  if (start === -1 || end < start) {
    throw new Error(
      `Expected the markers ${CONFIG_TABLE_MARKERS.start} and ${CONFIG_TABLE_MARKERS.end} around the configuration table`,
    );
  }
  return `${markdown.slice(0, start + CONFIG_TABLE_MARKERS.start.length)}\n${configTableMarkdown()}\n${markdown.slice(end)}`;
}
