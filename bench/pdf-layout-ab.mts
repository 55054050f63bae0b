// PDF layout cost before/after, alternately in one process (issue 21): the same PDFs through the
// extractDocument of an older tree of src/ and of this one, CPU time by process.cpuUsage.
//   rm -rf .bench-before && mkdir .bench-before && git archive 01df097 src/extract src/lib | tar -x -C .bench-before
//   npx tsx bench/pdf-layout-ab.mts .bench-before 25
// (01df097: the commit before two columns, lists and tables.) The folder must sit inside the
// repository, so that its imports find node_modules.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { extractDocument as after } from '../src/extract/extract.js';

const beforeDir = process.argv[2] ?? '.bench-before';
const { extractDocument: before } = (await import(
  pathToFileURL(resolve(beforeDir, 'src/extract/extract.ts')).href
)) as { extractDocument: typeof after };

const WORDS =
  'the keeper climbed the stair at dusk and lit the lamp while ships passed the rocks below in silence'.split(
    ' ',
  );
const prose = (n: number, seed = 0) =>
  Array.from({ length: n }, (_, i) => WORDS[(i * 7 + seed) % WORDS.length]).join(' ');
async function textPdf(pages: number) {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const lines = Array.from({ length: 50 }, (_, i) => prose(12, p * 50 + i));
    pdf.addPage().drawText(lines.join('\n'), { x: 40, y: 780, size: 10, font, lineHeight: 14 });
  }
  return pdf.save();
}
async function twoColumnPdf(pages: number) {
  const pdf = await PDFDocument.create();
  const font = await pdf.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const page = pdf.addPage([595, 842]);
    for (let r = 0; r < 50; r++) {
      page.drawText(prose(7, p * 50 + r), { x: 40, y: 780 - r * 14, size: 10, font });
      page.drawText(prose(7, p * 50 + r + 3), { x: 310, y: 780 - r * 14, size: 10, font });
    }
  }
  return pdf.save();
}
const fixtures: Array<[string, Uint8Array]> = [
  ['text layer, 10 pages', await textPdf(10)],
  ['two columns, 10 pages', await twoColumnPdf(10)],
];
const runs = Number(process.argv[3] ?? 15);
for (const [name, body] of fixtures) {
  const cpu: Record<string, number[]> = { before: [], after: [] };
  for (let i = 0; i <= runs; i++) {
    for (const [label, extract] of (i % 2 === 0
      ? [
          ['before', before],
          ['after', after],
        ]
      : [
          ['after', after],
          ['before', before],
        ]) as Array<[string, typeof after]>) {
      const c0 = process.cpuUsage();
      await extract({
        url: 'https://bench.example/a.pdf',
        contentType: 'application/pdf',
        body: Uint8Array.from(body),
        formats: ['text', 'markdown', 'links'],
      });
      const c = process.cpuUsage(c0);
      if (i > 0) cpu[label]!.push((c.user + c.system) / 1000);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
  console.log(
    `${name}: before median ${median(cpu.before!).toFixed(1)} cpu ms/doc (${range(cpu.before!)}), after ${median(cpu.after!).toFixed(1)} (${range(cpu.after!)}), ${runs} runs each, alternated`,
  );
}
