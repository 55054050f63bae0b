// WCXB (wcxb-dev) for the extraction eval: loading the pages, the benchmark's word-bag F1, the
// fixed hash split into a tuning half and a held-out half, and the reports by page type.
//
// The metric is the one of `../shared/datasets/score-wcxb.mjs` (lower-cased runs of Unicode
// letters, digits and `_`, multiset overlap, per-page P / R / F1 averaged over pages), restated
// here because that script runs its command line when imported.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const WORD = /[\p{L}\p{N}_]+/gu;
const words = (text) => (text ? (text.toLowerCase().match(WORD) ?? []) : []);

/** [precision, recall, f1] of a prediction against a reference, on word multisets. */
export function wordF1(prediction, reference) {
  const p = words(prediction);
  const r = words(reference);
  if (!r.length) return p.length ? [0, 0, 0] : [1, 1, 1];
  if (!p.length) return [0, 0, 0];
  const left = new Map();
  for (const w of r) left.set(w, (left.get(w) ?? 0) + 1);
  let overlap = 0;
  for (const w of p) {
    const n = left.get(w);
    if (n) {
      overlap++;
      left.set(w, n - 1);
    }
  }
  const P = overlap / p.length;
  const R = overlap / r.length;
  return [P, R, P + R > 0 ? (2 * P * R) / (P + R) : 0];
}

/**
 * The half of the split a page id falls in: FNV-1a of the id, even → `tune`, odd → `held-out`.
 * Fixed, so anyone tuning on `tune` can check `held-out` is not worse.
 */
export function splitOf(id) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 2 === 0 ? 'tune' : 'held-out';
}

/** The page type recorded in a ground-truth file (`category` is the benchmark's old name of `collection`). */
export function typeOf(doc) {
  const pt = doc._internal?.page_type;
  return ((typeof pt === 'object' ? pt?.primary : pt) ?? 'article').replace(/^category$/, 'collection');
}

/** Every page of wcxb-dev: id, html bytes, url, truth text, type, split half. */
export function loadWcxb(dir, { limit = Infinity } = {}) {
  const pages = [];
  const gtDir = path.join(dir, 'ground-truth');
  for (const name of fs.readdirSync(gtDir).sort()) {
    if (!name.endsWith('.json') || pages.length >= limit) continue;
    const id = name.slice(0, -5);
    const htmlFile = path.join(dir, 'html', `${id}.html.gz`);
    if (!fs.existsSync(htmlFile)) continue;
    const doc = JSON.parse(fs.readFileSync(path.join(gtDir, name), 'utf8'));
    pages.push({
      id,
      body: zlib.gunzipSync(fs.readFileSync(htmlFile)),
      url: doc.url ?? `https://wcxb.example/${id}`,
      truth: doc.ground_truth?.main_content ?? '',
      type: typeOf(doc),
      split: splitOf(id),
    });
  }
  return pages;
}

/** Mean P / R / F1 of per-page rows `{P, R, F}`. */
export function summarise(rows) {
  const mean = (key) => rows.reduce((sum, row) => sum + row[key], 0) / (rows.length || 1);
  return { pages: rows.length, f1: mean('F'), precision: mean('P'), recall: mean('R') };
}

/** Pearson correlation of two equal-length arrays. */
export function pearson(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
    syy += (ys[i] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Rows `{id, type, split, P, R, F}` scored against the pages' truth. */
export function scoreWcxb(pages, predictions) {
  return pages.map((page) => {
    const [P, R, F] = wordF1(predictions.get(page.id) ?? '', page.truth);
    return { id: page.id, type: page.type, split: page.split, P, R, F };
  });
}

/** Lines of the by-type and by-half table of one extractor. */
export function wcxbLines(rows) {
  const f = (x) => x.toFixed(3);
  const lines = [];
  const groups = [
    ['tune half', (row) => row.split === 'tune'],
    ['held-out half', (row) => row.split === 'held-out'],
  ];
  for (const type of [...new Set(rows.map((row) => row.type))].sort())
    groups.push([type, (row) => row.type === type]);
  for (const [label, keep] of groups) {
    const s = summarise(rows.filter(keep));
    lines.push(
      `    ${label.padEnd(14)} ${String(s.pages).padStart(5)}  F1 ${f(s.f1)}  P ${f(s.precision)}  R ${f(s.recall)}`,
    );
  }
  return lines;
}
