// Chunks scenario (issue 18): CPU time of chunking one document's Markdown (`formats: ["chunks"]`),
// on the Markdown distill extracts from the wcxb-dev pages (read from ../shared/datasets at run
// time, never copied). Extraction is done first and not timed; the figure is chunkMarkdown alone,
// one document at a time on the main thread, at the default budget (512 tokens, 64 overlap) and at
// 256/32 and 1024/128. Also checks that no chunk passes its budget and reports how many did.
//   DISTILL_DATASETS=/path/to/datasets  (default ../shared/datasets)   --limit N pages (default 400)
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chunkMarkdown, extractDocument } from '../dist/extract/index.js';
import { flagValue } from './flags.mjs';
import { loadWcxb } from './wcxb.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function run() {
  const datasets = path.resolve(
    process.env.DISTILL_DATASETS ?? path.resolve(here, '..', '../shared/datasets'),
  );
  const limit = Number(flagValue('--limit') ?? 400);
  const pages = loadWcxb(path.join(datasets, 'wcxb-dev'), { limit });
  const docs = [];
  for (const page of pages) {
    const doc = await extractDocument({
      url: page.url,
      contentType: 'text/html; charset=utf-8',
      body: page.body,
      formats: ['markdown'],
    });
    if (doc.markdown) docs.push({ id: page.id, markdown: doc.markdown });
  }
  const rows = [];
  for (const [maxTokens, overlapTokens] of [
    [512, 64],
    [256, 32],
    [1024, 128],
  ]) {
    // Warm the tokenizer's caches and the JIT on a few documents first.
    for (const doc of docs.slice(0, 20))
      chunkMarkdown(doc.markdown, { documentId: doc.id, maxTokens, overlapTokens });
    const ms = [];
    let chunks = 0;
    let over = 0;
    let tokens = 0;
    for (const doc of docs) {
      const t0 = process.cpuUsage();
      const result = chunkMarkdown(doc.markdown, { documentId: doc.id, maxTokens, overlapTokens });
      const used = process.cpuUsage(t0);
      ms.push((used.user + used.system) / 1000);
      chunks += result.length;
      for (const c of result) {
        tokens += c.tokens;
        if (c.tokens > maxTokens) over++;
      }
    }
    ms.sort((a, b) => a - b);
    const at = (p) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))];
    rows.push({
      budget: `${maxTokens}/${overlapTokens}`,
      documents: docs.length,
      'chunks per doc': (chunks / docs.length).toFixed(1),
      'tokens per doc': Math.round(tokens / docs.length),
      'median CPU ms': at(50).toFixed(2),
      'p95 CPU ms': at(95).toFixed(2),
      'mean CPU ms': (ms.reduce((a, b) => a + b, 0) / ms.length).toFixed(2),
      'chunks over budget': over,
    });
  }
  return {
    rows,
    summary: `wcxb-dev: ${docs.length} documents with Markdown of the first ${pages.length} pages`,
  };
}
