import type { SearchTerm } from '../../jobs/index.js';

/**
 * Snippets and highlights, made from the page's documents after the database found and ranked
 * them. SQLite (snippet()) and PostgreSQL (ts_headline) could make their own, MySQL cannot, and
 * ts_headline parses each document again; one pure function gives the same snippets on every
 * engine, for the cost of scanning the start of a page's worth of texts.
 */

/** Characters of a snippet, about (it is cut at whole words). */
export const SNIPPET_CHARS = 240;
/** Characters of context kept before the first match. */
const LEAD_CHARS = 60;

const WORD = /[\p{L}\p{N}]+/gu;
const SPACE_RUN = /\s+/gu;
const DIACRITICS = /\p{M}+/gu;

interface Word {
  start: number;
  end: number;
  folded: string;
}

interface Pattern {
  words: string[];
  isPrefix: boolean;
}

/** Lower case without accents, as the engines compare (FTS5's remove_diacritics, MySQL's collations). */
function fold(word: string): string {
  return word.normalize('NFD').replace(DIACRITICS, '').toLowerCase();
}

function wordsOf(text: string): Word[] {
  return Array.from(text.matchAll(WORD), (m) => ({
    start: m.index,
    end: m.index + m[0].length,
    folded: fold(m[0]),
  }));
}

function patternsOf(terms: readonly SearchTerm[]): Pattern[] {
  return terms
    .map((term) => ({ words: wordsOf(term.text).map((w) => w.folded), isPrefix: term.kind === 'prefix' }))
    .filter((pattern) => pattern.words.length > 0);
}

/** `[start, end)` of every match of a pattern in `text`, in order, not overlapping. */
function findMatches(text: string, patterns: readonly Pattern[]): [number, number][] {
  const words = wordsOf(text);
  const ranges: [number, number][] = [];
  let i = 0;
  while (i < words.length) {
    let matched = 0;
    for (const { words: needed, isPrefix } of patterns) {
      if (i + needed.length > words.length) continue;
      const isMatch = needed.every((w, k) =>
        isPrefix && k === needed.length - 1 ? words[i + k]!.folded.startsWith(w) : words[i + k]!.folded === w,
      );
      if (isMatch) matched = Math.max(matched, needed.length);
    }
    if (matched > 0) {
      ranges.push([words[i]!.start, words[i + matched - 1]!.end]);
      i += matched;
    } else {
      i++;
    }
  }
  return ranges;
}

/** Where `terms` occur in `text` (a title, say): `[start, end)` ranges. */
export function highlightsOf(text: string, terms: readonly SearchTerm[]): [number, number][] {
  return findMatches(text, patternsOf(terms));
}

/**
 * A passage of `text` around the first match of `terms` (the start of the text when none is in
 * it), whitespace collapsed, cut at whole words with `…`, and where it shows each match.
 */
export function makeSnippet(
  text: string,
  terms: readonly SearchTerm[],
  maxChars = SNIPPET_CHARS,
): { snippet: string; highlights: [number, number][] } {
  const patterns = patternsOf(terms);
  const first = findMatches(text, patterns)[0];
  let start = first ? Math.max(0, first[0] - LEAD_CHARS) : 0;
  // Start at a word's beginning: step back over the word cut by the lead.
  while (start > 0 && /[\p{L}\p{N}]/u.test(text[start - 1]!)) start--;
  // Generously more raw text than the snippet needs: collapsing whitespace shortens it.
  const raw = text.slice(start, start + maxChars * 3);
  let body = raw.replace(SPACE_RUN, ' ').trim();
  let isCut = start + raw.length < text.length;
  if (body.length > maxChars) {
    const cut = body.lastIndexOf(' ', maxChars);
    body = body.slice(0, cut > maxChars / 2 ? cut : maxChars);
    isCut = true;
  }
  const lead = start > 0 ? '… ' : '';
  const snippet = `${lead}${body}${isCut ? ' …' : ''}`;
  const highlights = findMatches(body, patterns).map(([s, e]): [number, number] => [
    s + lead.length,
    e + lead.length,
  ]);
  return { snippet, highlights };
}
