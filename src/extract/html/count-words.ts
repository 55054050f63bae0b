/** Counts words; CJK characters count one each since those scripts do not separate words. */
export function countWords(text: string): number {
  const matches = text.match(
    /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}_][\p{L}\p{N}_'’.-]*/gu,
  );
  return matches ? matches.length : 0;
}
