import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { countWords } from '../html/count-words.js';
import { escapeMarkdownLineStarts, escapeMarkdownText } from '../markdown-escape.js';

/** Options of {@link extractPlainText}. */
export interface TextExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  /** `text/markdown` keeps the source as the Markdown output; anything else is plain text. */
  mimeType: string;
}

const MAX_TITLE_CHARS = 200;

/** The first Markdown heading, else the first non-empty line, shortened to a title. */
export function firstLineTitle(text: string): string | null {
  const heading = /^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$/m.exec(text);
  const line = heading?.[1] ?? text.split('\n').find((candidate) => candidate.trim() !== '');
  if (!line) return null;
  const title = line.replace(/\s+/g, ' ').trim();
  return title.length > MAX_TITLE_CHARS ? `${title.slice(0, MAX_TITLE_CHARS - 1)}…` : title;
}

/** Absolute http(s) URLs written out in a text, unique, in order. */
export function linksInText(text: string): string[] {
  const links = new Set<string>();
  for (const match of text.matchAll(/\bhttps?:\/\/[^\s<>"'`()[\]{}]+[^\s<>"'`()[\]{}.,;:!?]/gi))
    links.add(match[0]);
  return [...links];
}

/** Plain text as Markdown: paragraphs stay paragraphs, Markdown syntax and HTML characters are escaped. */
export function textToMarkdown(text: string): string {
  return escapeMarkdownLineStarts(escapeMarkdownText(text));
}

/** Markdown source to readable text: markers of headings, emphasis, links and images removed. */
function markdownToText(markdown: string): string {
  return markdown
    .replace(/^```[^\n]*\n?|^~~~[^\n]*\n?/gm, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^ {0,3}#{1,6}[ \t]+/gm, '')
    .replace(/^ {0,3}>[ \t]?/gm, '')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/`([^`]+)`/g, '$1');
}

function normaliseNewlines(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[ \t]+$/gm, '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Front-matter keys kept, and characters of one value. */
const MAX_FRONT_MATTER_KEYS = 50;
const MAX_FRONT_MATTER_VALUE_CHARS = 1000;

/**
 * The YAML front matter of a Markdown file (`---` lines around `key: value` lines at its start):
 * its flat `key: value` pairs (quotes removed; nested YAML is not read) and the Markdown after it.
 * Hand-written, not a YAML library: only flat strings are wanted, and no YAML feature (anchors,
 * tags) should run on a site's text.
 */
export function splitFrontMatter(markdown: string): { frontMatter: Record<string, string>; body: string } {
  const match = /^---[ \t]*\n([\s\S]{0,20000}?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(markdown);
  if (!match) return { frontMatter: {}, body: markdown };
  const frontMatter: Record<string, string> = {};
  for (const line of match[1]!.split('\n')) {
    const pair = /^([A-Za-z_][\w-]{0,63})[ \t]*:[ \t]*(.*?)[ \t]*$/.exec(line);
    if (!pair || pair[2] === '' || Object.keys(frontMatter).length >= MAX_FRONT_MATTER_KEYS) continue;
    frontMatter[pair[1]!.toLowerCase()] = pair[2]!
      .replace(/^(["'])(.*)\1$/, '$2')
      .slice(0, MAX_FRONT_MATTER_VALUE_CHARS);
  }
  return { frontMatter, body: markdown.slice(match[0].length).replace(/^\n+/, '') };
}

/**
 * Plain text and Markdown pass through: title from the front matter, else the first heading or
 * line. A Markdown answer is the site's own Markdown (`metadata.source: "site-markdown"`).
 */
export function extractPlainText(source: string, options: TextExtractOptions): ExtractedDocument {
  const { url, formats, mimeType } = options;
  const isMarkdown = mimeType === 'text/markdown';
  const split = isMarkdown ? splitFrontMatter(normaliseNewlines(source)) : { frontMatter: {}, body: source };
  const frontMatter: Record<string, string> = split.frontMatter;
  const normalised = normaliseNewlines(split.body);
  const text = isMarkdown ? normaliseNewlines(markdownToText(normalised)) : normalised;
  let links: string[] = [];
  if (formats.has('links')) {
    const markdownLinks = isMarkdown
      ? [...normalised.matchAll(/\]\((https?:\/\/[^)\s]+)/gi)].map((match) => match[1]!)
      : [];
    links = [...new Set([...markdownLinks, ...linksInText(normalised)])];
  }
  return {
    url,
    canonicalUrl: null,
    mimeType,
    title: frontMatter.title ?? firstLineTitle(normalised),
    byline: frontMatter.author ?? null,
    description: frontMatter.description ?? null,
    siteName: null,
    lang: null,
    publishedTime: null,
    text: formats.has('text') ? text : '',
    markdown: formats.has('markdown') ? (isMarkdown ? normalised : textToMarkdown(normalised)) : null,
    html: null,
    links,
    wordCount: countWords(text),
    extractor: isMarkdown ? 'markdown' : 'text',
    quality: { path: 'whole', textLength: text.length, linkDensity: 0, wall: null },
    metadata: isMarkdown ? { source: 'site-markdown' } : {},
  };
}
