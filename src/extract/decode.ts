import chardet from 'chardet';
import iconv from 'iconv-lite';

/** Where the charset used to decode a body came from. */
export type CharsetSource = 'bom' | 'header' | 'meta' | 'detected' | 'default';

/** A decoded body and how its charset was chosen. */
export interface DecodedText {
  text: string;
  /** The canonical charset name used, e.g. `utf-8`, `windows-1252`, `shift_jis`. */
  charset: string;
  source: CharsetSource;
}

/** Options of {@link decodeText}. */
export interface DecodeOptions {
  /** Look for `<meta charset>` in the first bytes. @default true */
  isHtml?: boolean;
}

/** How many bytes the `<meta charset>` prescan looks at (browsers look at 1024; pages often put it later). */
const META_PRESCAN_BYTES = 4096;
/** How many bytes charset detection looks at: enough for chardet's statistics, bounded in cost. */
const DETECT_SAMPLE_BYTES = 64 * 1024;

/**
 * Labels browsers treat as another charset (WHATWG Encoding Standard), plus spellings seen in the
 * wild. Latin-1 and ASCII labels mean windows-1252: pages that say iso-8859-1 use its curly quotes.
 */
const ALIASES: Record<string, string> = {
  utf8: 'utf-8',
  'unicode-1-1-utf-8': 'utf-8',
  'x-unicode20utf8': 'utf-8',
  // A page cannot really be UTF-16 if its meta tag was readable as ASCII; browsers use UTF-8.
  'utf-16': 'utf-8',
  'utf-16le': 'utf-8',
  'utf-16be': 'utf-8',
  unicode: 'utf-8',
  latin1: 'windows-1252',
  l1: 'windows-1252',
  'iso-8859-1': 'windows-1252',
  iso8859_1: 'windows-1252',
  'iso8859-1': 'windows-1252',
  'iso_8859-1': 'windows-1252',
  'iso-ir-100': 'windows-1252',
  cp819: 'windows-1252',
  ibm819: 'windows-1252',
  'us-ascii': 'windows-1252',
  ascii: 'windows-1252',
  'ansi_x3.4-1968': 'windows-1252',
  cp1252: 'windows-1252',
  'x-cp1252': 'windows-1252',
  'iso-8859-9': 'windows-1254',
  latin5: 'windows-1254',
  'iso-8859-11': 'windows-874',
  'tis-620': 'windows-874',
  cp1251: 'windows-1251',
  'x-cp1251': 'windows-1251',
  sjis: 'shift_jis',
  'shift-jis': 'shift_jis',
  'x-sjis': 'shift_jis',
  ms_kanji: 'shift_jis',
  ms932: 'shift_jis',
  'windows-31j': 'shift_jis',
  csshiftjis: 'shift_jis',
  gb2312: 'gbk',
  'gb_2312-80': 'gbk',
  'x-gbk': 'gbk',
  cp936: 'gbk',
  'ks_c_5601-1987': 'euc-kr',
  ks_c_5601: 'euc-kr',
  cp949: 'euc-kr',
  'x-euc-jp': 'euc-jp',
  'big5-hkscs': 'big5',
  'x-mac-roman': 'macintosh',
};

/** Names iconv-lite should use for the canonical names above (Shift_JIS as Windows decodes it). */
const ICONV_NAMES: Record<string, string> = {
  shift_jis: 'cp932',
  'euc-kr': 'cp949',
};

/**
 * Turns a charset label into the canonical name we decode with, or null when we cannot decode it.
 */
export function normaliseCharset(label: string | null | undefined): string | null {
  if (!label) return null;
  const cleaned = label
    .trim()
    .replace(/^["']|["']$/g, '')
    .toLowerCase();
  if (!cleaned) return null;
  const name = ALIASES[cleaned] ?? cleaned;
  if (name === 'utf-8') return name;
  return iconv.encodingExists(ICONV_NAMES[name] ?? name) ? name : null;
}

/** The `charset` parameter of a Content-Type header, normalised, or null. */
export function charsetFromContentType(contentType: string | undefined): string | null {
  if (!contentType) return null;
  const match = /;\s*charset\s*=\s*("?)([^";,\s]+)\1/i.exec(contentType);
  return normaliseCharset(match?.[2]);
}

function charsetFromBom(body: Uint8Array): { charset: string; length: number } | null {
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf)
    return { charset: 'utf-8', length: 3 };
  if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) return { charset: 'utf-16be', length: 2 };
  if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) return { charset: 'utf-16le', length: 2 };
  return null;
}

const META_CHARSET = /<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([\w.:-]+)/gi;

/** The charset declared by `<meta charset>` or `<meta http-equiv=content-type>` near the start. */
export function charsetFromMeta(body: Uint8Array): string | null {
  const head = latin1(body.subarray(0, META_PRESCAN_BYTES));
  for (const match of head.matchAll(META_CHARSET)) {
    const charset = normaliseCharset(match[1]);
    if (charset) return charset;
  }
  return null;
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenientUtf8 = new TextDecoder('utf-8', { ignoreBOM: true });

/** True when the bytes are valid UTF-8 (pure ASCII included). */
export function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    fatalUtf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Decodes with the canonical charset name from {@link normaliseCharset}. */
function decodeWith(bytes: Uint8Array, charset: string): string {
  // TextDecoder only for UTF-8: Node 20's TextDecoder decodes windows-1252 as ISO-8859-1
  // (nodejs/node#60888), which turns curly quotes into C1 control characters.
  if (charset === 'utf-8') return lenientUtf8.decode(bytes);
  return iconv.decode(
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    ICONV_NAMES[charset] ?? charset,
  );
}

/** chardet's guess for bytes that are not valid UTF-8, as a charset we can decode. */
function detectCharset(bytes: Uint8Array): string | null {
  const sample = bytes.subarray(0, DETECT_SAMPLE_BYTES);
  const guess = normaliseCharset(chardet.detect(sample));
  // ISO-8859-1 guesses come out as windows-1252 through the alias table; UTF-8 guesses cannot be
  // right for bytes that failed strict UTF-8 decoding.
  return guess === 'utf-8' ? null : guess;
}

/**
 * Decodes a textual body. The charset comes from the byte-order mark (browsers let it win over the
 * header), then the Content-Type header, then `<meta charset>` in the first KB (HTML only), then
 * detection (valid UTF-8 is UTF-8; otherwise chardet), then windows-1252.
 */
export function decodeText(body: Uint8Array, contentType?: string, options: DecodeOptions = {}): DecodedText {
  const bom = charsetFromBom(body);
  if (bom) {
    const rest = body.subarray(bom.length);
    if (bom.charset === 'utf-8') return { text: lenientUtf8.decode(rest), charset: 'utf-8', source: 'bom' };
    return {
      text: iconv.decode(Buffer.from(rest.buffer, rest.byteOffset, rest.byteLength), bom.charset),
      charset: bom.charset,
      source: 'bom',
    };
  }
  const declared = charsetFromContentType(contentType);
  if (declared) return { text: decodeWith(body, declared), charset: declared, source: 'header' };
  if (options.isHtml ?? true) {
    const meta = charsetFromMeta(body);
    if (meta) return { text: decodeWith(body, meta), charset: meta, source: 'meta' };
  }
  if (isValidUtf8(body)) return { text: lenientUtf8.decode(body), charset: 'utf-8', source: 'detected' };
  const detected = detectCharset(body);
  if (detected) return { text: decodeWith(body, detected), charset: detected, source: 'detected' };
  return { text: decodeWith(body, 'windows-1252'), charset: 'windows-1252', source: 'default' };
}
