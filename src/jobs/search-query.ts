/**
 * The query language of document search, one for every database. Each engine has a full-text
 * syntax of its own (FTS5's MATCH expressions, PostgreSQL's tsquery, MySQL's boolean mode), and
 * each fails differently on input it does not parse; passing user text to any of them would make
 * the same query mean three things and fail three ways. So a query is parsed here, with errors of
 * our own (stable reasons), into a small tree that storage compiles to each engine's syntax with
 * every term passed as a quoted string or a bound parameter. No library parses this web-search
 * style syntax into a tree we can compile three ways, hence the hand-written parser.
 *
 * The syntax (as in PostgreSQL's `websearch_to_tsquery` and most search boxes):
 * - `word word`: both (AND); `"a phrase"`: the words in this order;
 * - `word OR word`: either (OR binds tighter than the implicit AND: `a OR b c` is `(a OR b) AND c`);
 * - `-word`, `-"a phrase"`: not that;
 * - `prefix*`: any word that starts so (letters and digits only).
 * Matching ignores case and (on SQLite and PostgreSQL) accents; no stemming, so `run` does not
 * find `running` (use `run*`).
 */

/** One term of a query: a word, a phrase (words in order), or the start of a word. */
export interface SearchTerm {
  kind: 'word' | 'phrase' | 'prefix';
  /** The term's text as typed (a phrase without its quotes, a prefix without its `*`). */
  text: string;
}

/** A parsed query: every group must match (AND), each group by one of its terms (OR), and none of `excluded`. */
export interface SearchQuery {
  groups: SearchTerm[][];
  excluded: SearchTerm[];
}

/** Why a query was refused: the `reason` of an `invalid_search_query` problem. */
export type SearchQueryErrorReason =
  | 'empty'
  | 'unbalanced_quote'
  | 'only_excluded'
  | 'misplaced_or'
  | 'bad_prefix'
  | 'too_many_terms'
  | 'term_too_long'
  | 'query_too_long';

export type ParsedSearchQuery =
  { ok: true; query: SearchQuery } | { ok: false; reason: SearchQueryErrorReason; message: string };

/** Longest query, in characters. */
export const MAX_SEARCH_QUERY_CHARS = 500;
/** Most terms in a query, excluded ones included. */
export const MAX_SEARCH_TERMS = 32;
/** Longest term, in characters. */
export const MAX_SEARCH_TERM_CHARS = 100;

const HAS_WORD_CHARACTER = /[\p{L}\p{N}]/u;
const PREFIX = /^[\p{L}\p{N}]+$/u;

interface Token {
  term?: SearchTerm;
  isOr?: boolean;
  isExcluded?: boolean;
}

function fail(reason: SearchQueryErrorReason, message: string): ParsedSearchQuery {
  return { ok: false, reason, message };
}

/** Splits the query into terms, `OR`s and exclusions; quotes group a phrase. */
function tokenize(input: string): Token[] | ParsedSearchQuery {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const char = input[i]!;
    if (/\s/u.test(char)) {
      i++;
      continue;
    }
    let isExcluded = false;
    if (char === '-' && i + 1 < input.length && !/\s/u.test(input[i + 1]!)) {
      isExcluded = true;
      i++;
    }
    if (input[i] === '"') {
      const end = input.indexOf('"', i + 1);
      if (end === -1)
        return fail(
          'unbalanced_quote',
          `The quote at character ${i + 1} is never closed: close the phrase with another "`,
        );
      tokens.push({ term: { kind: 'phrase', text: input.slice(i + 1, end).trim() }, isExcluded });
      i = end + 1;
      continue;
    }
    let end = i;
    while (end < input.length && !/\s/u.test(input[end]!) && input[end] !== '"') end++;
    const word = input.slice(i, end);
    i = end;
    if (word === 'OR' && !isExcluded) {
      tokens.push({ isOr: true });
    } else if (word.endsWith('*')) {
      const stem = word.replace(/\*+$/, '');
      if (!PREFIX.test(stem)) {
        return fail(
          'bad_prefix',
          `\`${word}\`: a prefix search takes letters and digits before its *, such as \`extract*\``,
        );
      }
      tokens.push({ term: { kind: 'prefix', text: stem }, isExcluded });
    } else {
      tokens.push({ term: { kind: 'word', text: word }, isExcluded });
    }
  }
  return tokens;
}

/** Parses a search query (see the syntax above); never throws. */
export function parseSearchQuery(input: string): ParsedSearchQuery {
  if (input.length > MAX_SEARCH_QUERY_CHARS) {
    return fail(
      'query_too_long',
      `The query has ${input.length} characters; at most ${MAX_SEARCH_QUERY_CHARS} are allowed`,
    );
  }
  const tokens = tokenize(input);
  if (!Array.isArray(tokens)) return tokens;
  const groups: SearchTerm[][] = [];
  const excluded: SearchTerm[] = [];
  let count = 0;
  let isOrPending = false;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.isOr) {
      const previous = tokens[index - 1];
      if (groups.length === 0 || isOrPending || previous?.isExcluded || previous?.term === undefined) {
        return fail(
          'misplaced_or',
          'OR must stand between two terms that are not excluded, as in `markdown OR html`',
        );
      }
      isOrPending = true;
      continue;
    }
    const term = token.term!;
    // Terms of punctuation alone match nothing in any engine's tokenizer: they are dropped.
    if (!HAS_WORD_CHARACTER.test(term.text)) {
      if (isOrPending)
        return fail('misplaced_or', 'OR must stand between two terms, as in `markdown OR html`');
      continue;
    }
    if (term.text.length > MAX_SEARCH_TERM_CHARS) {
      return fail(
        'term_too_long',
        `A term has ${term.text.length} characters; at most ${MAX_SEARCH_TERM_CHARS} are allowed`,
      );
    }
    if (++count > MAX_SEARCH_TERMS)
      return fail('too_many_terms', `The query has more than ${MAX_SEARCH_TERMS} terms`);
    if (token.isExcluded) {
      if (isOrPending) return fail('misplaced_or', 'An excluded term cannot follow OR');
      excluded.push(term);
    } else if (isOrPending) {
      groups.at(-1)!.push(term);
      isOrPending = false;
    } else {
      groups.push([term]);
    }
  }
  if (isOrPending) return fail('misplaced_or', 'The query ends with OR: put a term after it');
  if (groups.length === 0) {
    return excluded.length > 0
      ? fail('only_excluded', 'The query only excludes terms: add at least one term to look for')
      : fail('empty', 'The query has no term to look for (letters or digits)');
  }
  return { ok: true, query: { groups, excluded } };
}

/** Every term of a query that is looked for (not the excluded ones), for highlighting. */
export function positiveTerms(query: SearchQuery): SearchTerm[] {
  return query.groups.flat();
}
