import type { ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { readZip } from '../zip-limits.js';
import { documentFromHtml } from './html-document.js';
import { odfSpecialCharacter } from './odf-text.js';
import { SheetBuilder } from './sheet-table.js';
import type { SheetExtractOptions } from './extract-xlsx.js';
import { partText, readXml } from './xml-sax.js';
import { odfMeta } from './extract-odt.js';

export const ODS_TYPE = 'application/vnd.oasis.opendocument.spreadsheet';

/** Repeats of a row or cell (`number-rows-repeated` is often 1048576 on trailing empty rows). */
function repeats(value: string | undefined): number {
  const count = Number(value ?? 1);
  return Number.isSafeInteger(count) && count > 0 ? count : 1;
}

/** Extracts an OpenDocument spreadsheet: each table as a heading and a GFM table, like XLSX. */
export async function extractOds(body: Uint8Array, options: SheetExtractOptions): Promise<ExtractedDocument> {
  const entries = await readZip(body, { maxTotalBytes: options.maxInflatedBytes });
  const content = partText(entries, 'content.xml');
  if (content === null)
    throw new ExtractionFailedError(`The ODS document at ${options.url} has no content.xml`);
  const { maxRows, maxColumns } = options.limits;
  let html = '';
  const sizes: string[] = [];
  let sheet: SheetBuilder | null = null;
  let row = 0;
  let rowRepeat = 1;
  let cells = new Map<number, string>();
  let column = 0;
  let cell: { repeat: number; text: string; paragraphs: number } | null = null;
  let tableDepth = 0;
  readXml(content, {
    onOpen: (name, attributes) => {
      if (name === 'table:table') {
        tableDepth++;
        if (tableDepth === 1) {
          sheet = new SheetBuilder(attributes['table:name'] ?? `Sheet ${sizes.length + 1}`, options.limits);
          row = 0;
        }
      } else if (tableDepth !== 1) {
        return;
      } else if (name === 'table:table-row') {
        rowRepeat = repeats(attributes['table:number-rows-repeated']);
        cells = new Map();
        column = 0;
      } else if (name === 'table:table-cell' || name === 'table:covered-table-cell') {
        cell = { repeat: repeats(attributes['table:number-columns-repeated']), text: '', paragraphs: 0 };
      } else if (cell && name === 'text:p') {
        if (cell.paragraphs++ > 0) cell.text += '\n';
      } else if (cell) {
        const special = odfSpecialCharacter(name, attributes);
        if (special !== null) cell.text += special;
      }
    },
    onText: (text) => {
      if (cell && tableDepth === 1 && cell.text.length < 32_768) cell.text += text;
    },
    onClose: (name) => {
      if (name === 'table:table') {
        if (tableDepth === 1 && sheet) {
          html += sheet.toHtml();
          sizes.push(`${sheet.name}: ${sheet.size.rows}×${sheet.size.columns}`);
          sheet = null;
        }
        tableDepth--;
      } else if (tableDepth !== 1) {
        return;
      } else if ((name === 'table:table-cell' || name === 'table:covered-table-cell') && cell) {
        if (cell.text.trim() !== '') {
          // Repeated columns are kept up to the limit; the last repeat is set too, so the count is right.
          const kept = Math.min(cell.repeat, Math.max(0, maxColumns - column));
          for (let k = 0; k < kept; k++) cells.set(column + k, cell.text);
          if (cell.repeat > kept) cells.set(column + cell.repeat - 1, cell.text);
        }
        column += cell.repeat;
        cell = null;
      } else if (name === 'table:table-row' && sheet) {
        const current: SheetBuilder = sheet;
        if (cells.size > 0) {
          const kept = Math.min(rowRepeat, Math.max(1, maxRows - row));
          for (let k = 0; k < kept; k++) current.setRow(row + k, cells);
          if (rowRepeat > kept) current.setRow(row + rowRepeat - 1, cells);
        }
        row += rowRepeat;
      }
    },
  });
  const meta = odfMeta(entries);
  return documentFromHtml(html, {
    url: options.url,
    formats: options.formats,
    mimeType: ODS_TYPE,
    extractor: 'ods',
    title: meta.title,
    byline: meta.author,
    metadata: { sheetCount: sizes.length, sheets: sizes.join('; ') },
  });
}
