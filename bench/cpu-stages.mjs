#!/usr/bin/env node
// CPU per URL by stage, from V8 CPU profiles of a benchmark's server (the main thread and every
// extraction thread write one with --cpu-prof). Each sample's self time goes to the stage of the
// innermost frame that names one of our files or a library we call; frames of Node itself (GC,
// natives, the event loop) go to `runtime`, counted apart.
//
//   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- end-to-end
//   node bench/cpu-stages.mjs /tmp/prof --urls 5000
//
// The table: stage, CPU ms in all, CPU ms per URL, share. Stages are by file, so they are
// approximate where one function serves two stages (a transaction that stores and writes events).
//
// `--main` keeps the main thread's profile only (Node names it `CPU.<date>.<time>.<pid>.0.<n>`),
// `--extraction` the extraction threads' (Node's --cpu-prof reaches them through the pool's
// execArgv; piscina's Atomics.wait between tasks counts as idle).
// A profile's samples are wall time while the thread was not idle, which on a loaded machine
// includes time the thread waited for a core; `--cpu-ms-per-url X` (the measured CPU of the
// threads profiled, e.g. the end-to-end bench's main-thread column) scales the stages to it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** First match wins: a frame's URL (file path) → stage. */
const STAGES = [
  [
    'extraction',
    /\/src\/extract\/|\/dist\/extract\/|node_modules\/(linkedom|@mozilla\/readability|htmlparser2|turndown|unpdf|mammoth|entities|domhandler|chardet|iconv-lite)\//,
  ],
  ['claim (queue)', /\/(src|dist)\/queue\/|node_modules\/bullmq\//],
  ['host limiter', /\/(src|dist)\/fetch\/(memory-host-limiter|acquire-host-slot|host-limiter|redis\/)/],
  [
    'fetch and decompression',
    /\/(src|dist)\/fetch\/|node_modules\/undici\/|node:zlib|node:net|node:_http|node:tls/,
  ],
  ['store (database)', /\/(src|dist)\/storage\/|node_modules\/(kysely|better-sqlite3|pg|mysql2)\//],
  ['events (outbox, sinks)', /\/(src|dist)\/events\//],
  ['worker pool and task', /\/(src|dist)\/(worker|jobs|crawls)\//],
  [
    'API (HTTP)',
    /\/(src|dist)\/api\/|node_modules\/(fastify|find-my-way|light-my-request|@fastify|avvio|fast-json-stringify|ajv)/,
  ],
  ['logging and metrics', /node_modules\/(pino|prom-client|sonic-boom)/],
  ['other libraries', /node_modules\//],
  ['other distill code', /\/(src|dist)\//],
];

/**
 * Frames that are a stage of their own wherever they run, checked before the file rules: the
 * crossing of a thread boundary (structured clone of the task or the result), the decoding of a
 * body's bytes to text, the threads' memory check after each document.
 */
const FRAME_STAGES = [
  [
    'thread crossing (structured clone)',
    (frame) =>
      frame.functionName === 'postMessage' ||
      frame.functionName === 'receiveMessageOnPort' ||
      (frame.functionName === 'postTask' && /piscina/.test(frame.url)),
  ],
  ['decoding (bytes to text)', (frame) => frame.url === 'node:internal/encoding'],
  [
    'memory checks (process.memoryUsage)',
    (frame) => frame.functionName === 'memoryUsage' || frame.functionName === 'rss',
  ],
];

function stageOf(url) {
  if (!url) return undefined;
  for (const [stage, pattern] of STAGES) if (pattern.test(url)) return stage;
  return undefined;
}

/** Self time per stage of one .cpuprofile, in ms. */
function attribute(profile, totals) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stageCache = new Map();
  const stageOfNode = (id) => {
    if (stageCache.has(id)) return stageCache.get(id);
    const node = byId.get(id);
    let stage =
      FRAME_STAGES.find(([, matches]) => matches(node.callFrame))?.[0] ?? stageOf(node.callFrame.url);
    if (!stage) {
      const up = parent.get(id);
      // Natives and builtins (JSON.parse, GC, regexp) are charged to the stage that called them.
      stage = up === undefined ? 'runtime' : stageOfNode(up);
      if (
        node.callFrame.functionName === '(garbage collector)' ||
        node.callFrame.functionName === '(program)' ||
        node.callFrame.functionName === '(idle)'
      ) {
        stage = node.callFrame.functionName === '(idle)' ? 'idle' : 'runtime';
      }
    }
    // An extraction thread between tasks sleeps in piscina's Atomics.wait: sampled as running, but idle.
    if (node.callFrame.functionName === 'atomicsWaitLoop' && /piscina/.test(node.callFrame.url))
      stage = 'idle';
    stageCache.set(id, stage);
    return stage;
  };
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const stage = stageOfNode(samples[i]);
    totals.set(stage, (totals.get(stage) ?? 0) + (timeDeltas[i] ?? 0) / 1000);
  }
}

const args = process.argv.slice(2);
const dir = args.find((a, i) => !a.startsWith('--') && !['--urls', '--cpu-ms-per-url'].includes(args[i - 1]));
const urlsAt = args.indexOf('--urls');
const urls = urlsAt >= 0 ? Number(args[urlsAt + 1]) : 0;
const mainOnly = args.includes('--main');
const extractionOnly = args.includes('--extraction');
const cpuAt = args.indexOf('--cpu-ms-per-url');
const cpuPerUrl = cpuAt >= 0 ? Number(args[cpuAt + 1]) : 0;
if (!dir) {
  console.error(
    'usage: node bench/cpu-stages.mjs PROFILE_DIR [--urls N] [--main | --extraction] [--cpu-ms-per-url X]',
  );
  process.exit(2);
}
const totals = new Map();
const files = readdirSync(dir).filter(
  (name) =>
    name.endsWith('.cpuprofile') && (!mainOnly || /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name)),
);
let profiled = 0;
for (const name of files) {
  const profile = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  // `--extraction`: only the extraction threads' profiles (those that ran extract-worker).
  if (extractionOnly && !profile.nodes.some((node) => /extract-worker\.(js|ts)$/.test(node.callFrame.url)))
    continue;
  profiled++;
  attribute(profile, totals);
}
totals.delete('idle');
const all = [...totals.values()].reduce((a, b) => a + b, 0);
const rows = [...totals.entries()]
  .sort((a, b) => b[1] - a[1])
  .map(([stage, ms]) => ({
    stage,
    'CPU ms': Math.round(ms),
    ...(urls ? { 'CPU ms per URL': (ms / urls).toFixed(2) } : {}),
    share: `${((ms / all) * 100).toFixed(1)}%`,
    ...(cpuPerUrl ? { 'scaled CPU ms per URL': ((ms / all) * cpuPerUrl).toFixed(2) } : {}),
  }));
console.log(
  `${profiled} profiles${mainOnly ? ' (main thread)' : extractionOnly ? ' (extraction threads)' : ''}, ${Math.round(all)} CPU ms sampled${urls ? `, ${(all / urls).toFixed(2)} ms per URL` : ''}`,
);
console.table(rows);
