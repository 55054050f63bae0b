import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { decodeText } from '../decode.js';
import { ExtractionFailedError } from '../errors.js';
import { readZip } from '../zip-limits.js';
import { documentFromHtml } from './html-document.js';
import { localName, partText, readXml, resolvePart } from './xml-sax.js';

/** Options of {@link extractEpub}. */
export interface EpubExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  maxInflatedBytes?: number | undefined;
}

export const EPUB_TYPE = 'application/epub+zip';

interface Package {
  metadata: Map<string, string>;
  /** Chapter parts in spine order. */
  chapters: string[];
}

function readPackage(opf: string, folder: string): Package {
  const metadata = new Map<string, string>();
  const manifest = new Map<string, { href: string; type: string }>();
  const spine: string[] = [];
  let inMetadata = false;
  let current: string | null = null;
  readXml(opf, {
    onOpen: (name, attributes) => {
      const local = localName(name);
      if (local === 'metadata') inMetadata = true;
      else if (inMetadata && name.startsWith('dc:')) current = local;
      else if (local === 'item' && attributes.id && attributes.href)
        manifest.set(attributes.id, { href: attributes.href, type: attributes['media-type'] ?? '' });
      else if (local === 'itemref' && attributes.idref) spine.push(attributes.idref);
    },
    onText: (text) => {
      if (current && !metadata.has(`${current}:done`))
        metadata.set(current, (metadata.get(current) ?? '') + text);
    },
    onClose: (name) => {
      if (localName(name) === 'metadata') inMetadata = false;
      if (current) metadata.set(`${current}:done`, '1');
      current = null;
    },
  });
  const chapters = spine
    .map((id) => manifest.get(id))
    .filter(
      (item): item is { href: string; type: string } =>
        item !== undefined && /html/i.test(item.type || 'html'),
    )
    .map((item) => resolvePart(folder, decodeURIComponent(item.href.split('#', 1)[0]!)));
  return { metadata, chapters };
}

/** The inside of a chapter's `<body>`, with links and images that point into the book removed. */
function chapterBody(xhtml: string): string {
  const open = xhtml.search(/<body[\s>]/i);
  const start = open === -1 ? 0 : xhtml.indexOf('>', open) + 1;
  const end = xhtml.toLowerCase().lastIndexOf('</body>');
  const body = xhtml.slice(start, end > start ? end : xhtml.length);
  // Relative links and images name files inside the archive, which mean nothing at the book's URL.
  return body.replace(/\s(?:href|src)\s*=\s*("(?!https?:|mailto:)[^"]*"|'(?!https?:|mailto:)[^']*')/gi, '');
}

/** Extracts an EPUB book: its chapters in spine order, title, author, language and date from the package. */
export async function extractEpub(body: Uint8Array, options: EpubExtractOptions): Promise<ExtractedDocument> {
  const entries = await readZip(body, { maxTotalBytes: options.maxInflatedBytes });
  const container = partText(entries, 'META-INF/container.xml');
  let opfPath: string | null = null;
  if (container !== null) {
    readXml(container, {
      onOpen: (name, attributes) => {
        if (localName(name) === 'rootfile' && attributes['full-path'] && opfPath === null)
          opfPath = attributes['full-path'];
      },
    });
  }
  opfPath ??= [...entries.keys()].find((name) => name.endsWith('.opf')) ?? null;
  const opf = opfPath === null ? null : partText(entries, opfPath);
  if (opf === null || opfPath === null)
    throw new ExtractionFailedError(`The EPUB at ${options.url} has no package document (.opf)`);
  const folder = opfPath.slice(0, opfPath.lastIndexOf('/') + 1);
  const { metadata, chapters } = readPackage(opf, folder);
  let html = '';
  let chapterCount = 0;
  for (const part of chapters) {
    const data = entries.get(part);
    if (!data) continue;
    chapterCount++;
    html += `<section>${chapterBody(decodeText(data, 'application/xhtml+xml', { isHtml: true }).text)}</section>`;
  }
  const get = (key: string): string | null => metadata.get(key)?.trim() || null;
  const date = get('date');
  return documentFromHtml(html, {
    url: options.url,
    formats: options.formats,
    mimeType: EPUB_TYPE,
    extractor: 'epub',
    title: get('title'),
    byline: get('creator'),
    description: get('description'),
    lang: get('language'),
    publishedTime: date && !Number.isNaN(Date.parse(date)) ? new Date(Date.parse(date)).toISOString() : null,
    metadata: { author: get('creator'), publisher: get('publisher'), chapterCount },
  });
}
