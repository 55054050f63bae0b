import { Readable } from 'node:stream';
import yazl from 'yazl';

/*
 * Real office files, written by the tests with yazl: the smallest packages that Excel, PowerPoint,
 * LibreOffice and EPUB readers open (content types, relationships, parts). Text is XML-escaped.
 */

export type ZipPart = [name: string, content: string | Buffer | Readable, options?: { isStored?: boolean }];

/** A real zip, written by yazl (deflate unless stored), of the given parts in order. */
export async function zipParts(parts: readonly ZipPart[]): Promise<Buffer> {
  const file = new yazl.ZipFile();
  for (const [name, content, options] of parts) {
    if (content instanceof Readable) file.addReadStream(content, name, { compressionLevel: 9 });
    else file.addBuffer(Buffer.from(content), name, { compress: !options?.isStored });
  }
  file.end();
  const chunks: Buffer[] = [];
  for await (const chunk of file.outputStream as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A stream of `bytes` zero bytes, a megabyte at a time (a bomb's payload). */
export function zeros(bytes: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let left = bytes;
  return new Readable({
    read() {
      const size = Math.min(left, chunk.length);
      left -= size;
      this.push(size > 0 ? chunk.subarray(0, size) : null);
    },
  });
}

export const xml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const rels = (items: readonly { id: string; type: string; target: string; external?: boolean }[]): string =>
  `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${items
    .map(
      (r) =>
        `<Relationship Id="${r.id}" Type="${REL_NS}/${r.type}" Target="${xml(r.target)}"${r.external ? ' TargetMode="External"' : ''}/>`,
    )
    .join('')}</Relationships>`;

/** An XLSX workbook; cells that are numbers are written as numbers, strings as shared strings. */
export function xlsx(
  sheets: readonly { name: string; rows: readonly (readonly (string | number)[])[] }[],
  extra: readonly ZipPart[] = [],
): Promise<Buffer> {
  const shared: string[] = [];
  const sheetXml = (rows: readonly (readonly (string | number)[])[]): string => {
    const body = rows
      .map((row, r) => {
        const cells = row
          .map((value, c) => {
            const ref = `${String.fromCharCode(65 + (c % 26))}${c >= 26 ? '' : ''}${r + 1}`;
            if (typeof value === 'number') return `<c r="${ref}"><v>${value}</v></c>`;
            shared.push(value);
            return `<c r="${ref}" t="s"><v>${shared.length - 1}</v></c>`;
          })
          .join('');
        return `<row r="${r + 1}">${cells}</row>`;
      })
      .join('');
    return `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${body}</sheetData></worksheet>`;
  };
  const sheetParts: ZipPart[] = sheets.map((sheet, i) => [
    `xl/worksheets/sheet${i + 1}.xml`,
    sheetXml(sheet.rows),
  ]);
  const workbook = `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="${REL_NS}"><sheets>${sheets
    .map((sheet, i) => `<sheet name="${xml(sheet.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
    .join('')}</sheets></workbook>`;
  const sst = `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${shared.length}">${shared.map((s) => `<si><t>${xml(s)}</t></si>`).join('')}</sst>`;
  return zipParts([
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
    ],
    ['_rels/.rels', rels([{ id: 'rId1', type: 'officeDocument', target: 'xl/workbook.xml' }])],
    ['xl/workbook.xml', workbook],
    [
      'xl/_rels/workbook.xml.rels',
      rels([
        ...sheets.map((_, i) => ({
          id: `rId${i + 1}`,
          type: 'worksheet',
          target: `worksheets/sheet${i + 1}.xml`,
        })),
        { id: 'rIdS', type: 'sharedStrings', target: 'sharedStrings.xml' },
      ]),
    ],
    ...sheetParts,
    ['xl/sharedStrings.xml', sst],
    ...extra,
  ]);
}

/** A PPTX deck: each slide a title, bullet paragraphs, optional link and notes. */
export function pptx(
  slides: readonly {
    title: string;
    paragraphs: readonly string[];
    notes?: string;
    link?: { text: string; url: string };
  }[],
): Promise<Buffer> {
  const P =
    'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:r="' +
    REL_NS +
    '"';
  const shape = (type: string | null, paragraphs: string): string =>
    `<p:sp><p:nvSpPr><p:cNvPr id="2" name="s"/><p:cNvSpPr/><p:nvPr>${type ? `<p:ph type="${type}"/>` : ''}</p:nvPr></p:nvSpPr><p:txBody><a:bodyPr/>${paragraphs}</p:txBody></p:sp>`;
  const para = (text: string): string => `<a:p><a:r><a:t>${xml(text)}</a:t></a:r></a:p>`;
  const parts: ZipPart[] = [];
  slides.forEach((slide, i) => {
    const n = i + 1;
    const linkPara = slide.link
      ? `<a:p><a:r><a:rPr><a:hlinkClick r:id="rIdL"/></a:rPr><a:t>${xml(slide.link.text)}</a:t></a:r></a:p>`
      : '';
    parts.push([
      `ppt/slides/slide${n}.xml`,
      `<?xml version="1.0" encoding="UTF-8"?><p:sld ${P}><p:cSld><p:spTree>${shape('title', para(slide.title))}${shape(null, slide.paragraphs.map(para).join('') + linkPara)}</p:spTree></p:cSld></p:sld>`,
    ]);
    const slideRels = [];
    if (slide.link) slideRels.push({ id: 'rIdL', type: 'hyperlink', target: slide.link.url, external: true });
    if (slide.notes !== undefined) {
      slideRels.push({ id: 'rIdN', type: 'notesSlide', target: `../notesSlides/notesSlide${n}.xml` });
      parts.push([
        `ppt/notesSlides/notesSlide${n}.xml`,
        `<?xml version="1.0" encoding="UTF-8"?><p:notes ${P}><p:cSld><p:spTree>${shape('sldImg', '')}${shape('body', para(slide.notes))}</p:spTree></p:cSld></p:notes>`,
      ]);
    }
    parts.push([`ppt/slides/_rels/slide${n}.xml.rels`, rels(slideRels)]);
  });
  // Slides listed in reverse part order, so that presentation order (not part names) is tested.
  const order = slides.map((_, i) => i + 1);
  return zipParts([
    [
      '[Content_Types].xml',
      '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    ],
    ['_rels/.rels', rels([{ id: 'rId1', type: 'officeDocument', target: 'ppt/presentation.xml' }])],
    [
      'ppt/presentation.xml',
      `<?xml version="1.0" encoding="UTF-8"?><p:presentation ${P}><p:sldIdLst>${order.map((n) => `<p:sldId id="${255 + n}" r:id="rId${n}"/>`).join('')}</p:sldIdLst></p:presentation>`,
    ],
    [
      'ppt/_rels/presentation.xml.rels',
      rels(order.map((n) => ({ id: `rId${n}`, type: 'slide', target: `slides/slide${n}.xml` }))),
    ],
    ...parts.reverse(),
  ]);
}

const ODF_NS =
  'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"';

function odf(mimeType: string, body: string, title: string): Promise<Buffer> {
  return zipParts([
    ['mimetype', mimeType, { isStored: true }],
    [
      'META-INF/manifest.xml',
      `<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="/" manifest:media-type="${mimeType}"/></manifest:manifest>`,
    ],
    [
      'content.xml',
      `<?xml version="1.0" encoding="UTF-8"?><office:document-content ${ODF_NS}><office:body>${body}</office:body></office:document-content>`,
    ],
    [
      'meta.xml',
      `<?xml version="1.0" encoding="UTF-8"?><office:document-meta ${ODF_NS}><office:meta><dc:title>${xml(title)}</dc:title><meta:initial-creator>Ada Lovelace</meta:initial-creator><dc:language>en-GB</dc:language></office:meta></office:document-meta>`,
    ],
  ]);
}

/** An ODT with a heading, a paragraph with a link, a list and a table. */
export function odt(): Promise<Buffer> {
  return odf(
    'application/vnd.oasis.opendocument.text',
    `<office:text><text:h text:outline-level="1">Field notes</text:h><text:p>The heron returned<text:s text:c="2"/>at dawn, see <text:a xlink:href="https://birds.test/heron">the heron page</text:a>.</text:p><text:list><text:list-item><text:p>First sighting</text:p></text:list-item><text:list-item><text:p>Second sighting</text:p></text:list-item></text:list><table:table table:name="T"><table:table-row><table:table-cell><text:p>Species</text:p></table:table-cell><table:table-cell><text:p>Count</text:p></table:table-cell></table:table-row><table:table-row><table:table-cell><text:p>Grey heron</text:p></table:table-cell><table:table-cell><text:p>3</text:p></table:table-cell></table:table-row></table:table><text:p>Footnote<text:note><text:note-body><text:p>HIDDEN NOTE</text:p></text:note-body></text:note> after.</text:p></office:text>`,
    'Heron diary',
  );
}

/** An ODS with one sheet, repeated rows and trailing empty repeats as LibreOffice writes them. */
export function ods(): Promise<Buffer> {
  const row = (cells: string): string => `<table:table-row>${cells}</table:table-row>`;
  const cell = (text: string, repeat = 1): string =>
    `<table:table-cell${repeat > 1 ? ` table:number-columns-repeated="${repeat}"` : ''}><text:p>${xml(text)}</text:p></table:table-cell>`;
  return odf(
    'application/vnd.oasis.opendocument.spreadsheet',
    `<office:spreadsheet><table:table table:name="Inventory">${row(cell('Item') + cell('Stock'))}${row(cell('Lantern') + cell('12'))}<table:table-row table:number-rows-repeated="3">${cell('Rope') + cell('7')}</table:table-row><table:table-row table:number-rows-repeated="1048570"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table></office:spreadsheet>`,
    'Stock list',
  );
}

/** An EPUB 3 book whose spine order differs from its manifest's and its part names'. */
export function epub(chapters: readonly { title: string; text: string }[]): Promise<Buffer> {
  const order = chapters.map((_, i) => i).reverse();
  return zipParts([
    ['mimetype', 'application/epub+zip', { isStored: true }],
    [
      'META-INF/container.xml',
      '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
    ],
    [
      'OEBPS/content.opf',
      `<?xml version="1.0" encoding="UTF-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The Lighthouse Keeper</dc:title><dc:creator>M. Shelley</dc:creator><dc:language>en</dc:language><dc:date>2021-05-04</dc:date></metadata><manifest>${order
        .map(
          (i) =>
            `<item id="c${i}" href="text/ch${order.length - i}.xhtml" media-type="application/xhtml+xml"/>`,
        )
        .join(
          '',
        )}</manifest><spine>${chapters.map((_, i) => `<itemref idref="c${i}"/>`).join('')}</spine></package>`,
    ],
    ...chapters.map((chapter, i): ZipPart => [
      `OEBPS/text/ch${chapters.length - i}.xhtml`,
      `<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>${xml(chapter.title)}</title></head><body><h1>${xml(chapter.title)}</h1><p>${xml(chapter.text)} <a href="ch1.xhtml#x">back</a></p></body></html>`,
    ]),
  ]);
}

/** A DOCX (Word) document: one `w:p` per paragraph, in the smallest package Word opens. */
export function docx(paragraphs: readonly string[]): Promise<Buffer> {
  const main = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml';
  return zipParts([
    [
      '[Content_Types].xml',
      `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="${main}"/></Types>`,
    ],
    ['_rels/.rels', rels([{ id: 'rId1', type: 'officeDocument', target: 'word/document.xml' }])],
    [
      'word/document.xml',
      `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>${paragraphs.map((text) => `<w:p><w:r><w:t>${xml(text)}</w:t></w:r></w:p>`).join('')}</w:body></w:document>`,
    ],
  ]);
}
