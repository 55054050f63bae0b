/*
 * Reading order and tables of one PDF page, from its lines' segments (runs of text between gaps
 * wider than the font size; see pageLines):
 * - Two columns: a gap position that most lines do not cross, with text on both sides of it in
 *   many lines of prose-length, is a column gap; the left column is read before the right one
 *   (lines that cross it, a title over both, stay where they are above or below the columns).
 * - Tables: at least three consecutive lines of two or more segments whose left or right edges
 *   line up at two or more positions become one table, its first row the header.
 * Each decision needs clear evidence; otherwise the lines stay as they are.
 */

import { escapeMarkdownText } from '../markdown-escape.js';
import type { PdfLine, PdfSegment } from './pdf-line.js';

/** A table found on a page: its rows of cells (text and Markdown). */
export interface PdfTable {
  rows: PdfSegment[][];
  y: number;
}

/** Lines in reading order, with tables in their place. */
export type PageUnit = { line: PdfLine } | { table: PdfTable };

/** Edges within this many units line up. */
const ALIGN_TOLERANCE = 4;
/** Least lines with text on both sides of a column gap, and least share of the page's lines. */
const MIN_COLUMN_LINES = 5;
const MIN_COLUMN_SHARE = 0.4;
/** At most this share of lines may cross the gap (titles, full-width figures' captions). */
const MAX_CROSSING_SHARE = 0.2;
/** Column text is prose: its segments average at least this many characters. */
const MIN_COLUMN_CHARS = 20;
const MIN_TABLE_ROWS = 3;

function splitLine(line: PdfLine, segments: PdfSegment[]): PdfLine {
  return {
    ...line,
    text: segments.map((segment) => segment.text).join(' '),
    markdown: segments.map((segment) => segment.markdown).join(' '),
    x: segments[0]!.x,
    end: segments.at(-1)!.end,
    segments,
  };
}

/** The x of a column gap on this page, or null. */
function columnGap(lines: readonly PdfLine[]): number | null {
  if (lines.length < MIN_COLUMN_LINES) return null;
  const candidates = new Map<number, number>();
  for (const line of lines) {
    for (const segment of line.segments.slice(1)) {
      const key = Math.round(segment.x / ALIGN_TOLERANCE);
      candidates.set(key, (candidates.get(key) ?? 0) + 1);
    }
  }
  let best: { gap: number; both: number } | null = null;
  for (const [key, count] of candidates) {
    if (count < MIN_COLUMN_LINES) continue;
    const gap = key * ALIGN_TOLERANCE - ALIGN_TOLERANCE;
    let both = 0;
    let crossing = 0;
    let leftChars = 0;
    let leftSegments = 0;
    for (const line of lines) {
      if (line.segments.some((segment) => segment.x < gap && segment.end > gap + ALIGN_TOLERANCE)) crossing++;
      const left = line.segments.filter((segment) => segment.end <= gap + ALIGN_TOLERANCE);
      const hasRight = line.segments.some((segment) => segment.x >= gap);
      if (left.length > 0 && hasRight) {
        both++;
        for (const segment of left) leftChars += segment.text.length;
        leftSegments += left.length;
      }
    }
    const isProse = leftSegments > 0 && leftChars / leftSegments >= MIN_COLUMN_CHARS;
    if (
      both >= MIN_COLUMN_LINES &&
      both >= lines.length * MIN_COLUMN_SHARE &&
      crossing <= lines.length * MAX_CROSSING_SHARE &&
      isProse &&
      (!best || both > best.both)
    ) {
      best = { gap, both };
    }
  }
  return best?.gap ?? null;
}

/** The page's lines with a two-column layout read column by column; other pages as they are. */
export function readingOrder(lines: readonly PdfLine[]): PdfLine[] {
  const gap = columnGap(lines);
  if (gap === null) return [...lines];
  const above: PdfLine[] = [];
  const below: PdfLine[] = [];
  const left: PdfLine[] = [];
  const right: PdfLine[] = [];
  let top = -Infinity;
  for (const line of lines) {
    const isCrossing = line.segments.some(
      (segment) => segment.x < gap && segment.end > gap + ALIGN_TOLERANCE,
    );
    if (!isCrossing) top = Math.max(top, line.y);
  }
  for (const line of lines) {
    const isCrossing = line.segments.some(
      (segment) => segment.x < gap && segment.end > gap + ALIGN_TOLERANCE,
    );
    if (isCrossing) {
      (line.y > top ? above : below).push(line);
      continue;
    }
    const leftSegments = line.segments.filter((segment) => segment.x < gap);
    const rightSegments = line.segments.filter((segment) => segment.x >= gap);
    if (leftSegments.length > 0) left.push(splitLine(line, leftSegments));
    if (rightSegments.length > 0) right.push(splitLine(line, rightSegments));
  }
  const byY = (a: PdfLine, b: PdfLine): number => b.y - a.y;
  return [...above.sort(byY), ...left.sort(byY), ...right.sort(byY), ...below.sort(byY)];
}

/** Does `segment` line up with one of `edges` (by its left or its right edge)? */
function alignsWith(segment: PdfSegment, edges: readonly { x: number; end: number }[]): boolean {
  return edges.some(
    (edge) =>
      Math.abs(edge.x - segment.x) <= ALIGN_TOLERANCE || Math.abs(edge.end - segment.end) <= ALIGN_TOLERANCE,
  );
}

/** Do two lines share at least two aligned segments, and the same number of them? */
function isSameTable(line: PdfLine, edges: readonly { x: number; end: number }[]): boolean {
  if (line.segments.length < 2 || line.segments.length !== edges.length) return false;
  return line.segments.filter((segment) => alignsWith(segment, edges)).length >= 2;
}

/** The page's lines with runs of aligned rows made tables. */
export function pageUnits(lines: readonly PdfLine[]): PageUnit[] {
  const units: PageUnit[] = [];
  for (let index = 0; index < lines.length;) {
    const first = lines[index]!;
    let last = index;
    if (first.segments.length >= 2) {
      const edges = first.segments.map((segment) => ({ x: segment.x, end: segment.end }));
      while (last + 1 < lines.length && isSameTable(lines[last + 1]!, edges)) last++;
    }
    if (last - index + 1 >= MIN_TABLE_ROWS) {
      units.push({ table: { rows: lines.slice(index, last + 1).map((line) => line.segments), y: first.y } });
      index = last + 1;
    } else {
      units.push({ line: first });
      index++;
    }
  }
  return units;
}

/** A table as GFM (first row the header; pipes in cells escaped) and as tab-separated text. */
export function tableBlock(table: PdfTable): { text: string; markdown: string } {
  const cell = (segment: PdfSegment | undefined): string => (segment?.markdown ?? '').replace(/\|/g, '\\|');
  const width = Math.max(...table.rows.map((row) => row.length));
  const row = (cells: readonly PdfSegment[]): string =>
    `| ${Array.from({ length: width }, (_, i) => cell(cells[i])).join(' | ')} |`;
  const [header = [], ...body] = table.rows;
  const markdown = [row(header), `|${' --- |'.repeat(width)}`, ...body.map(row)].join('\n');
  const text = table.rows.map((cells) => cells.map((segment) => segment.text).join('\t')).join('\n');
  return { text, markdown };
}

/** A list item's marker at the start of a line: bullets, `1.`/`1)` and `a)`/`a.` (not "e.g."). */
const LIST_MARKER = /^(?:([•◦▪‣·–—*-])|(\d{1,3})[.)]|([a-z])\))\s+(?=\S)/u;

/** The list item a line starts, or null: its Markdown marker and the rest of its text. */
export function listItemOf(
  line: PdfLine,
): { marker: string; raw: string; text: string; markdown: string } | null {
  const match = LIST_MARKER.exec(line.text);
  if (!match) return null;
  const rest = line.text.slice(match[0].length);
  const marker =
    match[2] !== undefined ? `${Number(match[2])}.` : match[3] !== undefined ? `- ${match[3]})` : '-';
  // The Markdown's own copy of the marker goes too (it may be escaped there: `\*`, `1\.`).
  const markdownRest = line.markdown.replace(/^(?:\\?[•◦▪‣·–—*-]|\d{1,3}\\?[.)]|[a-z]\\?\))\s+/u, '');
  return {
    marker,
    raw: match[0].trim(),
    text: rest,
    markdown: markdownRest === line.markdown ? escapeMarkdownText(rest) : markdownRest,
  };
}
