import { Parser } from 'htmlparser2';

/*
 * Office parts (sheets, slides, ODF content) are read as a stream of tags, never as a DOM: a sheet
 * of a million cells would be a DOM of millions of objects, while the handlers below keep only what
 * they use (and stop keeping it past the row and column limits).
 */

/** Callbacks of {@link readXml}; tag names come as written, with their namespace prefix (`a:t`). */
export interface XmlHandlers {
  onOpen?: (name: string, attributes: Record<string, string>) => void;
  onText?: (text: string) => void;
  onClose?: (name: string) => void;
}

/** Streams one XML part through htmlparser2 in XML mode (entities decoded, case kept). */
export function readXml(xml: Uint8Array | string, handlers: XmlHandlers): void {
  const parser = new Parser(
    {
      onopentag: (name, attributes) => handlers.onOpen?.(name, attributes),
      ontext: (text) => handlers.onText?.(text),
      onclosetag: (name) => handlers.onClose?.(name),
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.end(
    typeof xml === 'string' ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength).toString('utf8'),
  );
}

/** The part's text, or null when the archive has no such part. */
export function partText(entries: ReadonlyMap<string, Uint8Array>, name: string): string | null {
  const data = entries.get(name);
  return data ? Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8') : null;
}

/** `Target`s of a relationships part (`_rels/x.xml.rels`) by `Id`, resolved against the part's folder. */
export function readRelationships(
  entries: ReadonlyMap<string, Uint8Array>,
  partName: string,
): Map<string, { target: string; type: string }> {
  const slash = partName.lastIndexOf('/');
  const folder = partName.slice(0, slash + 1);
  const rels = new Map<string, { target: string; type: string }>();
  const xml = partText(entries, `${folder}_rels/${partName.slice(slash + 1)}.rels`);
  if (xml === null) return rels;
  readXml(xml, {
    onOpen: (name, attributes) => {
      if (localName(name) !== 'Relationship' || !attributes.Id || !attributes.Target) return;
      const external = attributes.TargetMode === 'External';
      rels.set(attributes.Id, {
        target: external ? attributes.Target : resolvePart(folder, attributes.Target),
        type: attributes.Type ?? '',
      });
    },
  });
  return rels;
}

/** A part path relative to `folder` (`ppt/slides/` + `../media/a.png` → `ppt/media/a.png`). */
export function resolvePart(folder: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const parts = folder.split('/').filter(Boolean);
  for (const segment of target.split('/')) {
    if (segment === '..') parts.pop();
    else if (segment !== '.' && segment !== '') parts.push(segment);
  }
  return parts.join('/');
}

/** `a:t` → `t`. */
export function localName(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/** Text escaped for the HTML our converters build. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
