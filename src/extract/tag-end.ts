/*
 * Where a tag ends, read the way htmlparser2 (linkedom's tokenizer) reads it: a `>` inside a quoted
 * attribute value does not end the tag, and a `<` there does not start one. String passes that run
 * before any DOM exists use these so that `<a title="<svg>">` is one tag, not two.
 */

const isSpace = (code: number): boolean =>
  code === 32 || code === 9 || code === 10 || code === 12 || code === 13;

/**
 * Index just past the `>` that ends the opening tag starting at `start` (the `<` of `<name`), or
 * `source.length` when it never ends (an unclosed quote runs to the end, as in the parser).
 */
export function openTagEnd(source: string, start: number): number {
  const length = source.length;
  let index = start + 1;
  while (index < length) {
    const code = source.charCodeAt(index);
    if (code === 62 /* > */) return index + 1;
    if (code === 61 /* = */) {
      index++;
      while (index < length && isSpace(source.charCodeAt(index))) index++;
      const quote = source.charCodeAt(index);
      if (quote === 34 /* " */ || quote === 39 /* ' */) {
        const close = source.indexOf(quote === 34 ? '"' : "'", index + 1);
        if (close < 0) return length;
        index = close + 1;
      } else {
        // An unquoted value runs to whitespace or `>`; quotes and `=` inside it are plain characters.
        while (index < length && !isSpace(source.charCodeAt(index)) && source.charCodeAt(index) !== 62)
          index++;
      }
      continue;
    }
    index++;
  }
  return length;
}

/** Index just past the `>` that ends the closing tag at `start` (closing tags have no quoting). */
export function closeTagEnd(source: string, start: number): number {
  const end = source.indexOf('>', start + 2);
  return end < 0 ? source.length : end + 1;
}
