import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import {
  DecompressionLimitError,
  ExtractionFailedError,
  extractDocument,
  ExtractorPool,
  readZip,
} from '../../src/extract/index.js';

const DOCX_TYPE = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const MB = 1024 * 1024;

const CONTENT_TYPES =
  '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>';
const RELS =
  '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>';
const documentXml = (paragraphs: readonly string[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.map((text) => `<w:p><w:r><w:t>${text}</w:t></w:r></w:p>`).join('')}</w:body></w:document>`;

/** A stream of `bytes` zero bytes, a megabyte at a time, so the test never holds them all. */
function zeros(bytes: number): Readable {
  const chunk = Buffer.alloc(MB);
  let left = bytes;
  return new Readable({
    read() {
      const size = Math.min(left, chunk.length);
      left -= size;
      this.push(size > 0 ? chunk.subarray(0, size) : null);
    },
  });
}

type Part = [name: string, content: string | Buffer | Readable];

/** A real zip, written by yazl (deflate), of the given parts. */
async function zip(parts: readonly Part[]): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, content] of parts) {
    if (content instanceof Readable) file.addReadStream(content, name, { compressionLevel: 9 });
    else file.addBuffer(Buffer.from(content), name);
  }
  file.end();
  const chunks: Buffer[] = [];
  for await (const chunk of file.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const docx = (
  extra: readonly Part[] = [],
  paragraphs = ['Quarterly report', 'Sales grew in every region this quarter.'],
): Promise<Buffer> =>
  zip([
    ['[Content_Types].xml', CONTENT_TYPES],
    ['_rels/.rels', RELS],
    ['word/document.xml', documentXml(paragraphs)],
    ...extra,
  ]);

/** Rewrites the uncompressed size that the central directory declares for every entry. */
function declareSize(archive: Buffer, size: number): Buffer {
  const patched = Buffer.from(archive);
  for (
    let at = patched.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    at >= 0;
    at = patched.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)
  ) {
    patched.writeUInt32LE(size, at + 24);
  }
  return patched;
}

const pools: ExtractorPool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.stop()));
});

describe('DOCX extraction', () => {
  it('extracts the text of a Word document', async () => {
    const document = await extractDocument({
      url: 'https://example.com/report.docx',
      contentType: DOCX_TYPE,
      body: await docx(),
    });
    expect(document.extractor).toBe('docx');
    expect(document.text).toContain('Sales grew in every region this quarter.');
    expect(document.title).toBe('Quarterly report');
  });

  it(
    'fails a decompression bomb with decompression_limit, and the process memory stays bounded',
    { timeout: 120_000 },
    async () => {
      // 200 MB of zeros as word/document.xml: about 200 KB on the wire.
      const bomb = await zip([
        ['[Content_Types].xml', CONTENT_TYPES],
        ['_rels/.rels', RELS],
        ['word/document.xml', zeros(200 * MB)],
      ]);
      expect(bomb.byteLength).toBeLessThan(MB);
      const pool = new ExtractorPool({ threads: 2 });
      pools.push(pool);
      // Threads started and warm, so that their own memory is in the baseline.
      await pool.run({ url: 'https://example.com/warm.docx', contentType: DOCX_TYPE, body: await docx() });
      const baseline = process.memoryUsage.rss();
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, process.memoryUsage.rss());
      }, 5);
      try {
        const results = await Promise.allSettled(
          [0, 1, 2].map((i) =>
            pool.run({
              url: `https://example.com/bomb-${i}.docx`,
              contentType: DOCX_TYPE,
              body: Buffer.from(bomb),
            }),
          ),
        );
        for (const result of results) {
          expect(result.status).toBe('rejected');
          expect((result as PromiseRejectedResult).reason).toBeInstanceOf(DecompressionLimitError);
          expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'decompression_limit' });
        }
      } finally {
        clearInterval(sampler);
      }
      // Before the limit, one such file took the process up by over 600 MB. Generous: 150 MB.
      expect(peak - baseline).toBeLessThan(150 * MB);
      // The pool still works.
      const document = await pool.run({
        url: 'https://example.com/after.docx',
        contentType: DOCX_TYPE,
        body: await docx(),
      });
      expect(document.text).toContain('Sales grew');
    },
  );

  it('recycles the threads after a document that grows the process memory', { timeout: 60_000 }, async () => {
    const pool = new ExtractorPool({ threads: 1, maxRssGrowthMb: 8 });
    pools.push(pool);
    // 40 MB of media that the text never uses, within the 50 MB limit: inflated, held, released.
    await pool.run({
      url: 'https://example.com/big.docx',
      contentType: DOCX_TYPE,
      body: await docx([['word/media/big.bin', zeros(40 * MB)]]),
    });
    await pool.run({ url: 'https://example.com/next.docx', contentType: DOCX_TYPE, body: await docx() });
    expect(pool.stats().recycled).toBeGreaterThanOrEqual(1);
  });
});

describe('readZip', () => {
  it('reads every file of an archive', async () => {
    const entries = await readZip(
      await zip([
        ['a.txt', 'alpha'],
        ['dir/b.txt', 'beta'],
      ]),
    );
    expect([...entries.keys()]).toEqual(['a.txt', 'dir/b.txt']);
    expect(Buffer.from(entries.get('dir/b.txt')!).toString()).toBe('beta');
  });

  it('refuses an entry that declares more than the limit, before inflating it', async () => {
    const archive = await zip([['big.bin', zeros(2 * MB)]]);
    await expect(readZip(archive, { maxTotalBytes: MB })).rejects.toMatchObject({
      code: 'decompression_limit',
    });
  });

  it('refuses entries that are each within the limit but over it together', async () => {
    const archive = await zip([
      ['one.bin', zeros(600 * 1024)],
      ['two.bin', zeros(600 * 1024)],
    ]);
    await expect(readZip(archive, { maxTotalBytes: MB })).rejects.toBeInstanceOf(DecompressionLimitError);
    await expect(
      readZip(archive, { maxTotalBytes: 2 * MB, maxEntryBytes: 500 * 1024 }),
    ).rejects.toBeInstanceOf(DecompressionLimitError);
  });

  it('stops an entry that inflates past the size it declares', async () => {
    const lying = declareSize(await zip([['small.xml', zeros(20 * MB)]]), 1000);
    await expect(readZip(lying)).rejects.toMatchObject({
      code: 'decompression_limit',
      message: expect.stringContaining('declared size of 1000'),
    });
  });

  it('refuses archives with too many entries', async () => {
    const archive = await zip(Array.from({ length: 20 }, (_, i): Part => [`f${i}.txt`, 'x']));
    await expect(readZip(archive, { maxEntries: 10 })).rejects.toMatchObject({ code: 'decompression_limit' });
  });

  it('fails a corrupt archive with extraction_failed', async () => {
    await expect(readZip(Buffer.from('PK\x03\x04 not really a zip'))).rejects.toBeInstanceOf(
      ExtractionFailedError,
    );
  });
});
