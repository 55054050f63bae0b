#!/usr/bin/env node
// Profiling driver for the HTML extractor: runs extractDocument over the pages of the evaluation
// sets several times, so a CPU profile shows where extraction spends its time, and summarises a
// .cpuprofile by function (self and inclusive time).
//
//   Profile (source, no build):
//     DISTILL_EVAL_SOURCE=1 node --import tsx --cpu-prof --cpu-prof-dir=/tmp/prof \
//       bench/profile-extraction.mjs [--set dragnet|readability-test-pages] [--rounds 3] [--formats text,markdown,links]
//   Profile (built dist/):  npm run build && node --cpu-prof --cpu-prof-dir=/tmp/prof bench/profile-extraction.mjs
//   Summarise a profile:    node bench/profile-extraction.mjs --analyze /tmp/prof/CPU.*.cpuprofile [--top 40]
//
// Without --cpu-prof it prints the CPU ms per page (mean, median, p95) of the rounds after the
// first, which is a quick A/B timer. DISTILL_DATASETS points at the datasets (default
// ../shared/datasets); the pages are read at run time and never copied.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);

if (args.includes('--analyze')) {
  analyze(option('--analyze'), Number(option('--top', '40')));
} else {
  await run();
}

async function run() {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const datasets = path.resolve(process.env.DISTILL_DATASETS ?? path.resolve(repoRoot, '../shared/datasets'));
  const modulePath = process.env.DISTILL_EVAL_SOURCE
    ? path.join(repoRoot, 'src/extract/index.ts')
    : path.join(repoRoot, 'dist/extract/index.js');
  const { extractDocument } = await import(pathToFileURL(modulePath).href);
  const onlySet = option('--set', null);
  const rounds = Number(option('--rounds', '3'));
  const formats = option('--formats', 'text,markdown,links').split(',');
  const pages = [];
  if (!onlySet || onlySet === 'dragnet') {
    const dir = path.join(datasets, 'dragnet');
    for (const name of fs.readdirSync(dir).sort())
      if (name.endsWith('.html'))
        pages.push({
          id: name,
          body: fs.readFileSync(path.join(dir, name)),
          url: `https://dragnet.example/${name}`,
        });
  }
  if (!onlySet || onlySet === 'readability-test-pages') {
    const dir = path.join(datasets, 'readability-test-pages');
    for (const id of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, id, 'source.html');
      if (fs.existsSync(file))
        pages.push({ id, body: fs.readFileSync(file), url: 'http://fakehost/test/page.html' });
    }
  }
  const times = [];
  for (let round = 0; round < rounds; round++) {
    for (const page of pages) {
      const start = process.cpuUsage();
      await extractDocument({
        url: page.url,
        contentType: 'text/html; charset=utf-8',
        body: page.body,
        formats,
      }).catch(() => null);
      const used = process.cpuUsage(start);
      if (round > 0 || rounds === 1) times.push((used.user + used.system) / 1000);
    }
  }
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)];
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  console.log(
    `${pages.length} pages x ${rounds} rounds: CPU ms/page mean ${mean.toFixed(2)}  median ${at(0.5).toFixed(2)}  p95 ${at(0.95).toFixed(2)}`,
  );
}

/** Prints the functions with the most self and inclusive time of a V8 .cpuprofile. */
function analyze(file, top) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++)
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (deltas[i + 1] ?? 0));
  const key = (node) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const short = url
      .replace(/^.*node_modules\//, '')
      .replace(/^.*\/src\//, 'src/')
      .replace(/^file:\/\//, '');
    return `${functionName || '(anonymous)'} ${short}:${lineNumber + 1}`;
  };
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    total += us;
    const node = byId.get(id);
    self.set(key(node), (self.get(key(node)) ?? 0) + us);
    // Inclusive: every distinct function on the stack once.
    const seen = new Set();
    for (let current = id; current !== undefined; current = parent.get(current)) {
      const k = key(byId.get(current));
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const print = (title, map) => {
    console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms)`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top))
      console.log(
        `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${name}`,
      );
  };
  print('self time', self);
  print('inclusive time', inclusive);
}
