/**
 * Markdown cut into the blocks the chunker packs: headings, fenced code, tables and paragraphs
 * (lists and quotes are paragraphs, one line per item). Line-based on purpose: the Markdown comes
 * from our own serialisers (or a text file), so blocks are what those write, and one pass over the
 * lines is linear in the document.
 */

/** One block of a document's Markdown. */
export type MarkdownBlock =
  | { kind: 'heading'; level: number; text: string; markdown: string }
  | { kind: 'code'; open: string; close: string; lines: string[]; markdown: string }
  | { kind: 'table'; header: string[]; rows: string[]; markdown: string }
  | { kind: 'paragraph'; lines: string[]; markdown: string };

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const TABLE_ROW = /^ {0,3}\|/;
const TABLE_SEPARATOR = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

/** The blocks of `markdown`, in order. */
export function markdownBlocks(markdown: string): MarkdownBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: MarkdownBlock[] = [];
  let paragraph: string[] = [];
  const endParagraph = (): void => {
    if (paragraph.length > 0)
      blocks.push({ kind: 'paragraph', lines: paragraph, markdown: paragraph.join('\n') });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const fence = FENCE.exec(line);
    if (fence) {
      endParagraph();
      const marker = fence[1]!;
      const body: string[] = [];
      let close = marker;
      let j = i + 1;
      for (; j < lines.length; j++) {
        const candidate = lines[j]!.trim();
        if (
          /^(`{3,}|~{3,})$/.test(candidate) &&
          candidate[0] === marker[0] &&
          candidate.length >= marker.length
        ) {
          close = candidate;
          break;
        }
        body.push(lines[j]!);
      }
      // An unclosed fence runs to the end of the document, as CommonMark reads it.
      const open = line.trimStart();
      blocks.push({ kind: 'code', open, close, lines: body, markdown: [open, ...body, close].join('\n') });
      i = j;
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      endParagraph();
      blocks.push({
        kind: 'heading',
        level: heading[1]!.length,
        text: heading[2]!.trim(),
        markdown: line.trim(),
      });
      continue;
    }
    if (TABLE_ROW.test(line)) {
      endParagraph();
      const tableLines: string[] = [];
      let j = i;
      for (; j < lines.length && TABLE_ROW.test(lines[j]!); j++) tableLines.push(lines[j]!);
      const hasHeader = tableLines.length >= 2 && TABLE_SEPARATOR.test(tableLines[1]!);
      const header = hasHeader ? tableLines.slice(0, 2) : [];
      const rows = hasHeader ? tableLines.slice(2) : tableLines;
      blocks.push({ kind: 'table', header, rows, markdown: tableLines.join('\n') });
      i = j - 1;
      continue;
    }
    if (line.trim() === '') {
      endParagraph();
      continue;
    }
    paragraph.push(line);
  }
  endParagraph();
  return blocks;
}
