import type { DocumentFormat, ExtractedDocument } from '../types.js';
import { ExtractionFailedError } from '../errors.js';
import { readZip } from '../zip-limits.js';
import { documentFromHtml } from './html-document.js';
import { odfSpecialCharacter } from './odf-text.js';
import { escapeHtml, partText, readXml } from './xml-sax.js';

/** Options of {@link extractOdt}. */
export interface OdtExtractOptions {
  url: string;
  formats: ReadonlySet<DocumentFormat>;
  maxInflatedBytes?: number | undefined;
}

export const ODT_TYPE = 'application/vnd.oasis.opendocument.text';

/** Title, author, language and dates of an ODF package's meta.xml. */
export function odfMeta(entries: ReadonlyMap<string, Uint8Array>): {
  title: string | null;
  author: string | null;
  lang: string | null;
  created: string | null;
} {
  const xml = partText(entries, 'meta.xml');
  const values = new Map<string, string>();
  if (xml !== null) {
    let current: string | null = null;
    readXml(xml, {
      onOpen: (name) => {
        current = name;
      },
      onText: (text) => {
        if (current) values.set(current, (values.get(current) ?? '') + text);
      },
      onClose: () => {
        current = null;
      },
    });
  }
  const value = (...names: string[]): string | null =>
    names.map((name) => values.get(name)?.trim()).find(Boolean) ?? null;
  const created = value('meta:creation-date');
  return {
    title: value('dc:title'),
    author: value('meta:initial-creator', 'dc:creator'),
    lang: value('dc:language'),
    created:
      created && !Number.isNaN(Date.parse(created)) ? new Date(Date.parse(created)).toISOString() : null,
  };
}

const BLOCKS: Record<string, string> = {
  'text:p': 'p',
  'text:list': 'ul',
  'text:list-item': 'li',
  'table:table': 'table',
  'table:table-row': 'tr',
  'table:table-cell': 'td',
};

/**
 * An ODF text body (`content.xml`) as semantic HTML: headings by outline level, paragraphs, lists,
 * tables and links; footnotes, annotations, frames and change-tracking are left out.
 */
export function odfTextToHtml(content: string): string {
  let html = '';
  let skipDepth = 0;
  let inBody = false;
  const open: string[] = [];
  readXml(content, {
    onOpen: (name, attributes) => {
      if (name === 'office:text' || name === 'office:presentation') inBody = true;
      if (!inBody) return;
      if (
        skipDepth > 0 ||
        name === 'text:note' ||
        name === 'office:annotation' ||
        name === 'text:tracked-changes' ||
        name === 'draw:frame'
      ) {
        skipDepth++;
        return;
      }
      let tag: string | undefined = BLOCKS[name];
      if (name === 'text:h')
        tag = `h${Math.min(6, Math.max(1, Number(attributes['text:outline-level'] ?? 1) || 1))}`;
      else if (name === 'text:a') {
        const href = attributes['xlink:href'] ?? '';
        html += /^(?:https?:|mailto:)/i.test(href) ? `<a href="${escapeHtml(href)}">` : '<a>';
        open.push('a');
        return;
      } else if (tag === undefined) {
        const special = odfSpecialCharacter(name, attributes);
        if (special !== null) html += special === '\n' ? '<br>' : escapeHtml(special);
        return;
      }
      html += `<${tag}>`;
      open.push(tag);
    },
    onText: (text) => {
      if (inBody && skipDepth === 0 && open.length > 0) html += escapeHtml(text);
    },
    onClose: (name) => {
      if (name === 'office:text' || name === 'office:presentation') inBody = false;
      if (!inBody) return;
      if (skipDepth > 0) {
        skipDepth--;
        return;
      }
      if (name === 'text:h' || name === 'text:a' || BLOCKS[name] !== undefined) {
        const tag = open.pop();
        if (tag) html += `</${tag}>`;
      }
    },
  });
  return html;
}

/** Extracts an OpenDocument text (LibreOffice Writer). */
export async function extractOdt(body: Uint8Array, options: OdtExtractOptions): Promise<ExtractedDocument> {
  const entries = await readZip(body, { maxTotalBytes: options.maxInflatedBytes });
  const content = partText(entries, 'content.xml');
  if (content === null)
    throw new ExtractionFailedError(`The ODT document at ${options.url} has no content.xml`);
  const meta = odfMeta(entries);
  return documentFromHtml(odfTextToHtml(content), {
    url: options.url,
    formats: options.formats,
    mimeType: ODT_TYPE,
    extractor: 'odt',
    title: meta.title,
    byline: meta.author,
    lang: meta.lang,
    publishedTime: meta.created,
    metadata: { author: meta.author },
  });
}
