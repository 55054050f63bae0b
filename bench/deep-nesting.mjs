// Deep-nesting scenario: CPU time of one extraction of a page of N nested elements (1,000, 5,000,
// 100,000), in-process, so the CPU counted is the extraction's alone. Before the nesting cap these
// were cubic (1,000 nested divs: 4.8-12 s; 2,000: 30 s+); with it, each costs about what a normal
// page does. Also a page of 40 towers of 256 nested divs (wide and deep, 112 KB).
import { extractDocument } from '../dist/extract/index.js';

const nested = (depth) =>
  `<html><body>${'<div>'.repeat(depth)}<p>The deepest paragraph, with a few words of text.</p>${'</div>'.repeat(depth)}</body></html>`;
const towers = (count, depth) =>
  `<html><body>${`${'<div>'.repeat(depth)}<p>A paragraph in a tower.</p>${'</div>'.repeat(depth)}`.repeat(count)}</body></html>`;

async function cpuOf(html) {
  const started = process.cpuUsage();
  const wall = performance.now();
  let outcome;
  try {
    const document = await extractDocument({
      url: 'https://bench.example/deep',
      contentType: 'text/html',
      body: Buffer.from(html),
    });
    outcome = `document, ${document.wordCount} words`;
  } catch (error) {
    outcome = error.code ?? String(error);
  }
  const used = process.cpuUsage(started);
  return { cpuMs: (used.user + used.system) / 1000, wallMs: performance.now() - wall, outcome };
}

export async function run() {
  await cpuOf(nested(10)); // load and warm the extractor
  const rows = [];
  for (const [name, html] of [
    ['1,000 nested', nested(1000)],
    ['5,000 nested', nested(5000)],
    ['100,000 nested', nested(100_000)],
    ['40 × 256 nested', towers(40, 256)],
  ]) {
    const r = await cpuOf(html);
    rows.push({
      page: name,
      KB: Math.round(html.length / 1024),
      'CPU ms': r.cpuMs.toFixed(0),
      'wall ms': r.wallMs.toFixed(0),
      outcome: r.outcome,
    });
  }
  return { rows };
}
