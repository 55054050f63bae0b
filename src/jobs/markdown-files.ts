/** Documents as Markdown files with front matter: what `distill extract -o`, `distill jobs results -o` and the results zip hold. */
import { createHash } from 'node:crypto';

/** A file name for a document: host and path made safe, plus a short hash so names never clash. */
export function markdownFileName(url: string): string {
  const { host, pathname } = new URL(url);
  const slug = `${host}${pathname}`
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120);
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 8);
  return `${slug || 'document'}-${hash}.md`;
}

/** What a Markdown file is written from: a stored document, or a result read from the API. */
export interface MarkdownSource {
  url: string;
  title: string | null;
  byline?: string | null;
  publishedTime?: string | null;
  /** ISO 8601. */
  fetchedAt: string;
  markdown?: string | null;
  text?: string | null;
}

/** The file: YAML front matter (url, title, byline, published, fetched), then the Markdown (or the text). */
export function toMarkdownFile(doc: MarkdownSource): string {
  const front = [
    '---',
    `url: ${JSON.stringify(doc.url)}`,
    `title: ${JSON.stringify(doc.title ?? '')}`,
    ...(doc.byline ? [`byline: ${JSON.stringify(doc.byline)}`] : []),
    ...(doc.publishedTime ? [`published: ${JSON.stringify(doc.publishedTime)}`] : []),
    `fetched: ${doc.fetchedAt}`,
    '---',
    '',
  ];
  return `${front.join('\n')}${doc.markdown ?? doc.text ?? ''}\n`;
}
