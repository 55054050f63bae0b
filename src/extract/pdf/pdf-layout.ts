/*
 * Structure of a PDF's text layer, rebuilt from pdf.js text items in one pass over them: items
 * become lines (a line ends at pdf.js's end-of-line mark or where the baseline moves), lines become
 * paragraphs (a vertical gap larger than the body's line spacing starts a new one), lines set
 * clearly larger than the body's dominant font size become headings ranked by size, and lines that
 * repeat at the top or bottom of most pages (running headers, footers, page numbers; digits are
 * ignored when comparing) are dropped. Text under a link annotation with an http(s) URI becomes a
 * Markdown link. Two-column pages are read column by column, aligned rows become tables and
 * bulleted or numbered lines with hanging indents become list items (pdf-structure.ts).
 */

import { escapeMarkdownText, markdownUrl } from '../markdown-escape.js';
import type { PdfLine, PdfSegment } from './pdf-line.js';
import { listItemOf, pageUnits, readingOrder, tableBlock } from './pdf-structure.js';

export type { PdfLine, PdfSegment } from './pdf-line.js';

/** The part of a pdf.js text item this module reads. */
export interface PdfTextItem {
  str: string;
  transform: readonly number[];
  width?: number;
  height?: number;
  hasEOL?: boolean;
}

/** A link annotation: its rectangle `[x1, y1, x2, y2]` (PDF units) and http(s) URL. */
export interface PdfLinkArea {
  rect: readonly number[];
  url: string;
}

/**
 * A block of the rebuilt document: a heading (level 1–3) or a paragraph (level 0), as text and as
 * inline Markdown; `kind` marks a list item (its Markdown starts with its marker) or a table (GFM).
 */
export interface PdfBlock {
  level: 0 | 1 | 2 | 3;
  text: string;
  markdown: string;
  kind?: 'list' | 'table';
}

/** A size at least this many times the body's is a heading. */
const HEADING_RATIO = 1.15;
/** A baseline gap larger than this many line spacings starts a paragraph. */
const PARAGRAPH_GAP_RATIO = 1.3;
/** Lines longer than this are never headings (a large-print paragraph is still a paragraph). */
const MAX_HEADING_CHARS = 200;
/** How many lines at each edge of a page can be a running header or footer. */
const EDGE_LINES = 2;

function itemSize(item: PdfTextItem): number {
  const [, , c = 0, d = 0] = item.transform;
  const size = item.height && item.height > 0 ? item.height : Math.hypot(c, d);
  return Math.round(size * 2) / 2;
}

/**
 * The URL of the link area that covers most of an item's width at its baseline, or null. An item
 * only partly under a link (pdf.js joined the link's words with others) is not made a link: the
 * URL is still in the links list.
 */
function linkAt(item: PdfTextItem, size: number, areas: readonly PdfLinkArea[]): string | null {
  if (areas.length === 0) return null;
  const left = item.transform[4] ?? 0;
  const width = Math.max(item.width ?? 0, 0.01);
  const y = (item.transform[5] ?? 0) + size / 3;
  for (const { rect, url } of areas) {
    const [x1 = 0, y1 = 0, x2 = 0, y2 = 0] = rect;
    if (y < Math.min(y1, y2) || y > Math.max(y1, y2)) continue;
    const covered = Math.min(left + width, Math.max(x1, x2)) - Math.max(left, Math.min(x1, x2));
    if (covered >= width * 0.8) return url;
  }
  return null;
}

/** A line's runs as Markdown: runs under one link become one `[text](url)`. */
function runsToMarkdown(runs: readonly { str: string; url: string | null }[]): string {
  let markdown = '';
  for (let index = 0; index < runs.length;) {
    const url = runs[index]!.url;
    let text = '';
    while (index < runs.length && runs[index]!.url === url) text += runs[index++]!.str;
    if (url === null || text.trim() === '') markdown += escapeMarkdownText(text);
    else {
      const lead = /^\s*/.exec(text)![0];
      const trail = /\s*$/.exec(text)![0];
      markdown += `${lead}[${escapeMarkdownText(text.trim())}](${markdownUrl(url)})${trail}`;
    }
  }
  return markdown.replace(/\s+/g, ' ').trim();
}

/** A horizontal gap wider than this many font sizes between two items of a line starts a segment. */
const SEGMENT_GAP_RATIO = 1.2;

/** Groups a page's text items into lines (and their segments); the size of a line is that of most of its characters. */
export function pageLines(items: readonly PdfTextItem[], linkAreas: readonly PdfLinkArea[] = []): PdfLine[] {
  const lines: PdfLine[] = [];
  let segments: PdfSegment[] = [];
  let text = '';
  let runs: { str: string; url: string | null }[] = [];
  let x = 0;
  let end = 0;
  let y = 0;
  let sizes = new Map<number, number>();
  const endSegment = (): void => {
    const trimmed = text.replace(/\s+/g, ' ').trim();
    if (trimmed !== '') {
      const markdown = runs.some((run) => run.url !== null)
        ? runsToMarkdown(runs)
        : escapeMarkdownText(trimmed);
      segments.push({ text: trimmed, markdown, x, end });
    }
    text = '';
    runs = [];
  };
  const flush = (): void => {
    endSegment();
    if (segments.length > 0) {
      lines.push({
        text: segments.map((segment) => segment.text).join(' '),
        markdown: segments.map((segment) => segment.markdown).join(' '),
        size: dominant(sizes),
        y,
        x: segments[0]!.x,
        end: segments.at(-1)!.end,
        segments,
      });
    }
    segments = [];
    sizes = new Map();
  };
  for (const item of items) {
    if (typeof item.str !== 'string') continue;
    const size = itemSize(item);
    const itemY = item.transform[5] ?? 0;
    const itemX = item.transform[4] ?? 0;
    const isBlank = item.str.trim() === '';
    const hasText = text.trim() !== '' || segments.length > 0;
    if (hasText && !isBlank && Math.abs(itemY - y) > Math.max(size, 1) / 2) flush();
    else if (text.trim() !== '' && !isBlank && itemX - end > Math.max(size, 1) * SEGMENT_GAP_RATIO)
      endSegment();
    if (!isBlank) {
      if (text.trim() === '') {
        if (segments.length === 0) y = itemY;
        x = itemX;
      }
      end = Math.max(end, itemX + Math.max(item.width ?? 0, 0));
      if (text.trim() === '') end = itemX + Math.max(item.width ?? 0, 0);
      sizes.set(size, (sizes.get(size) ?? 0) + item.str.length);
    }
    text += item.str;
    if (linkAreas.length > 0)
      runs.push({
        str: item.str,
        url: isBlank ? (runs.at(-1)?.url ?? null) : linkAt(item, size, linkAreas),
      });
    if (item.hasEOL) flush();
  }
  flush();
  return lines;
}

/** The key with the largest weight (0 for none). */
function dominant(weights: ReadonlyMap<number, number>): number {
  let best = 0;
  let bestWeight = -1;
  for (const [key, weight] of weights) {
    if (weight > bestWeight) [best, bestWeight] = [key, weight];
  }
  return best;
}

/** The size most characters are set in. */
function bodySize(pages: readonly (readonly PdfLine[] | string | null)[]): {
  body: number;
  weights: Map<number, number>;
} {
  const weights = new Map<number, number>();
  for (const page of pages) {
    if (page === null || typeof page === 'string') continue;
    for (const line of page) weights.set(line.size, (weights.get(line.size) ?? 0) + line.text.length);
  }
  return { body: dominant(weights), weights };
}

/** A line compared across pages: its text with digits (page numbers) and case ignored, and its height on the page. */
function edgeKey(line: PdfLine): string {
  return `${Math.round(line.y / 4)}:${line.text.replace(/\d+/g, '#').replace(/\s+/g, ' ').toLowerCase()}`;
}

/** Indexes of the lines at the top and bottom of a page (highest and lowest baselines). */
function edgeIndexes(lines: readonly PdfLine[]): number[] {
  if (lines.length <= EDGE_LINES * 2) return lines.map((_, index) => index);
  const byY = lines.map((line, index) => ({ y: line.y, index })).sort((a, b) => b.y - a.y);
  return [...byY.slice(0, EDGE_LINES), ...byY.slice(-EDGE_LINES)].map((entry) => entry.index);
}

/**
 * Drops running headers and footers: a line at the top or bottom of a page, not larger than the
 * body, whose text (digits ignored) is at the same height at the top or bottom of more than half
 * the pages, when there are at least three.
 */
export function dropRunningLines(pages: readonly (readonly PdfLine[] | null)[]): (PdfLine[] | null)[] {
  const withText = pages.filter((page): page is readonly PdfLine[] => page !== null && page.length > 0);
  if (withText.length < 3) return pages.map((page) => (page ? [...page] : null));
  const { body } = bodySize(pages);
  // A running line sits at the same height on each page and is not set larger than the body (that is a heading).
  const edges = pages.map((page) =>
    page ? edgeIndexes(page).filter((index) => page[index]!.size <= body) : [],
  );
  const counts = new Map<string, number>();
  pages.forEach((page, pageIndex) => {
    if (!page) return;
    const keys = new Set(edges[pageIndex]!.map((index) => edgeKey(page[index]!)));
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  });
  const running = new Set([...counts].filter(([, count]) => count * 2 > withText.length).map(([key]) => key));
  if (running.size === 0) return pages.map((page) => (page ? [...page] : null));
  return pages.map((page, pageIndex) => {
    if (!page) return null;
    const drop = new Set(edges[pageIndex]!.filter((index) => running.has(edgeKey(page[index]!))));
    return page.filter((_, index) => !drop.has(index));
  });
}

/** Joins the lines of one paragraph: spaces between them, a hyphen at a line end before a lower-case letter removed. */
function joinLines(lines: readonly string[]): string {
  let joined = '';
  for (const line of lines) {
    if (joined === '') joined = line;
    else if (/\p{L}-$/u.test(joined) && /^\p{Ll}/u.test(line)) joined = joined.slice(0, -1) + line;
    else joined += ` ${line}`;
  }
  return joined;
}

/** The Markdown of a paragraph that was not read as lines (an OCR'd page). */
function plainMarkdown(text: string): string {
  return escapeMarkdownText(text);
}

/**
 * Rebuilds headings and paragraphs from the lines of every page. A page given as text (an OCR'd
 * page) keeps its own paragraphs, split at blank lines.
 */
export function buildBlocks(pages: readonly (readonly PdfLine[] | string)[]): PdfBlock[] {
  const { body, weights: sizeWeights } = bodySize(pages);
  const headingSizes = [...sizeWeights.keys()]
    .filter((size) => body > 0 && size >= body * HEADING_RATIO)
    .sort((a, b) => b - a);
  const levelOf = (line: PdfLine): PdfBlock['level'] => {
    if (line.text.length > MAX_HEADING_CHARS || !/[\p{L}\p{N}]/u.test(line.text)) return 0;
    const rank = headingSizes.indexOf(line.size);
    return rank < 0 ? 0 : (Math.min(rank + 1, 3) as PdfBlock['level']);
  };
  // The body's line spacing: the most frequent baseline step between consecutive body lines.
  const steps = new Map<number, number>();
  for (const page of pages) {
    if (typeof page === 'string') continue;
    for (let index = 1; index < page.length; index += 1) {
      const [above, below] = [page[index - 1]!, page[index]!];
      const step = Math.round(above.y - below.y);
      if (above.size === body && below.size === body && step > 0) steps.set(step, (steps.get(step) ?? 0) + 1);
    }
  }
  const spacing = steps.size > 0 ? dominant(steps) : body * 1.2;
  const blocks: PdfBlock[] = [];
  for (const page of pages) {
    if (typeof page === 'string') {
      for (const paragraph of page.split(/\n\s*\n/)) {
        const text = paragraph.replace(/\s+/g, ' ').trim();
        if (text !== '') blocks.push({ level: 0, text, markdown: plainMarkdown(text) });
      }
      continue;
    }
    let current: PdfLine[] = [];
    let currentLevel: PdfBlock['level'] = 0;
    let previous: PdfLine | null = null;
    // The list item being read: its markers and the left edge of its first line.
    let item: { marker: string; raw: string; x: number } | null = null;
    const flush = (): void => {
      if (current.length > 0) {
        const text = joinLines(current.map((line) => line.text));
        const markdown = joinLines(current.map((line) => line.markdown));
        blocks.push(
          item
            ? { level: 0, kind: 'list', text: `${item.raw} ${text}`, markdown: `${item.marker} ${markdown}` }
            : { level: currentLevel, text, markdown },
        );
      }
      current = [];
      item = null;
    };
    for (const unit of pageUnits(readingOrder(page))) {
      if ('table' in unit) {
        flush();
        blocks.push({ level: 0, kind: 'table', ...tableBlock(unit.table) });
        previous = null;
        continue;
      }
      const line = unit.line;
      const level = levelOf(line);
      const gap = previous ? previous.y - line.y : 0;
      const lineSpacing = level === 0 ? spacing : line.size * 1.5;
      const isNear =
        previous !== null &&
        line.size === previous.size &&
        gap > 0 &&
        gap <= lineSpacing * PARAGRAPH_GAP_RATIO;
      const listItem = level === 0 ? listItemOf(line) : null;
      if (listItem) {
        flush();
        item = { marker: listItem.marker, raw: listItem.raw, x: line.x };
        current.push({ ...line, text: listItem.text, markdown: listItem.markdown });
      } else if (item) {
        // A list item goes on while its lines are indented past its marker (a hanging indent).
        if (!(isNear && line.x > item.x + 1)) flush();
        current.push(line);
      } else {
        if (!(isNear && level === currentLevel)) flush();
        current.push(line);
      }
      currentLevel = level;
      previous = line;
    }
    flush();
  }
  return blocks;
}
