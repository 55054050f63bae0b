import { parse } from 'csv-parse/sync';
import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { documentFromHtml } from './html-document.js';
import { SheetBuilder, type SheetLimits } from './sheet-table.js';

/** Options of {@link extractCsv}. */
export interface CsvExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  mimeType: string;
  limits: SheetLimits;
}

/** The delimiter of a CSV: tab for TSV, else whichever of `,` `;` `\t` `|` the first line has most of. */
export function sniffDelimiter(text: string, mimeType: string): string {
  if (mimeType === 'text/tab-separated-values') return '\t';
  const firstLine = text.slice(0, Math.min(text.length, 8192)).split('\n', 1)[0] ?? '';
  let best = ',';
  let bestCount = 0;
  for (const candidate of [',', ';', '\t', '|']) {
    const count = firstLine.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}

/** Extracts CSV or TSV (csv-parse, lenient on ragged rows and stray quotes) as one GFM table. */
export function extractCsv(source: string, options: CsvExtractOptions): ExtractedDocument {
  const sheet = new SheetBuilder('Table', options.limits);
  let row = 0;
  try {
    parse(source, {
      delimiter: sniffDelimiter(source, options.mimeType),
      bom: true,
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: true,
      // Records are handed to the sheet one by one and dropped, so memory stays at the sheet's limits.
      on_record: (record: string[]) => {
        sheet.setRow(row++, sheet.isFull ? record.map((value) => (value === '' ? '' : 'x')) : record);
        return null;
      },
    });
  } catch (error) {
    throw new ExtractionFailedError(`Cannot parse the CSV at ${options.url}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // The sheet's heading is the table's name; a CSV has none, so only the table is kept.
  const html = sheet.toHtml().replace(/^<h2>[^<]*<\/h2>/, '');
  return documentFromHtml(html, {
    url: options.url,
    formats: options.formats,
    mimeType: options.mimeType,
    extractor: 'csv',
    title: null,
    metadata: { rows: sheet.size.rows, columns: sheet.size.columns },
  });
}
