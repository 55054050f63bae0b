import { afterEach, describe, expect, it } from 'vitest';
import {
  DecompressionLimitError,
  extractDocument,
  ExtractorPool,
  UnsupportedContentTypeError,
} from '../../src/extract/index.js';
import { epub, ods, odt, pptx, xlsx, zeros, zipParts } from '../helpers/office-fixtures.js';

const url = 'https://files.test/report';
const octet = 'application/octet-stream';

const pools: ExtractorPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

describe('XLSX', () => {
  it('turns each sheet into a heading and a GFM table, numbers and shared strings alike', async () => {
    const body = await xlsx([
      {
        name: 'Revenue',
        rows: [
          ['Region', 'Q1'],
          ['North', 1250],
          ['South | East', 980],
        ],
      },
      {
        name: 'Costs',
        rows: [
          ['Item', 'Amount'],
          ['Rent', 400],
        ],
      },
    ]);
    const doc = await extractDocument({ url, contentType: octet, body });
    expect(doc.mimeType).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(doc.extractor).toBe('xlsx');
    expect(doc.markdown).toContain('## Revenue');
    expect(doc.markdown).toMatch(/\| Region \| Q1 \|\n\| --- \| --- \|\n\| North \| 1250 \|/);
    expect(doc.markdown).toContain('South \\| East');
    expect(doc.markdown!.indexOf('## Revenue')).toBeLessThan(doc.markdown!.indexOf('## Costs'));
    expect(doc.text).toContain('Rent');
    expect(doc.metadata.sheetCount).toBe(2);
  });

  it('keeps the first rows and columns of a big sheet and says what it cut', async () => {
    const rows = Array.from({ length: 30 }, (_, r) => Array.from({ length: 8 }, (_, c) => `r${r}c${c}`));
    const doc = await extractDocument({
      url,
      contentType: octet,
      body: await xlsx([{ name: 'Big', rows }]),
      maxSheetRows: 10,
      maxSheetColumns: 3,
    });
    expect(doc.markdown).toContain('| r9c0 | r9c1 | r9c2 |');
    expect(doc.markdown).not.toContain('r10c0');
    expect(doc.markdown).not.toContain('r0c3');
    expect(doc.markdown).toContain(
      '20 more rows and 5 more columns not shown; the sheet has 30 rows and 8 columns',
    );
  });
});

describe('PPTX', () => {
  it('reads slides in presentation order, titles as headings, text, links and notes', async () => {
    const body = await pptx([
      {
        title: 'Roadmap 2027',
        paragraphs: ['Ship the offline mode'],
        notes: 'Mention the beta testers',
        link: { text: 'tracker', url: 'https://plan.test/board' },
      },
      { title: 'Budget', paragraphs: ['Hire two engineers'] },
    ]);
    const doc = await extractDocument({ url, contentType: octet, body });
    expect(doc.extractor).toBe('pptx');
    expect(doc.title).toBe('Roadmap 2027');
    const markdown = doc.markdown!;
    expect(markdown).toContain('## Roadmap 2027');
    expect(markdown).toContain('Ship the offline mode');
    expect(markdown).toContain('[tracker](https://plan.test/board)');
    expect(markdown).toMatch(/> \*\*Notes:\*\*\n>\n> Mention the beta testers/);
    expect(markdown.indexOf('## Roadmap 2027')).toBeLessThan(markdown.indexOf('## Budget'));
    expect(doc.links).toContain('https://plan.test/board');
    expect(doc.metadata.slideCount).toBe(2);

    const withoutNotes = await extractDocument({ url, contentType: octet, body, includeSlideNotes: false });
    expect(withoutNotes.markdown).not.toContain('beta testers');
  });
});

describe('ODT and ODS', () => {
  it('reads an ODT: heading, paragraph, link, list and table, without its footnotes', async () => {
    const doc = await extractDocument({
      url,
      contentType: 'application/vnd.oasis.opendocument.text',
      body: await odt(),
    });
    expect(doc.extractor).toBe('odt');
    expect(doc.title).toBe('Heron diary');
    expect(doc.byline).toBe('Ada Lovelace');
    expect(doc.lang).toBe('en-GB');
    expect(doc.markdown).toContain('# Field notes');
    expect(doc.markdown).toContain('[the heron page](https://birds.test/heron)');
    expect(doc.markdown).toMatch(/^- First sighting$/m);
    expect(doc.markdown).toContain('| Grey heron | 3 |');
    expect(doc.text).not.toContain('HIDDEN NOTE');
  });

  it('reads an ODS sheet with repeated rows, ignoring a million trailing empty ones', async () => {
    const doc = await extractDocument({ url, contentType: octet, body: await ods() });
    expect(doc.extractor).toBe('ods');
    expect(doc.markdown).toContain('## Inventory');
    expect(doc.markdown).toContain('| Lantern | 12 |');
    expect(doc.markdown!.match(/\| Rope \| 7 \|/g)).toHaveLength(3);
    expect(doc.metadata.sheets).toBe('Inventory: 5×2');
  });
});

describe('EPUB', () => {
  it('reads chapters in spine order with the package metadata; links into the book are dropped', async () => {
    const body = await epub([
      { title: 'Chapter One: The Storm', text: 'The lamp burned all night.' },
      { title: 'Chapter Two: The Ship', text: 'A sail appeared at noon.' },
    ]);
    const doc = await extractDocument({ url, contentType: 'application/epub+zip', body });
    expect(doc.extractor).toBe('epub');
    expect(doc.title).toBe('The Lighthouse Keeper');
    expect(doc.byline).toBe('M. Shelley');
    expect(doc.publishedTime).toBe('2021-05-04T00:00:00.000Z');
    const markdown = doc.markdown!;
    expect(markdown.indexOf('# Chapter One')).toBeGreaterThanOrEqual(0);
    expect(markdown.indexOf('# Chapter One')).toBeLessThan(markdown.indexOf('# Chapter Two'));
    expect(markdown).toContain('A sail appeared at noon.');
    expect(markdown).not.toContain('ch1.xhtml');
    expect(doc.metadata.chapterCount).toBe(2);
  });
});

describe('CSV, JSON and XML', () => {
  it('reads CSV with quoted fields and semicolons as a table', async () => {
    const body = Buffer.from('name;city;note\n"Smith, J.";Lyon;"said ""hi"""\nDoe;Oslo;\n');
    const doc = await extractDocument({ url, contentType: 'text/csv; charset=utf-8', body });
    expect(doc.extractor).toBe('csv');
    expect(doc.markdown).toContain('| name | city | note |');
    expect(doc.markdown).toContain('| Smith, J. | Lyon | said "hi" |');
  });

  it('cuts a long CSV and notes the rows left out', async () => {
    const body = Buffer.from(['a,b', ...Array.from({ length: 5000 }, (_, i) => `${i},x${i}`)].join('\n'));
    const doc = await extractDocument({ url, contentType: 'text/csv', body, maxSheetRows: 100 });
    expect(doc.markdown).toContain('| 98 | x98 |');
    expect(doc.markdown).not.toContain('| 99 | x99 |');
    expect(doc.markdown).toContain('4901 more rows not shown');
  });

  it('keeps JSON as indented text and a fenced block, and XML as its source', async () => {
    const json = await extractDocument({
      url,
      contentType: 'application/json',
      body: Buffer.from('{"name":"distill","tags":["a","b"]}'),
    });
    expect(json.extractor).toBe('json');
    expect(json.text).toContain('"name": "distill"');
    expect(json.markdown).toMatch(/^```json\n\{\n {2}"name"/);
    const feed = await extractDocument({
      url,
      contentType: 'application/xml',
      body: Buffer.from('<?xml version="1.0"?><items><item>Alpha &amp; Omega</item></items>'),
    });
    expect(feed.extractor).toBe('xml');
    expect(feed.markdown).toContain('<item>Alpha &amp; Omega</item>');
  });
});

describe('bad office files', () => {
  it('stops a zip bomb inside an XLSX, PPTX or EPUB with decompression_limit, in a thread, and the pool goes on', async () => {
    const pool = new ExtractorPool({ threads: 1, maxInflatedBytes: 8 * 1024 * 1024 });
    pools.push(pool);
    const bombs = [
      await xlsx([{ name: 'S', rows: [['a']] }], [['xl/media/bomb.bin', zeros(64 * 1024 * 1024)]]),
      await zipParts([
        ['ppt/presentation.xml', '<p:presentation/>'],
        ['ppt/slides/slide1.xml', zeros(64 * 1024 * 1024)],
      ]),
      await zipParts([
        ['mimetype', 'application/epub+zip', { isStored: true }],
        ['OEBPS/ch1.xhtml', zeros(64 * 1024 * 1024)],
      ]),
    ];
    for (const body of bombs) {
      await expect(pool.run({ url, contentType: octet, body })).rejects.toBeInstanceOf(
        DecompressionLimitError,
      );
    }
    const doc = await pool.run({
      url,
      contentType: octet,
      body: await xlsx([{ name: 'After', rows: [['still', 'works']] }]),
    });
    expect(doc.markdown).toContain('| still | works |');
  });

  it('does not take a file that lies about its type: a zip called a workbook, a PNG called a PDF', async () => {
    await expect(
      extractDocument({
        url,
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        body: await zipParts([['readme.txt', 'hello']]),
      }),
    ).rejects.toBeInstanceOf(UnsupportedContentTypeError);
    // A deck served as a workbook is read as the deck it is.
    const deck = await extractDocument({
      url,
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      body: await pptx([{ title: 'Honest deck', paragraphs: [] }]),
    });
    expect(deck.extractor).toBe('pptx');
  });
});
