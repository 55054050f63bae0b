import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { readZip, type ZipEntries } from '../zip-limits.js';
import { documentFromHtml } from './html-document.js';
import { coreTitle } from './extract-xlsx.js';
import { escapeHtml, localName, partText, readRelationships, readXml } from './xml-sax.js';

/** Options of {@link extractPptx}. */
export interface PptxExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  maxInflatedBytes?: number | undefined;
  /** Speaker notes follow each slide, as a quote. @default true */
  includeNotes?: boolean;
}

export const PPTX_TYPE = 'application/vnd.openxmlformats-officedocument.presentationml.presentation';

/** What one slide (or notes page) holds: its title, its other paragraphs and its tables, in order. */
interface SlideContent {
  title: string;
  /** HTML blocks: paragraphs and tables. */
  blocks: string[];
  /** Text of body placeholders only (what notes pages keep). */
  bodyText: string[];
}

/** Reads the shapes of a slide part: title placeholders, text frames and table cells. */
function readSlide(xml: string, rels: ReadonlyMap<string, { target: string; type: string }>): SlideContent {
  const content: SlideContent = { title: '', blocks: [], bodyText: [] };
  let placeholder: string | null = null;
  let paragraph: string | null = null;
  let inText = false;
  let link: string | null = null;
  let table: string[][] | null = null;
  let cell: string[] | null = null;
  readXml(xml, {
    onOpen: (name, attributes) => {
      const local = localName(name);
      if (local === 'sp') placeholder = null;
      else if (local === 'ph') placeholder = attributes.type ?? 'body';
      else if (local === 'tbl') table = [];
      else if (local === 'tr' && table) table.push([]);
      else if (local === 'tc' && table) cell = [];
      else if (local === 'p' && name.startsWith('a:')) paragraph = '';
      else if (local === 't' && paragraph !== null) inText = true;
      else if (local === 'br' && paragraph !== null) paragraph += '<br>';
      else if (local === 'hlinkClick' && paragraph !== null) {
        const target = rels.get(attributes['r:id'] ?? '')?.target ?? '';
        link = /^(?:https?:|mailto:)/i.test(target) ? target : null;
      }
    },
    onText: (text) => {
      if (!inText || paragraph === null) return;
      paragraph += link === null ? escapeHtml(text) : `<a href="${escapeHtml(link)}">${escapeHtml(text)}</a>`;
    },
    onClose: (name) => {
      const local = localName(name);
      if (local === 't') inText = false;
      // A link belongs to the run whose properties declared it.
      else if (local === 'r') link = null;
      else if (local === 'p' && name.startsWith('a:') && paragraph !== null) {
        const html = paragraph.trim();
        paragraph = null;
        if (html === '') return;
        if (cell) cell.push(html);
        else if (placeholder === 'title' || placeholder === 'ctrTitle')
          content.title += (content.title ? ' ' : '') + html;
        else {
          content.blocks.push(`<p>${html}</p>`);
          if (placeholder === 'body') content.bodyText.push(`<p>${html}</p>`);
        }
      } else if (local === 'tc' && table && cell) {
        table[table.length - 1]?.push(cell.join('<br>'));
        cell = null;
      } else if (local === 'tbl' && table) {
        const rows = table;
        const cellTag = (r: number): string => (r === 0 ? 'th' : 'td');
        content.blocks.push(
          `<table>${rows.map((row, r) => `<tr>${row.map((value) => `<${cellTag(r)}>${value}</${cellTag(r)}>`).join('')}</tr>`).join('')}</table>`,
        );
        table = null;
      } else if (local === 'sp') placeholder = null;
    },
  });
  return content;
}

/** Slides in presentation order (`p:sldIdLst`), as part names. */
function slideParts(entries: ZipEntries): string[] {
  const presentation = partText(entries, 'ppt/presentation.xml');
  if (presentation === null) throw new ExtractionFailedError('The PPTX has no ppt/presentation.xml');
  const rels = readRelationships(entries, 'ppt/presentation.xml');
  const parts: string[] = [];
  readXml(presentation, {
    onOpen: (name, attributes) => {
      if (localName(name) !== 'sldId') return;
      const target = rels.get(attributes['r:id'] ?? '')?.target;
      if (target) parts.push(target);
    },
  });
  return parts;
}

/** Extracts a PowerPoint deck slide by slide: each title a heading, then its text and tables, then its notes. */
export async function extractPptx(body: Uint8Array, options: PptxExtractOptions): Promise<ExtractedDocument> {
  const entries = await readZip(body, { maxTotalBytes: options.maxInflatedBytes });
  const parts = slideParts(entries);
  let html = '';
  let notesCount = 0;
  const titles: string[] = [];
  parts.forEach((part, index) => {
    const xml = partText(entries, part);
    if (xml === null) return;
    const rels = readRelationships(entries, part);
    const slide = readSlide(xml, rels);
    titles.push(slide.title);
    html += `<h2>${slide.title || `Slide ${index + 1}`}</h2>${slide.blocks.join('')}`;
    if (options.includeNotes === false) return;
    const notesPart = [...rels.values()].find((rel) => rel.type.endsWith('/notesSlide'))?.target;
    const notesXml = notesPart ? partText(entries, notesPart) : null;
    if (notesXml === null) return;
    const notes = readSlide(notesXml, readRelationships(entries, notesPart!));
    if (notes.bodyText.length > 0) {
      notesCount++;
      html += `<blockquote><p><strong>Notes:</strong></p>${notes.bodyText.join('')}</blockquote>`;
    }
  });
  const deckTitle = coreTitle(entries) ?? titles.find(Boolean)?.replace(/<br>/g, ' ') ?? null;
  return documentFromHtml(html, {
    url: options.url,
    formats: options.formats,
    mimeType: PPTX_TYPE,
    extractor: 'pptx',
    title: deckTitle ? decodeBasic(deckTitle) : null,
    metadata: { slideCount: parts.length, slidesWithNotes: notesCount },
  });
}

/** Our own escaping undone, for a title taken from the built HTML. */
function decodeBasic(html: string): string {
  return html
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}
