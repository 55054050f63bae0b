/* The lines of a PDF page as pdf-layout.ts builds them and pdf-structure.ts reads them. */

/** A run of a line's text between wide horizontal gaps: a table cell, or a column's part of the line. */
export interface PdfSegment {
  text: string;
  markdown: string;
  /** Left and right edges (PDF units). */
  x: number;
  end: number;
}

/** One line of a page: its text, the same as Markdown (escaped, links made), font size and baseline (PDF units, y grows upwards), and its segments. */
export interface PdfLine {
  text: string;
  markdown: string;
  size: number;
  y: number;
  /** Left and right edges of the line (PDF units). */
  x: number;
  end: number;
  /** At least one; more where a gap wider than the font size splits the line (columns, table cells). */
  segments: PdfSegment[];
}
