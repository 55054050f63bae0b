import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { extractDocument, UnsupportedContentTypeError } from '../../src/extract/index.js';

const url = 'https://files.test/letter.rtf';
const octet = 'application/octet-stream';
const bytes = (rtf: string): Uint8Array => Buffer.from(rtf, 'latin1');

/** What Word and WordPad write, in small: a header of tables, an \info, a heading style and a body. */
const LETTER = String.raw`{\rtf1\ansi\ansicpg1252\deff0\uc1
{\fonttbl{\f0\froman\fcharset0 Times New Roman;}{\f1\fswiss Arial;}}
{\colortbl;\red0\green0\blue0;\red255\green0\blue0;}
{\stylesheet{\s0 Normal;}{\s1\b\fs32 heading 1;}{\s2\b\fs28 heading 2;}{\*\cs10 Default Paragraph Font;}}
{\info{\title The harbour report}{\author Ana Lima}{\company Port Authority}{\creatim\yr2024\mo3\dy15\hr9\min30}}
{\*\generator Riched20 10.0.19041}
{\header\pard Running header text\par}
\pard\s1 Harbour traffic\par
\pard\plain The harbour saw {\b record} traffic and {\i calmer} seas.\par
\pard Caf\'e9 prices rose \u8364? 2 \endash{} a \u8220?surprise\u8221?.\par
{\*\bkmkstart secret}{\pict\pngblip 89504e470d0a1a0a0000}
\pard See {\field{\*\fldinst{HYPERLINK "https://port.example/report"}}{\fldrslt{the full report}}} online.\par
\trowd\cellx2000\cellx4000
\pard\intbl Ship\cell Berths\cell\row
\trowd\cellx2000\cellx4000
\pard\intbl Aurora\cell 12\cell\row
\trowd\cellx2000\cellx4000
\pard\intbl Boreas\cell 7\cell\row
\pard\s2 Outlook\par
\pard Quiet weeks ahead.\par
}`;

describe('RTF', () => {
  it('reads paragraphs, headings by style, bold and italic, escapes, links, tables and \\info metadata', async () => {
    const doc = await extractDocument({
      url,
      contentType: octet,
      body: bytes(LETTER),
      formats: ['text', 'markdown', 'links'],
    });
    expect(doc).toMatchObject({
      mimeType: 'application/rtf',
      extractor: 'rtf',
      title: 'The harbour report',
      byline: 'Ana Lima',
      publishedTime: '2024-03-15T09:30:00.000Z',
    });
    expect(doc.metadata).toMatchObject({ author: 'Ana Lima' });
    const md = doc.markdown ?? '';
    expect(md).toContain('# Harbour traffic');
    expect(md).toContain('## Outlook');
    expect(md).toContain('The harbour saw **record** traffic and _calmer_ seas.');
    // \'e9 in windows-1252, \u8364 with its fallback "?" skipped, \endash, curly quotes.
    expect(doc.text).toContain('Café prices rose € 2 – a “surprise”.');
    expect(md).toContain('[the full report](https://port.example/report)');
    expect(doc.links).toContain('https://port.example/report');
    expect(md).toMatch(
      /\| Ship\s*\| Berths\s*\|\n\|\s*-+\s*\|\s*-+\s*\|\n\| Aurora\s*\| 12\s*\|\n\| Boreas\s*\| 7\s*\|/,
    );
    // Fonts, colours, styles, generator, header, bookmarks and pictures are not text.
    for (const absent of [
      'Times New Roman',
      'Arial',
      'Normal',
      'Riched20',
      'Running header',
      'secret',
      '89504e47',
      'Port Authority',
      'Default Paragraph',
    ]) {
      expect(doc.text).not.toContain(absent);
    }
  });

  it('reads \\ansicpg code pages and is chosen by its magic or by application/rtf and text/rtf', async () => {
    const cyrillic = String.raw`{\rtf1\ansi\ansicpg1251 \'cf\'f0\'e8\'e2\'e5\'f2, \'ec\'e8\'f0!\par}`;
    for (const contentType of [octet, 'application/rtf', 'text/rtf', undefined]) {
      const doc = await extractDocument({ url, contentType, body: bytes(cyrillic) });
      expect(doc.text).toBe('Привет, мир!');
    }
    await expect(
      extractDocument({ url, contentType: 'text/rtf', body: bytes('not rtf at all') }),
    ).rejects.toBeInstanceOf(UnsupportedContentTypeError);
  });

  it('stays bounded on hostile input: 100,000 nested groups, a \\bin claiming 2 GB, a 10 MB file', async () => {
    const deep = `{\\rtf1 ${'{'.repeat(100_000)}deep text${'}'.repeat(100_000)}\\par after\\par}`;
    const nested = await extractDocument({ url, contentType: octet, body: bytes(deep) });
    expect(nested.text).toContain('deep text');
    expect(nested.text).toContain('after');

    const bin = await extractDocument({
      url,
      contentType: octet,
      body: bytes('{\\rtf1 before\\par{\\pict\\bin2147483647 \u0000\u0001\u0002}never'),
    });
    expect(bin.text).toBe('before');

    const paragraph =
      String.raw`\pard The quick brown fox {\b jumps} over the lazy dog \u8212? again.\par` + '\n';
    const big = `{\\rtf1\\ansi ${paragraph.repeat(Math.ceil((10 * 1024 * 1024) / paragraph.length))}}`;
    expect(big.length).toBeGreaterThan(10 * 1024 * 1024);
    const started = process.cpuUsage();
    const doc = await extractDocument({
      url,
      contentType: 'application/rtf',
      body: bytes(big),
      formats: ['text'],
    });
    const cpuMs = (process.cpuUsage(started).user + process.cpuUsage(started).system) / 1000;
    // Every sentence is kept (past the HTML engine's 100,000 elements the paragraphs' tags go, not their text).
    expect(doc.text.split('again.').length - 1).toBe(Math.ceil((10 * 1024 * 1024) / paragraph.length));
    expect(doc.text).toContain('The quick brown fox jumps over the lazy dog — again.');
    // Generous: linear in the size (about 1–3 s of CPU here); a quadratic path would take minutes.
    expect(cpuMs).toBeLessThan(60_000);
  }, 120_000);

  let soffice: string | undefined;
  try {
    soffice = execFileSync('which', ['soffice'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    soffice = undefined;
  }
  it.skipIf(soffice === undefined)(
    'reads an RTF that LibreOffice wrote from an HTML page made here',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'distill-rtf-'));
      try {
        writeFileSync(
          join(dir, 'source.html'),
          '<html><body><h1>Tide tables</h1><p>Low tide comes at <b>noon</b>.</p><table><tr><td>Day</td><td>Height</td></tr><tr><td>Monday</td><td>1.2</td></tr><tr><td>Tuesday</td><td>1.4</td></tr></table></body></html>',
        );
        execFileSync(
          soffice!,
          ['--headless', '--convert-to', 'rtf', '--outdir', dir, join(dir, 'source.html')],
          { timeout: 120_000, stdio: 'ignore' },
        );
        const doc = await extractDocument({
          url,
          contentType: octet,
          body: readFileSync(join(dir, 'source.rtf')),
        });
        expect(doc.text).toContain('Low tide comes at noon.');
        expect(doc.markdown).toContain('Tide tables');
        expect(doc.markdown).toMatch(/\| Monday\s*\| 1\.2\s*\|/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    180_000,
  );
});
