// The control words of the RTF reader (extract-rtf.ts): the destinations it skips, the words that
// stand for a character, the code pages, each group's state, and the words that only change it.

/** Destinations whose text is not the document's: fonts, colours, styles' bodies, pictures, headers. */
export const SKIPPED_DESTINATIONS = new Set([
  'fonttbl',
  'colortbl',
  'pict',
  'object',
  'objdata',
  'header',
  'headerl',
  'headerr',
  'headerf',
  'footer',
  'footerl',
  'footerr',
  'footerf',
  'footnote',
  'annotation',
  'xmlnstbl',
  'listtable',
  'listoverridetable',
  'rsidtbl',
  'generator',
  'themedata',
  'colorschememapping',
  'latentstyles',
  'datastore',
  'revtbl',
  'pgdsctbl',
  'filetbl',
  'shp',
  'nonshppict',
  'bkmkstart',
  'bkmkend',
  'txfieldtext',
  'atnid',
  'atnauthor',
  'private',
  'userprops',
  'docvar',
  'template',
]);

/** The `\info` parts taken into the document's metadata. */
export const INFO_FIELDS = new Set(['title', 'author', 'subject', 'keywords', 'creatim']);

/** Characters of the control words that stand for one. */
export const CHARACTER_WORDS: Record<string, string> = {
  emdash: '\u2014',
  endash: '\u2013',
  bullet: '\u2022',
  lquote: '\u2018',
  rquote: '\u2019',
  ldblquote: '\u201c',
  rdblquote: '\u201d',
  emspace: '\u2003',
  enspace: '\u2002',
  qmspace: '\u2005',
  tab: ' ',
  line: '\n',
  // A nested table's cells and rows are read as text (only the outer table becomes GFM).
  nestcell: ' ',
  nestrow: '\n',
  zwj: '\u200d',
  zwnj: '\u200c',
};

/** Code pages (`\ansicpgN`) by their WHATWG encoding label; an unknown one reads as windows-1252. */
export const CODE_PAGES: Record<number, string> = {
  874: 'windows-874',
  932: 'shift_jis',
  936: 'gbk',
  949: 'euc-kr',
  950: 'big5',
  10000: 'macintosh',
  1250: 'windows-1250',
  1251: 'windows-1251',
  1252: 'windows-1252',
  1253: 'windows-1253',
  1254: 'windows-1254',
  1255: 'windows-1255',
  1256: 'windows-1256',
  1257: 'windows-1257',
  1258: 'windows-1258',
  65001: 'utf-8',
};

export type Destination =
  | 'body'
  | 'skip'
  | 'info'
  | 'stylesheet'
  | 'field'
  | 'fldinst'
  | 'fldrslt'
  | 'title'
  | 'author'
  | 'subject'
  | 'keywords'
  | 'creatim';

export interface GroupState {
  destination: Destination;
  isBold: boolean;
  isItalic: boolean;
  /** `\ucN`: how many code-page characters follow a `\uN` as its fallback (skipped). */
  unicodeSkip: number;
  href: string | null;
  /** The group opened with `\*`: skipped unless its first word is one we read. */
  isIgnorable: boolean;
}

/** A decoder of the code page `label`; windows-1252 for an unknown one. */
export function decoderOf(label: string | undefined): InstanceType<typeof TextDecoder> {
  try {
    return new TextDecoder(label ?? 'windows-1252');
  } catch {
    return new TextDecoder('windows-1252');
  }
}

/**
 * The control words that only set the current group's state (its destination, bold, italic,
 * `\ucN`); false for any other word.
 */
export function groupWord(state: GroupState, name: string, param: number | null): boolean {
  switch (name) {
    case 'stylesheet':
      state.destination = 'stylesheet';
      return true;
    case 'info':
      state.destination = 'info';
      return true;
    case 'fldinst':
      state.destination = 'fldinst';
      return true;
    case 'plain':
      state.isBold = false;
      state.isItalic = false;
      return true;
    case 'b':
      state.isBold = param !== 0;
      return true;
    case 'i':
      state.isItalic = param !== 0;
      return true;
    case 'uc':
      state.unicodeSkip = Math.max(0, Math.min(param ?? 1, 10));
      return true;
    default:
      return false;
  }
}
