// Extraction scenario: median and p95 ms per page by content type, run through the extraction
// thread pool (as the service runs it), on the pages of readability-test-pages (HTML), a plain text
// version of each, and PDFs made from their text with pdf-lib; then hostile HTML: 1,000, 5,000 and
// 100,000 nested elements (the engine flattens nesting past its depth cap).
import { availableParallelism } from 'node:os';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { ExtractorPool, htmlToText } from '../dist/extract/index.js';
import { loadPages } from './corpus.mjs';

async function makePdf(text) {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  const words = text
    .replace(/[^\x20-\x7e\n]/g, ' ')
    .split(/\s+/)
    .slice(0, 1500);
  for (let i = 0; i < words.length; i += 300) {
    const page = pdf.addPage();
    const lines = [];
    for (let j = i; j < Math.min(words.length, i + 300); j += 12)
      lines.push(words.slice(j, j + 12).join(' '));
    page.drawText(lines.join('\n'), { x: 40, y: 760, size: 9, font, lineHeight: 11 });
  }
  return pdf.save();
}

async function timeAll(pool, inputs) {
  const ms = [];
  // One at a time per thread, all threads busy: as the worker pool keeps them.
  const threads = availableParallelism();
  let next = 0;
  await Promise.all(
    Array.from({ length: threads }, async () => {
      while (next < inputs.length) {
        const input = inputs[next++];
        const t0 = performance.now();
        await pool.run({ ...input, body: input.body.slice() });
        ms.push(performance.now() - t0);
      }
    }),
  );
  ms.sort((a, b) => a - b);
  const at = (p) => ms[Math.min(ms.length - 1, Math.floor((p / 100) * ms.length))];
  return { pages: ms.length, median: at(50), p95: at(95), mean: ms.reduce((a, b) => a + b, 0) / ms.length };
}

export async function run() {
  const pages = loadPages();
  const encoder = new TextEncoder();
  const html = pages.map((page, i) => ({
    url: `https://bench.example/${i}`,
    contentType: 'text/html; charset=utf-8',
    body: encoder.encode(page),
  }));
  const texts = pages.map((page) => htmlToText(page));
  const text = texts.map((t, i) => ({
    url: `https://bench.example/${i}.txt`,
    contentType: 'text/plain; charset=utf-8',
    body: encoder.encode(t),
  }));
  const pdf = [];
  for (let i = 0; i < Math.min(40, texts.length); i++) {
    pdf.push({
      url: `https://bench.example/${i}.pdf`,
      contentType: 'application/pdf',
      body: await makePdf(texts[i]),
    });
  }
  const pool = new ExtractorPool({});
  try {
    await timeAll(pool, html.slice(0, 10)); // warm the threads up
    const rows = [];
    const nested = (depth) =>
      Array.from({ length: 10 }, (_, i) => ({
        url: `https://bench.example/nested-${depth}-${i}`,
        contentType: 'text/html; charset=utf-8',
        body: encoder.encode(
          `<html><body>${'<div>'.repeat(depth)}<p>Nested ${i}: the text at the bottom of the nesting.</p>${'</div>'.repeat(depth)}</body></html>`,
        ),
      }));
    for (const [type, inputs] of [
      ['text/html', html],
      ['text/plain', text],
      ['application/pdf', pdf],
      ['text/html, 1,000 nested elements', nested(1000)],
      ['text/html, 5,000 nested elements', nested(5000)],
      ['text/html, 100,000 nested elements', nested(100_000)],
    ]) {
      const r = await timeAll(pool, inputs);
      rows.push({
        'content type': type,
        pages: r.pages,
        'median ms': r.median.toFixed(1),
        'p95 ms': r.p95.toFixed(1),
        'mean ms': r.mean.toFixed(1),
      });
    }
    return { threads: availableParallelism(), rows };
  } finally {
    await pool.stop();
  }
}
