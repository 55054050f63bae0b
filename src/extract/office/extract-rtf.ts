import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { documentFromHtml } from './html-document.js';
import { rtfTokens } from './rtf-tokens.js';
import {
  CHARACTER_WORDS,
  CODE_PAGES,
  decoderOf,
  groupWord,
  INFO_FIELDS,
  SKIPPED_DESTINATIONS,
  type GroupState,
} from './rtf-words.js';
import { escapeHtml } from './xml-sax.js';

/** Options of {@link extractRtf}. */
export interface RtfExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
}

/** Groups deeper than this share their parent's state (no frame is kept for them): memory stays flat. */
export const MAX_RTF_GROUP_DEPTH = 256;

interface Run {
  text: string;
  isBold: boolean;
  isItalic: boolean;
  href: string | null;
}

/**
 * Reads an RTF document: paragraphs (headings from the stylesheet's "heading N" styles and
 * `\outlinelevel`), bold and italic, `\uN` and `\'hh` characters in the document's code page
 * (`\ansicpg`, windows-1252 by default), hyperlink fields, tables (`\cell`, `\row`) as GFM tables,
 * and `\info`'s title, author, subject, keywords and creation time as metadata. Fonts, colours,
 * pictures, headers, footers, footnotes and every `{\*\...}` destination it does not know are left
 * out. Per-font charsets (`\fcharset`) are not followed: writers give non-ANSI text as `\uN`.
 */
export function extractRtf(body: Uint8Array, options: RtfExtractOptions): ExtractedDocument {
  const reader = new RtfReader();
  reader.read(body);
  const { html, info } = reader.finish();
  return documentFromHtml(html, {
    url: options.url,
    formats: options.formats,
    mimeType: 'application/rtf',
    extractor: 'rtf',
    title: info.title ?? null,
    byline: info.author ?? null,
    publishedTime: info.created ?? null,
    metadata: {
      ...(info.author !== undefined ? { author: info.author } : {}),
      ...(info.subject !== undefined ? { subject: info.subject } : {}),
      ...(info.keywords !== undefined ? { keywords: info.keywords } : {}),
    },
  });
}

/** The reader's state machine over the tokens: one group stack, one paragraph, one table at a time. */
class RtfReader {
  readonly #stack: GroupState[] = [];
  #state: GroupState = {
    destination: 'body',
    isBold: false,
    isItalic: false,
    unicodeSkip: 1,
    href: null,
    isIgnorable: false,
  };
  /** Groups past MAX_RTF_GROUP_DEPTH still open (they have no frame of their own). */
  #overflow = 0;
  #decoder = new TextDecoder('windows-1252');
  #pendingBytes: number[] = [];
  /** Code-page characters still to skip after a `\uN`. */
  #skipChars = 0;
  #runs: Run[] = [];
  #html: string[] = [];
  #styleLevels = new Map<number, number>();
  #paragraphStyle: number | null = null;
  #outlineLevel: number | null = null;
  #isInTable = false;
  #cells: string[] = [];
  #rows: string[][] = [];
  #styleNumber: number | null = null;
  #styleName = '';
  #fieldInstruction = '';
  readonly #info = new RtfInfo();

  read(body: Uint8Array): void {
    for (const token of rtfTokens(body)) {
      if (token.kind !== 'hex') this.#flushBytes();
      switch (token.kind) {
        case 'open':
          this.#open();
          break;
        case 'close':
          this.#close();
          break;
        case 'word':
          this.#word(token.name, token.param);
          break;
        case 'symbol':
          this.#symbol(token.char);
          break;
        case 'hex':
          if (this.#skipChars > 0) this.#skipChars--;
          else this.#pendingBytes.push(token.byte);
          break;
        case 'text': {
          let bytes = token.bytes;
          if (this.#skipChars > 0) {
            const skipped = Math.min(this.#skipChars, bytes.length);
            this.#skipChars -= skipped;
            bytes = bytes.subarray(skipped);
          }
          if (bytes.length > 0) this.#text(this.#decoder.decode(bytes));
          break;
        }
        case 'bin':
          break;
      }
    }
    this.#flushBytes();
  }

  finish(): {
    html: string;
    info: { title?: string; author?: string; subject?: string; keywords?: string; created?: string };
  } {
    this.#endParagraph();
    this.#flushTable();
    return { html: this.#html.join(''), info: this.#info.result() };
  }

  #open(): void {
    if (this.#stack.length >= MAX_RTF_GROUP_DEPTH) {
      this.#overflow++;
      return;
    }
    this.#stack.push(this.#state);
    this.#state = { ...this.#state, isIgnorable: false };
  }

  #close(): void {
    if (this.#overflow > 0) {
      this.#overflow--;
      return;
    }
    const closing = this.#state;
    const parent = this.#stack.pop();
    if (parent === undefined) return;
    if (closing.destination === 'stylesheet' && parent.destination === 'stylesheet') this.#endStyle();
    this.#state = parent;
    if (closing.destination === 'field' && parent.destination !== 'field') this.#fieldInstruction = '';
  }

  #word(name: string, param: number | null): void {
    const state = this.#state;
    if (state.isIgnorable) {
      state.isIgnorable = false;
      // `{\*\fldinst ...}` is read; every other ignorable destination is skipped.
      if (name !== 'fldinst') {
        state.destination = 'skip';
        return;
      }
    }
    if (state.destination === 'skip') return;
    if (state.destination === 'info' || state.destination === 'creatim' || INFO_FIELDS.has(name)) {
      this.#info.word(state, name, param);
      return;
    }
    if (SKIPPED_DESTINATIONS.has(name)) {
      state.destination = 'skip';
      return;
    }
    if (groupWord(state, name, param)) return;
    switch (name) {
      case 'ansicpg':
        this.#decoder = decoderOf(param === null ? undefined : CODE_PAGES[param]);
        return;
      case 'mac':
        this.#decoder = decoderOf('macintosh');
        return;
      case 's':
        if (state.destination === 'stylesheet') {
          this.#styleNumber = param ?? 0;
          this.#styleName = '';
        } else this.#paragraphStyle = param ?? 0;
        return;
      case 'outlinelevel':
        if (state.destination !== 'stylesheet') this.#outlineLevel = param;
        return;
      case 'field':
        state.destination = 'field';
        this.#fieldInstruction = '';
        return;
      case 'fldrslt':
        state.destination = 'fldrslt';
        state.href = hyperlinkOf(this.#fieldInstruction);
        return;
      case 'pard':
        this.#paragraphStyle = null;
        this.#outlineLevel = null;
        this.#isInTable = false;
        return;
      case 'intbl':
        this.#isInTable = true;
        return;
      case 'u':
        if (param !== null) this.#text(String.fromCharCode(param < 0 ? param + 65536 : param));
        this.#skipChars = state.unicodeSkip;
        return;
      case 'par':
      case 'sect':
      case 'page':
        this.#endParagraph();
        return;
      case 'cell':
        this.#endCell();
        return;
      case 'row':
        this.#endRow();
        return;
      default: {
        const character = CHARACTER_WORDS[name];
        if (character !== undefined) this.#text(character);
      }
    }
  }

  #symbol(char: string): void {
    const state = this.#state;
    if (char === '*') {
      state.isIgnorable = true;
      return;
    }
    if (char === '\n') {
      if (state.destination === 'body' || state.destination === 'fldrslt') this.#endParagraph();
      return;
    }
    if (this.#skipChars > 0) {
      this.#skipChars--;
      return;
    }
    if (char === '~') this.#text('\u00a0');
    else if (char === '_') this.#text('\u2011');
    else if (char === '\\' || char === '{' || char === '}') this.#text(char);
    // `\-` (an optional hyphen) and unknown symbols carry no text.
  }

  #flushBytes(): void {
    if (this.#pendingBytes.length === 0) return;
    const bytes = Uint8Array.from(this.#pendingBytes);
    this.#pendingBytes = [];
    this.#text(this.#decoder.decode(bytes));
  }

  #text(text: string): void {
    const state = this.#state;
    switch (state.destination) {
      case 'body':
      case 'field':
      case 'fldrslt': {
        const last = this.#runs.at(-1);
        if (
          last &&
          last.isBold === state.isBold &&
          last.isItalic === state.isItalic &&
          last.href === state.href
        )
          last.text += text;
        else this.#runs.push({ text, isBold: state.isBold, isItalic: state.isItalic, href: state.href });
        return;
      }
      case 'fldinst':
        // A field's instruction is short (HYPERLINK "url"): bounded in case it is not.
        if (this.#fieldInstruction.length < 4096) this.#fieldInstruction += text;
        return;
      case 'stylesheet':
        if (this.#styleNumber !== null && this.#styleName.length < 256) this.#styleName += text;
        return;
      case 'title':
      case 'author':
      case 'subject':
      case 'keywords':
        this.#info.add(state.destination, text);
        return;
      default:
    }
  }

  /** The stylesheet entry that ends: "heading N" styles make headings of their paragraphs. */
  #endStyle(): void {
    const name = this.#styleName.replace(/;\s*$/, '').trim();
    const heading = /^(?:heading|titre|überschrift|encabezado|titolo)\s*(\d)/i.exec(name);
    if (this.#styleNumber !== null) {
      if (heading) this.#styleLevels.set(this.#styleNumber, Math.min(6, Math.max(1, Number(heading[1]))));
      else if (/^title$/i.test(name)) this.#styleLevels.set(this.#styleNumber, 1);
    }
    this.#styleNumber = null;
    this.#styleName = '';
  }

  #runsHtml(): string {
    const html = runsToHtml(this.#runs);
    this.#runs = [];
    return html;
  }

  #endParagraph(): void {
    if (this.#isInTable) {
      // A paragraph mark inside a cell is a line break of that cell.
      this.#text('\n');
      return;
    }
    this.#flushTable();
    const html = this.#runsHtml();
    if (html.replace(/<br>/g, '').trim() === '') return;
    const level =
      (this.#paragraphStyle !== null ? this.#styleLevels.get(this.#paragraphStyle) : undefined) ??
      (this.#outlineLevel !== null && this.#outlineLevel < 6 ? this.#outlineLevel + 1 : undefined);
    const tag = level !== undefined ? `h${level}` : 'p';
    this.#html.push(`<${tag}>${html}</${tag}>`);
  }

  #endCell(): void {
    this.#cells.push(this.#runsHtml().replace(/(?:<br>)+$/, ''));
  }

  #endRow(): void {
    if (this.#runs.some((run) => run.text.trim() !== '')) this.#endCell();
    this.#runs = [];
    if (this.#cells.length > 0) this.#rows.push(this.#cells);
    this.#cells = [];
  }

  #flushTable(): void {
    if (this.#cells.length > 0) this.#endRow();
    if (this.#rows.length === 0) return;
    const rows = this.#rows.map((cells, index) => {
      const tag = index === 0 ? 'th' : 'td';
      return `<tr>${cells.map((cell) => `<${tag}>${cell}</${tag}>`).join('')}</tr>`;
    });
    this.#html.push(`<table>${rows.join('')}</table>`);
    this.#rows = [];
  }
}

/** A paragraph's runs as HTML: bold, italic and links kept, line breaks as `<br>`. */
function runsToHtml(runs: readonly Run[]): string {
  return runs
    .map((run) => {
      let text = escapeHtml(run.text).replace(/\n/g, '<br>');
      if (text.trim() === '') return text;
      if (run.isItalic) text = `<i>${text}</i>`;
      if (run.isBold) text = `<b>${text}</b>`;
      if (run.href !== null) text = `<a href="${escapeHtml(run.href)}">${text}</a>`;
      return text;
    })
    .join('');
}

type InfoText = 'title' | 'author' | 'subject' | 'keywords';

/** `\info`'s parts as the reader meets them: title, author, subject, keywords and the creation time. */
class RtfInfo {
  readonly #text: Partial<Record<InfoText, string>> = {};
  readonly #created: Partial<Record<'yr' | 'mo' | 'dy' | 'hr' | 'min', number>> = {};

  /** Words inside `\info`: which part starts, and the creation time's fields. */
  word(state: GroupState, name: string, param: number | null): void {
    if (name === 'info') state.destination = 'info';
    else if (
      name === 'title' ||
      name === 'author' ||
      name === 'subject' ||
      name === 'keywords' ||
      name === 'creatim'
    )
      state.destination = name;
    else if (
      state.destination === 'creatim' &&
      (name === 'yr' || name === 'mo' || name === 'dy' || name === 'hr' || name === 'min') &&
      param !== null
    )
      this.#created[name] = param;
    // Other parts of \info (operator, company, revision times, counts) carry nothing we keep.
    else if (state.destination === 'info' && name !== 'creatim') state.destination = 'skip';
  }

  /** Text of one part, 1,024 characters at most. */
  add(part: InfoText, text: string): void {
    if ((this.#text[part]?.length ?? 0) < 1024) this.#text[part] = (this.#text[part] ?? '') + text;
  }

  result(): { title?: string; author?: string; subject?: string; keywords?: string; created?: string } {
    const { yr, mo, dy, hr, min } = this.#created;
    const created =
      yr !== undefined && yr > 1900
        ? new Date(Date.UTC(yr, (mo ?? 1) - 1, dy ?? 1, hr ?? 0, min ?? 0))
        : null;
    const clean = (value: string | undefined): string | undefined =>
      value?.replace(/\s+/g, ' ').trim() || undefined;
    const info = {
      title: clean(this.#text.title),
      author: clean(this.#text.author),
      subject: clean(this.#text.subject),
      keywords: clean(this.#text.keywords),
      created: created && !Number.isNaN(created.getTime()) ? created.toISOString() : undefined,
    };
    return Object.fromEntries(Object.entries(info).filter(([, v]) => v !== undefined));
  }
}

/** The URL of a `HYPERLINK "url"` field instruction, for http(s) and mailto links only. */
function hyperlinkOf(instruction: string): string | null {
  const match =
    /HYPERLINK\s+(?:\\l\s+)?"([^"]+)"/i.exec(instruction) ?? /HYPERLINK\s+(\S+)/i.exec(instruction);
  const href = match?.[1]?.trim();
  return href !== undefined && /^(?:https?:|mailto:)/i.test(href) ? href : null;
}
