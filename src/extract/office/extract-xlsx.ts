import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { readZip } from '../zip-limits.js';
import { documentFromHtml } from './html-document.js';
import { SheetBuilder, type SheetLimits } from './sheet-table.js';
import { localName, partText, readRelationships, readXml } from './xml-sax.js';

/** Options of the spreadsheet extractors. */
export interface SheetExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  maxInflatedBytes?: number | undefined;
  limits: SheetLimits;
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/*
 * SpreadsheetML read by hand over readZip: SheetJS and ExcelJS unzip the archive themselves (no
 * inflation limit) and build every cell in memory; the parts we need are three small schemas.
 */

/** `BC12` → column 54 (0-based), or -1. */
export function columnIndex(reference: string): number {
  let column = 0;
  let i = 0;
  for (; i < reference.length; i++) {
    const code = reference.charCodeAt(i);
    if (code < 65 || code > 90) break;
    column = column * 26 + (code - 64);
  }
  return i === 0 ? -1 : column - 1;
}

function readSharedStrings(xml: string | null): string[] {
  const strings: string[] = [];
  if (xml === null) return strings;
  let current: string | null = null;
  let inText = false;
  let phoneticDepth = 0;
  readXml(xml, {
    onOpen: (name) => {
      const local = localName(name);
      if (local === 'si') current = '';
      else if (local === 'rPh') phoneticDepth++;
      else if (local === 't' && phoneticDepth === 0) inText = true;
    },
    onText: (text) => {
      if (inText && current !== null) current += text;
    },
    onClose: (name) => {
      const local = localName(name);
      if (local === 't') inText = false;
      else if (local === 'rPh') phoneticDepth--;
      else if (local === 'si') {
        strings.push(current ?? '');
        current = null;
      }
    },
  });
  return strings;
}

function readSheet(xml: string, sheet: SheetBuilder, shared: readonly string[]): void {
  let rowIndex = -1;
  let nextRow = 0;
  let cells = new Map<number, string>();
  let cell: { column: number; type: string; value: string; inValue: boolean } | null = null;
  let nextColumn = 0;
  readXml(xml, {
    onOpen: (name, attributes) => {
      const local = localName(name);
      if (local === 'row') {
        rowIndex = attributes.r ? Number(attributes.r) - 1 : nextRow;
        if (!Number.isSafeInteger(rowIndex) || rowIndex < 0) rowIndex = nextRow;
        cells = new Map();
        nextColumn = 0;
      } else if (local === 'c') {
        const column = attributes.r ? columnIndex(attributes.r) : nextColumn;
        cell = {
          column: column < 0 ? nextColumn : column,
          type: attributes.t ?? 'n',
          value: '',
          inValue: false,
        };
      } else if (cell && (local === 'v' || local === 't')) {
        cell.inValue = true;
      }
    },
    onText: (text) => {
      if (cell?.inValue && !sheet.isFull) cell.value += text;
    },
    onClose: (name) => {
      const local = localName(name);
      if (cell && (local === 'v' || local === 't')) cell.inValue = false;
      else if (local === 'c' && cell) {
        let value = cell.value;
        if (cell.type === 's') value = shared[Number(value)] ?? '';
        else if (cell.type === 'b') value = value === '1' ? 'TRUE' : value === '0' ? 'FALSE' : value;
        // A row past the limit is still counted, so its cells must not look empty.
        cells.set(cell.column, sheet.isFull && value === '' ? '' : sheet.isFull ? 'x' : value);
        nextColumn = cell.column + 1;
        cell = null;
      } else if (local === 'row') {
        sheet.setRow(rowIndex, cells);
        nextRow = rowIndex + 1;
      }
    },
  });
}

/** Extracts an XLSX workbook: each sheet, in workbook order, as a heading and a GFM table. */
export async function extractXlsx(
  body: Uint8Array,
  options: SheetExtractOptions,
): Promise<ExtractedDocument> {
  const entries = await readZip(body, { maxTotalBytes: options.maxInflatedBytes });
  const workbook = partText(entries, 'xl/workbook.xml');
  if (workbook === null)
    throw new ExtractionFailedError(`The XLSX workbook at ${options.url} has no xl/workbook.xml`);
  const rels = readRelationships(entries, 'xl/workbook.xml');
  const sheets: { name: string; part: string }[] = [];
  readXml(workbook, {
    onOpen: (name, attributes) => {
      if (localName(name) !== 'sheet') return;
      const id =
        attributes['r:id'] ??
        Object.entries(attributes).find(([key]) => localName(key) === 'id' && key !== 'sheetId')?.[1];
      const target = id ? rels.get(id)?.target : undefined;
      if (target) sheets.push({ name: attributes.name ?? `Sheet ${sheets.length + 1}`, part: target });
    },
  });
  const shared = readSharedStrings(partText(entries, 'xl/sharedStrings.xml'));
  let html = '';
  const sizes: string[] = [];
  for (const { name, part } of sheets) {
    const xml = partText(entries, part);
    if (xml === null) continue;
    const sheet = new SheetBuilder(name, options.limits);
    readSheet(xml, sheet, shared);
    html += sheet.toHtml();
    sizes.push(`${name}: ${sheet.size.rows}×${sheet.size.columns}`);
  }
  return documentFromHtml(html, {
    url: options.url,
    formats: options.formats,
    mimeType: XLSX_TYPE,
    extractor: 'xlsx',
    title: coreTitle(entries),
    metadata: { sheetCount: sheets.length, sheets: sizes.join('; ') },
  });
}

/** `dc:title` of an OOXML package's docProps/core.xml, when set. */
export function coreTitle(entries: ReadonlyMap<string, Uint8Array>): string | null {
  const xml = partText(entries, 'docProps/core.xml');
  if (xml === null) return null;
  let title = '';
  let inTitle = false;
  readXml(xml, {
    onOpen: (name) => {
      inTitle = name === 'dc:title';
    },
    onText: (text) => {
      if (inTitle) title += text;
    },
    onClose: () => {
      inTitle = false;
    },
  });
  return title.trim() || null;
}
