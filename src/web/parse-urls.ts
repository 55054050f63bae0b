/**
 * Reads URLs out of pasted text or an uploaded .txt/.csv file: a line that is one URL is taken
 * whole, a CSV row's first column is taken when it is an http(s) URL, and any other http(s) token
 * in the text counts too. Exact repeats are dropped; the server dedupes again after normalising.
 */

const URL_TOKEN = /\bhttps?:\/\/[^\s"'<>,;]+/gi;

/** Strips trailing punctuation a sentence or a Markdown link leaves on a pasted URL. */
function trimToken(token: string): string {
  let url = token.replace(/[.,;:!?]+$/, '');
  // A closing bracket belongs to the URL only when it has an opening one (Wikipedia-style paths).
  while (/[)\]}]$/.test(url)) {
    const close = url.at(-1)!;
    const open = close === ')' ? '(' : close === ']' ? '[' : '{';
    if (url.split(open).length >= url.split(close).length) break;
    url = url.slice(0, -1);
  }
  return url;
}

/** The first CSV column of `line` (quoted or not) and the rest of the line after it. */
function splitFirstCsvColumn(line: string): { first: string; rest: string } {
  const trimmed = line.trim();
  if (trimmed.startsWith('"')) {
    const end = trimmed.indexOf('"', 1);
    return end === -1
      ? { first: trimmed.slice(1), rest: '' }
      : { first: trimmed.slice(1, end), rest: trimmed.slice(end + 1) };
  }
  const separator = trimmed.search(/[,;\t]/);
  return separator === -1
    ? { first: trimmed, rest: '' }
    : { first: trimmed.slice(0, separator), rest: trimmed.slice(separator + 1) };
}

export interface ParsedUrls {
  /** Distinct URLs in order of first appearance. */
  urls: string[];
  /** Repeats dropped. */
  duplicates: number;
  /** Non-blank lines without any http(s) URL (a CSV header, notes, other schemes). */
  ignoredLines: number;
}

/** The URLs of one line: a line that is one URL is taken whole (commas and all) unless it is CSV. */
function urlsOfLine(line: string, isCsv: boolean): string[] {
  const trimmed = line.trim();
  if (trimmed === '') return [];
  if (!isCsv && /^https?:\/\/\S+$/i.test(trimmed)) return [trimToken(trimmed)];
  const found: string[] = [];
  let rest = line;
  if (isCsv) {
    // The first column is the URL column even when it is quoted and holds commas.
    const columns = splitFirstCsvColumn(line);
    if (/^https?:\/\/\S+$/i.test(columns.first.trim())) {
      found.push(columns.first.trim());
      rest = columns.rest;
    }
  }
  for (const match of rest.matchAll(URL_TOKEN)) found.push(trimToken(match[0]));
  return found;
}

/** Every http(s) URL in `text`, in order, without repeats. `isCsv`: lines are CSV rows. */
export function parseUrls(text: string, options: { isCsv?: boolean } = {}): ParsedUrls {
  const seen = new Set<string>();
  const urls: string[] = [];
  let duplicates = 0;
  let ignoredLines = 0;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const found = urlsOfLine(line, options.isCsv ?? false);
    if (found.length === 0 && line.trim() !== '') ignoredLines++;
    for (const url of found) {
      if (seen.has(url)) {
        duplicates++;
        continue;
      }
      seen.add(url);
      urls.push(url);
    }
  }
  return { urls, duplicates, ignoredLines };
}
