import { escapeHtml } from './xml-sax.js';

/** Bounds of the tables made from spreadsheets and CSV. */
export interface SheetLimits {
  /** Rows kept per sheet (the header row included); the rest are counted and noted. @default 1000 */
  maxRows: number;
  /** Columns kept per row; the rest are counted and noted. @default 50 */
  maxColumns: number;
}

export const DEFAULT_SHEET_LIMITS: SheetLimits = { maxRows: 1000, maxColumns: 50 };

/**
 * Collects a sheet's cells within the limits while a reader streams them: rows and columns past
 * the limits are only counted, so a sheet of a million rows costs the memory of `maxRows`.
 */
export class SheetBuilder {
  readonly name: string;
  readonly #limits: SheetLimits;
  readonly #rows: string[][] = [];
  /** Rows seen that hold at least one value (kept or not). */
  #rowCount = 0;
  #maxColumnSeen = 0;

  constructor(name: string, limits: SheetLimits) {
    this.name = name;
    this.#limits = limits;
  }

  /** Adds one row at `rowIndex` (0-based; rows may skip), cells by column index. */
  setRow(rowIndex: number, cells: ReadonlyMap<number, string> | readonly string[]): void {
    const entries: [number, string][] =
      cells instanceof Map
        ? [...(cells as ReadonlyMap<number, string>).entries()]
        : [...(cells as readonly string[]).entries()];
    const filled = entries.filter(([, value]) => value.trim() !== '');
    if (filled.length === 0) return;
    this.#rowCount = Math.max(this.#rowCount, rowIndex + 1);
    for (const [column] of filled) this.#maxColumnSeen = Math.max(this.#maxColumnSeen, column + 1);
    if (rowIndex >= this.#limits.maxRows) return;
    const row: string[] = [];
    for (const [column, value] of filled) if (column < this.#limits.maxColumns) row[column] = value;
    this.#rows[rowIndex] = row;
  }

  /** True once rows past the limit are only being counted (a reader may stop keeping text). */
  get isFull(): boolean {
    return this.#rows.length >= this.#limits.maxRows;
  }

  /** The sheet as an HTML section: its name as a heading, a table (first row as header), a note when cut. */
  toHtml(): string {
    const columns = Math.min(this.#maxColumnSeen, this.#limits.maxColumns);
    const kept = Math.min(this.#rowCount, this.#limits.maxRows);
    let html = `<h2>${escapeHtml(this.name)}</h2>`;
    if (kept === 0 || columns === 0) return `${html}<p>(empty sheet)</p>`;
    html += '<table>';
    for (let r = 0; r < kept; r++) {
      const row = this.#rows[r] ?? [];
      const tag = r === 0 ? 'th' : 'td';
      html += '<tr>';
      for (let c = 0; c < columns; c++) html += `<${tag}>${escapeHtml(row[c] ?? '')}</${tag}>`;
      html += '</tr>';
    }
    html += '</table>';
    const cutRows = this.#rowCount - kept;
    const cutColumns = this.#maxColumnSeen - columns;
    if (cutRows > 0 || cutColumns > 0) {
      const parts = [
        cutRows > 0 ? `${cutRows} more rows` : '',
        cutColumns > 0 ? `${cutColumns} more columns` : '',
      ].filter(Boolean);
      html += `<p>(Table cut: ${parts.join(' and ')} not shown; the sheet has ${this.#rowCount} rows and ${this.#maxColumnSeen} columns.)</p>`;
    }
    return html;
  }

  /** Counts for the document's metadata. */
  get size(): { rows: number; columns: number } {
    return { rows: this.#rowCount, columns: this.#maxColumnSeen };
  }
}
