#!/usr/bin/env node
// `npm run bench [scenario...]`: runs named benchmark scenarios against the built dist/ and writes
// their results as JSON under bench/results/. Not part of `npm test`: speed is measured here,
// never asserted in a test.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { positionals } from './flags.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SCENARIOS = {
  queue: () => import('./queue.mjs'),
  ingest: () => import('./ingest.mjs'),
  polling: () => import('./polling.mjs'),
  scale: () => import('./scale.mjs'),
  extraction: () => import('./extraction.mjs'),
  formats: () => import('./formats.mjs'),
  'deep-nesting': () => import('./deep-nesting.mjs'),
  'end-to-end': () => import('./end-to-end.mjs'),
  peer: () => import('./peer.mjs'),
  distributed: () => import('./distributed.mjs'),
  render: () => import('./render.mjs'),
  soak: () => import('./soak.mjs'),
  map: () => import('./map.mjs'),
  search: () => import('./search.mjs'),
  mcp: () => import('./mcp.mjs'),
  chunks: () => import('./chunks.mjs'),
};
/** Flags of the scenarios that take a value (`--urls 20000`): their values are not scenario names. */
const FLAGS_WITH_VALUE = new Set(['--urls', '--sample-seconds', '--hosts', '--latency-ms', '--limit']);

const requested = positionals(FLAGS_WITH_VALUE);
// With no scenario named, run them all but `distributed` (it needs PostgreSQL and Redis) and
// `end-to-end` (`peer` runs it, beside Crawlee).
const names =
  requested.length > 0 ? requested : ['queue', 'ingest', 'polling', 'scale', 'extraction', 'peer'];
const unknown = names.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  console.error(`Unknown scenario(s): ${unknown.join(', ')}. Known: ${Object.keys(SCENARIOS).join(', ')}`);
  process.exit(2);
}

mkdirSync(join(here, 'results'), { recursive: true });
for (const name of names) {
  const { run } = await SCENARIOS[name]();
  console.log(`\n== ${name}`);
  const result = await run();
  const rows = result.rows ?? [];
  if (rows.length > 0) console.table(rows);
  if (result.summary) console.log(result.summary);
  const file = join(here, 'results', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { scenario: name, node: process.version, at: new Date().toISOString(), ...result },
      null,
      2,
    ),
  );
  console.log(`written ${file}`);
}
