import { escapeHtml, localName } from './xml-sax.js';

/**
 * Turns the spans of ODF text (`text:s`, `text:tab`, `text:line-break`) into text as a reader
 * streams a paragraph. Shared by the ODT and ODS readers.
 */
export function odfSpecialCharacter(name: string, attributes: Record<string, string>): string | null {
  switch (localName(name)) {
    case 's':
      return ' '.repeat(Math.min(100, Math.max(1, Number(attributes['text:c'] ?? 1) || 1)));
    case 'tab':
      return '\t';
    case 'line-break':
      return '\n';
    default:
      return null;
  }
}

export { escapeHtml };
