/*
 * Escaping for the Markdown we write, shared by every serialiser (HTML, DOCX, plain text). Markdown
 * passes raw HTML through: page text that reads `<img src=x onerror=…>` (`&lt;img…&gt;` in the
 * page) would come out of a renderer as a live element. So text never carries a bare `<`, `>` or
 * entity-like `&`: they become character references, which every Markdown dialect shows as the
 * characters themselves (a backslash before `<` is CommonMark only). Markdown's own punctuation
 * gets a backslash where it would change the meaning. Code needs no escaping, since Markdown
 * code is never HTML, but its delimiters must be longer than any backtick run inside, or the code
 * ends early and the rest is read as Markdown, raw HTML included.
 */

/** `&` that would start a character reference (`&lt;`, `&#60;`, `&#x3c;`) and must stay text. */
const REFERENCE_AMPERSAND = /&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[a-zA-Z][a-zA-Z0-9]{0,31};)/g;

/**
 * Text as Markdown that renders as exactly that text: `<`, `>` and a `&` that would start a
 * character reference become `&lt;`, `&gt;`, `&amp;`; `\`, `` ` ``, `*`, `_`, `[`, `]` get a backslash.
 * Block syntax at the start of a line is {@link escapeMarkdownLineStarts}'s job.
 */
export function escapeMarkdownText(text: string): string {
  return text
    .replace(/[\\`*_[\]]/g, '\\$&')
    .replace(REFERENCE_AMPERSAND, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Backslashes the markers that would start a heading, quote or list item at the start of a line. */
export function escapeMarkdownLineStarts(text: string): string {
  // A backslash goes before the punctuation: `1\.`, since `\1.` is no escape at all.
  return text.replace(
    /^(\s*)(?:([#>+-])|(\d{1,9})([.)]))(?=\s)/gm,
    (_, space: string, marker?: string, digits?: string, dot?: string) =>
      marker ? `${space}\\${marker}` : `${space}${digits}\\${dot}`,
  );
}

function longestBacktickRun(code: string): number {
  let longest = 0;
  for (const run of code.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}

/** Inline code: delimited by one backtick more than the longest run inside, padded where needed. */
export function markdownCodeSpan(code: string): string {
  const fence = '`'.repeat(longestBacktickRun(code) + 1);
  // CommonMark strips one space from each end when both have one, and a backtick at an end would
  // join the fence: pad with a space in those cases.
  const pad =
    code.startsWith('`') ||
    code.endsWith('`') ||
    (code.startsWith(' ') && code.endsWith(' ') && code.trim() !== '')
      ? ' '
      : '';
  return `${fence}${pad}${code}${pad}${fence}`;
}

/**
 * A fenced code block: the fence is at least three backticks and longer than any backtick run in
 * `code`, so no line of it can close the block; `language` keeps only characters an info string allows.
 */
export function markdownCodeFence(code: string, language = ''): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(code) + 1));
  return `${fence}${language.replace(/[^\w+#.-]/g, '')}\n${code}\n${fence}`;
}

/** A link title, quoted: whitespace collapsed (a blank line would end the link), `\` and `"` escaped. */
export function markdownLinkTitle(title: string): string {
  const text = title
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\"]/g, '\\$&')
    .replace(REFERENCE_AMPERSAND, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  return `"${text}"`;
}

/** A URL as a link destination: parentheses, whitespace, angle brackets and backslashes percent-encoded. */
export function markdownUrl(url: string): string {
  // encodeURIComponent leaves parentheses alone.
  return url.replace(/[()\s<>\\]/g, (character) =>
    character === '(' ? '%28' : character === ')' ? '%29' : encodeURIComponent(character),
  );
}
