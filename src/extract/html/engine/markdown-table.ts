import { attr, type Element } from './tree.js';

/*
 * GFM tables from `<table>`: rows of this table only (not of nested tables), header row from
 * `<thead>` or a first row of `<th>`, `colspan` and `rowspan` laid out on a grid so every column
 * stays in its place (a spanned cell's text sits in its first slot, the slots it covers are empty),
 * `|` escaped by the text escaper, and a one-column table written as paragraphs (layout, not data).
 * Spans are capped so a hostile `colspan=1000000` cannot blow the grid up.
 */

const MAX_SPAN = 50;
const MAX_COLUMNS = 100;

interface Row {
  cells: Element[];
  isHeader: boolean;
}

function collectRows(table: Element): Row[] {
  const rows: Row[] = [];
  const visit = (element: Element, inHead: boolean): void => {
    for (const child of element.children) {
      if (typeof child === 'string' || child.isDropped) continue;
      if (child.tag === 'tr') {
        const cells = child.children.filter(
          (cell): cell is Element =>
            typeof cell !== 'string' && !cell.isDropped && (cell.tag === 'td' || cell.tag === 'th'),
        );
        const isHeader = inHead || (cells.length > 0 && cells.every((cell) => cell.tag === 'th'));
        if (cells.length > 0) rows.push({ cells, isHeader });
      } else if (child.tag === 'thead' || child.tag === 'tbody' || child.tag === 'tfoot') {
        visit(child, child.tag === 'thead');
      }
    }
  };
  visit(table, false);
  return rows;
}

function span(cell: Element, name: string): number {
  const value = Number.parseInt(attr(cell, name) ?? '1', 10);
  return Number.isFinite(value) && value > 1 ? Math.min(value, MAX_SPAN) : 1;
}

/**
 * Markdown of a table. `cellText` gives a cell's inline Markdown; `block` wraps a result as a
 * paragraph block.
 */
export function markdownTable(
  table: Element,
  cellText: (cell: Element) => string,
  block: (content: string) => string,
): string {
  const rows = collectRows(table);
  if (rows.length === 0) return '';
  const grid: string[][] = [];
  /** Per column: rows still covered by a rowspan from above. */
  const covered: number[] = [];
  for (const row of rows) {
    const line: string[] = [];
    let column = 0;
    const skipCovered = (): void => {
      while ((covered[column] ?? 0) > 0 && column < MAX_COLUMNS) {
        covered[column]!--;
        line[column++] = '';
      }
    };
    for (const cell of row.cells) {
      skipCovered();
      if (column >= MAX_COLUMNS) break;
      const colspan = span(cell, 'colspan');
      const rowspan = span(cell, 'rowspan');
      line[column] = cellText(cell);
      for (let i = 0; i < colspan && column < MAX_COLUMNS; i++) {
        if (i > 0) line[column] = '';
        if (rowspan > 1) covered[column] = rowspan - 1;
        column++;
      }
    }
    skipCovered();
    grid.push(line);
  }
  const width = Math.max(...grid.map((line) => line.length));
  if (width <= 1)
    return block(
      grid
        .map((line) => line[0] ?? '')
        .filter(Boolean)
        .join('\n\n'),
    );
  const format = (line: readonly string[]): string =>
    `| ${Array.from({ length: width }, (_, i) => line[i] ?? '').join(' | ')} |`;
  const hasHeader = rows[0]!.isHeader;
  const header = hasHeader ? grid.shift()! : [];
  const caption = table.children.find(
    (child): child is Element => typeof child !== 'string' && child.tag === 'caption' && !child.isDropped,
  );
  const captionText = caption ? `${cellText(caption)}\n\n` : '';
  const separator = `| ${Array.from({ length: width }, () => '---').join(' | ')} |`;
  return `\n\n${captionText}${format(header)}\n${separator}\n${grid.map(format).join('\n')}\n\n`;
}
