/**
 * A bounded RTF tokenizer (RTF 1.9.1 syntax): groups, control words with their optional signed
 * parameter, control symbols, `\'hh` bytes, `\binN` data, and plain text. Hand-written because no
 * well-kept npm reader exists (checked 2026-12: `rtf-parser` 1.3.3 and `@iarna/rtf-to-html` 1.1.0
 * are one author's unmaintained streaming parsers without code pages beyond the ANSI default;
 * `rtf-stream-parser` 3.8.1 de-encapsulates the HTML or text that Outlook wraps in RTF, not
 * documents), and the syntax is small. One pass over the bytes, no recursion: every token is O(1)
 * memory besides the text it carries, so a 10 MB file or a deep nest costs time linear in its size.
 */

/** One token. `text` runs hold bytes of the document's code page (ASCII is the same in all of them). */
export type RtfToken =
  | { kind: 'open' }
  | { kind: 'close' }
  | { kind: 'word'; name: string; param: number | null }
  /** A control symbol: `\~`, `\-`, `\_`, `\*`, `\\`, `\{`, `\}`, or `\` before a line break (a `par`). */
  | { kind: 'symbol'; char: string }
  /** `\'hh`: one byte of the code page. */
  | { kind: 'hex'; byte: number }
  /** A run of plain text bytes (line breaks in the file are not text and are dropped). */
  | { kind: 'text'; bytes: Uint8Array }
  /** `\binN`: N bytes of binary data, skipped (their length only). */
  | { kind: 'bin'; length: number };

/** Longest control word the specification allows, and the digits of a parameter. */
const MAX_WORD_LENGTH = 32;
const MAX_PARAM_DIGITS = 10;

const isLetter = (byte: number): boolean => (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a);
const isDigit = (byte: number): boolean => byte >= 0x30 && byte <= 0x39;

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (isDigit(byte)) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/** The tokens of `body`, in order. A `\binN` past the end of the file ends it. */
export function* rtfTokens(body: Uint8Array): Generator<RtfToken> {
  const end = body.length;
  let i = 0;
  while (i < end) {
    const byte = body[i]!;
    if (byte === 0x7b) {
      i++;
      yield { kind: 'open' };
    } else if (byte === 0x7d) {
      i++;
      yield { kind: 'close' };
    } else if (byte === 0x5c) {
      const next = body[i + 1];
      if (next === undefined) break;
      if (isLetter(next)) {
        let j = i + 1;
        while (j < end && j - i - 1 < MAX_WORD_LENGTH && isLetter(body[j]!)) j++;
        const name = String.fromCharCode(...body.subarray(i + 1, j));
        let param: number | null = null;
        let k = j;
        const isNegative = body[k] === 0x2d && isDigit(body[k + 1] ?? 0);
        if (isNegative) k++;
        const digitsFrom = k;
        while (k < end && k - digitsFrom < MAX_PARAM_DIGITS && isDigit(body[k]!)) k++;
        if (k > digitsFrom) {
          param = Number(String.fromCharCode(...body.subarray(digitsFrom, k))) * (isNegative ? -1 : 1);
          j = k;
        }
        // One space delimits the word and is part of it.
        if (body[j] === 0x20) j++;
        i = j;
        if (name === 'bin' && param !== null && param > 0) {
          // Binary data: skipped whole, however large it claims to be (clamped to the file).
          const length = Math.min(param, end - i);
          i += length;
          yield { kind: 'bin', length };
          continue;
        }
        yield { kind: 'word', name, param };
      } else if (next === 0x27) {
        const value = hexValue(body[i + 2]) * 16 + hexValue(body[i + 3]);
        i += 4;
        if (value >= 0) yield { kind: 'hex', byte: value };
      } else if (next === 0x0d || next === 0x0a) {
        i += 2;
        yield { kind: 'symbol', char: '\n' };
      } else {
        i += 2;
        yield { kind: 'symbol', char: String.fromCharCode(next) };
      }
    } else if (byte === 0x0d || byte === 0x0a) {
      i++;
    } else {
      let j = i + 1;
      while (j < end) {
        const b = body[j]!;
        if (b === 0x7b || b === 0x7d || b === 0x5c || b === 0x0d || b === 0x0a) break;
        j++;
      }
      yield { kind: 'text', bytes: body.subarray(i, j) };
      i = j;
    }
  }
}
