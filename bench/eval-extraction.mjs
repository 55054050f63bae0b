#!/usr/bin/env node
// Extraction quality and speed on the evaluation datasets, with Readability-on-linkedom as the
// baseline in the same run.
//
//   npm run eval                         builds dist/, then runs this script
//   node bench/eval-extraction.mjs [--no-baseline] [--set wcxb-dev|dragnet|readability-test-pages] [--out DIR] [--repeat N]
//                                  [--limit N] (first N pages of each set) [--split tune|held-out] (wcxb-dev half)
//   DISTILL_DATASETS=/path/to/datasets   where the datasets are (default: ../shared/datasets)
//   DISTILL_EVAL_SOURCE=1 node --import tsx bench/eval-extraction.mjs   runs src/ without building
//
// Speed is CPU time per page (process.cpuUsage(): user + system, all threads of the process, so GC
// counts), which other processes on a busy machine barely disturb; wall time is shown beside it.
// The mean decides throughput; median and p95 show the spread. With --repeat N every page is timed
// N times and its fastest run counts (noise only ever adds time).
//
// The datasets are for internal evaluation only: they are read from their folder at run time and
// never copied into this repository. Predictions go to a temporary folder.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
// The baseline runs on linkedom as its users install it, not on distill's patched copy (patches/).
import { parseHTML } from 'linkedom-stock';
import { Readability } from '@mozilla/readability';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const datasets = path.resolve(process.env.DISTILL_DATASETS ?? path.resolve(repoRoot, '../shared/datasets'));
const args = process.argv.slice(2);
const withBaseline = !args.includes('--no-baseline');
const onlySet = args.includes('--set') ? args[args.indexOf('--set') + 1] : null;
const repeat = args.includes('--repeat')
  ? Math.max(1, Number.parseInt(args[args.indexOf('--repeat') + 1], 10) || 1)
  : 1;
const limit = args.includes('--limit') ? Number.parseInt(args[args.indexOf('--limit') + 1], 10) : Infinity;
const onlySplit = args.includes('--split') ? args[args.indexOf('--split') + 1] : null;
const outRoot = args.includes('--out')
  ? path.resolve(args[args.indexOf('--out') + 1])
  : fs.mkdtempSync(path.join(os.tmpdir(), 'distill-eval-'));

if (!fs.existsSync(datasets) || !fs.existsSync(path.join(datasets, 'score-extraction.mjs'))) {
  console.error(
    `Datasets folder not found at ${datasets} (expected score-extraction.mjs, dragnet/, readability-test-pages/).`,
  );
  console.error('Set DISTILL_DATASETS to the folder that holds them.');
  process.exit(2);
}

const modulePath = process.env.DISTILL_EVAL_SOURCE
  ? path.join(repoRoot, 'src/extract/index.ts')
  : path.join(repoRoot, 'dist/extract/index.js');
if (!fs.existsSync(modulePath)) {
  console.error(
    `${path.relative(repoRoot, modulePath)} is missing: run \`npm run build\` first (or use \`npm run eval\`).`,
  );
  process.exit(2);
}
const { extractDocument, htmlToText } = await import(pathToFileURL(modulePath).href);
const { score } = await import(pathToFileURL(path.join(datasets, 'score-extraction.mjs')).href);
const { loadWcxb, scoreWcxb, summarise, pearson, wcxbLines } = await import('./wcxb.mjs');

/** One page: id, html bytes, url, truth text. */
function loadDragnet(dir) {
  const manifestPath = path.join(dir, 'manifest.json');
  const manifest = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : {};
  const entries = manifest.pages ?? manifest;
  const pages = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const match = /^(.+)\.html$/.exec(name);
    if (!match) continue;
    const id = match[1];
    const truthFile = path.join(dir, `${id}.txt`);
    if (!fs.existsSync(truthFile)) continue;
    const entry = Array.isArray(entries) ? entries.find((page) => page.id === id) : entries[id];
    pages.push({
      id,
      body: fs.readFileSync(path.join(dir, name)),
      url: entry?.url ?? `https://dragnet.example/${id}.html`,
      truth: fs.readFileSync(truthFile, 'utf8'),
    });
  }
  return pages;
}

function loadReadabilityPages(dir) {
  const pages = [];
  for (const id of fs.readdirSync(dir).sort()) {
    const source = path.join(dir, id, 'source.html');
    const expected = path.join(dir, id, 'expected.html');
    if (!fs.existsSync(source) || !fs.existsSync(expected)) continue;
    // The truth is Readability's article HTML: turned into text the way we produce text.
    pages.push({
      id,
      body: fs.readFileSync(source),
      url: 'http://fakehost/test/page.html',
      truth: htmlToText(fs.readFileSync(expected, 'utf8')),
    });
  }
  return pages;
}

// Every dataset file is UTF-8 whatever its <meta charset> says, as its README requires.
const CONTENT_TYPE = 'text/html; charset=utf-8';

/** Per page of the last distill run: quality score and page type, for the calibration report. */
const documentInfo = new Map();

async function runDistill(page) {
  const document = await extractDocument({ url: page.url, contentType: CONTENT_TYPE, body: page.body });
  documentInfo.set(page.id, {
    score: document.quality.score ?? null,
    pageType: document.pageType ?? null,
    extractor: document.extractor,
  });
  return document.text;
}

function runBaseline(page) {
  const { document } = parseHTML(page.body.toString('utf8'));
  try {
    return new Readability(document).parse()?.textContent ?? '';
  } catch {
    return '';
  }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

function stats(times) {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    median: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    max: sorted.at(-1) ?? NaN,
  };
}

async function evaluate(setName, pages, name, extract) {
  const outDir = path.join(outRoot, name, setName);
  fs.mkdirSync(outDir, { recursive: true });
  // Warm the JIT on a few pages so the first timings are not compile time.
  for (const page of pages.slice(0, 10)) await extract(page);
  const cpuTimes = new Array(pages.length).fill(Infinity);
  const wallTimes = new Array(pages.length).fill(Infinity);
  const predictions = new Map();
  const failures = [];
  for (let round = 0; round < repeat; round++) {
    for (const [index, page] of pages.entries()) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      let text = '';
      try {
        text = await extract(page);
      } catch (error) {
        if (round === 0) failures.push(`${page.id}: ${error.code ?? error.name}: ${error.message}`);
      }
      const wall = performance.now() - start;
      const cpu = process.cpuUsage(cpuStart);
      wallTimes[index] = Math.min(wallTimes[index], wall);
      cpuTimes[index] = Math.min(cpuTimes[index], (cpu.user + cpu.system) / 1000);
      if (round === 0) {
        predictions.set(page.id, text);
        fs.writeFileSync(path.join(outDir, `${page.id}.txt`), text);
      }
    }
  }
  let summary;
  let perPage;
  if (setName === 'wcxb-dev') {
    const rows = scoreWcxb(pages, predictions);
    summary = summarise(rows);
    perPage = rows.map((row) => ({ ...row, f1: row.F, precision: row.P, recall: row.R }));
  } else {
    const truth = new Map(pages.map((page) => [page.id, page.truth]));
    ({ summary, pages: perPage } = score(truth, predictions));
  }
  const cpu = stats(cpuTimes);
  const wall = stats(wallTimes);
  return { name, summary, perPage, failures, cpu, wall, outDir };
}

function report(setName, result) {
  const f = (x) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');
  const { summary } = result;
  const { cpu, wall } = result;
  console.log(
    `  ${result.name.padEnd(12)} pages ${summary.pages}  F1 ${f(summary.f1)}  P ${f(summary.precision)}  R ${f(summary.recall)}  ` +
      `CPU ms/page mean ${cpu.mean.toFixed(1)}  median ${cpu.median.toFixed(1)}  p95 ${cpu.p95.toFixed(1)}  max ${cpu.max.toFixed(0)}  ` +
      `(wall mean ${wall.mean.toFixed(1)}  median ${wall.median.toFixed(1)})`,
  );
  for (const failure of result.failures) console.log(`    failed ${failure}`);
  if (setName === 'wcxb-dev')
    for (const line of wcxbLines(
      result.perPage.map((page) => ({ ...page, F: page.f1, P: page.precision, R: page.recall })),
    ))
      console.log(line);
}

/** How well quality.score predicts the page's F1, how often pageType matches, and which extractor ran. */
function reportCalibration(setName, result) {
  const rows = result.perPage.filter((page) => typeof documentInfo.get(page.id)?.score === 'number');
  const extractors = new Map();
  for (const page of result.perPage) {
    const name = documentInfo.get(page.id)?.extractor ?? '?';
    extractors.set(name, (extractors.get(name) ?? 0) + 1);
  }
  console.log(`  extractor: ${[...extractors].map(([name, n]) => `${name} ${n}`).join(', ')}`);
  if (rows.length > 1) {
    const scores = rows.map((page) => documentInfo.get(page.id).score);
    const f1s = rows.map((page) => page.f1 ?? 0);
    const meanAbs = rows.reduce((sum, page, i) => sum + Math.abs(scores[i] - f1s[i]), 0) / rows.length;
    const bins = [0, 0.25, 0.5, 0.75, 0.9, 1.01].slice(0, -1).map((low, i, lows) => {
      const high = lows[i + 1] ?? 1.01;
      const inBin = rows.filter((_, j) => scores[j] >= low && scores[j] < high);
      const meanF1 = inBin.reduce((sum, page) => sum + (page.f1 ?? 0), 0) / (inBin.length || 1);
      return `[${low.toFixed(2)},${Math.min(1, high).toFixed(2)}) ${inBin.length} pages F1 ${inBin.length ? meanF1.toFixed(3) : '-'}`;
    });
    console.log(
      `  quality.score vs F1: Pearson r ${pearson(scores, f1s).toFixed(3)}, mean |score - F1| ${meanAbs.toFixed(3)}; by score: ${bins.join('; ')}`,
    );
  }
  if (setName === 'wcxb-dev') {
    const typed = result.perPage.filter((page) => documentInfo.get(page.id)?.pageType);
    const hits = typed.filter((page) => documentInfo.get(page.id).pageType === page.type).length;
    console.log(
      `  pageType agrees with the benchmark's type on ${hits} of ${typed.length} pages (${((100 * hits) / (typed.length || 1)).toFixed(1)}%)`,
    );
  }
}

const sets = [
  [
    'wcxb-dev',
    () => loadWcxb(path.join(datasets, 'wcxb-dev')).filter((page) => !onlySplit || page.split === onlySplit),
  ],
  ['dragnet', () => loadDragnet(path.join(datasets, 'dragnet'))],
  ['readability-test-pages', () => loadReadabilityPages(path.join(datasets, 'readability-test-pages'))],
].filter(([name]) => !onlySet || name === onlySet);

for (const [setName, load] of sets) {
  const pages = load().slice(0, limit);
  console.log(`\n${setName} (${pages.length} pages)`);
  const distill = await evaluate(setName, pages, 'distill', runDistill);
  report(setName, distill);
  reportCalibration(setName, distill);
  let baseline = null;
  if (withBaseline) {
    baseline = await evaluate(setName, pages, 'readability', runBaseline);
    report(setName, baseline);
  }
  const base = new Map(baseline?.perPage.map((page) => [page.id, page]) ?? []);
  const worst = [...distill.perPage].sort((a, b) => (a.f1 ?? 0) - (b.f1 ?? 0)).slice(0, 10);
  console.log('  10 worst pages (distill F1 / P / R, readability F1):');
  for (const page of worst) {
    const f = (x) => (x === null || x === undefined ? '  -  ' : x.toFixed(2));
    console.log(
      `    ${page.id.padEnd(40)} ${f(page.f1)} / ${f(page.precision)} / ${f(page.recall)}   ${f(base.get(page.id)?.f1)}`,
    );
  }
  console.log(`  predictions: ${distill.outDir}`);
}
