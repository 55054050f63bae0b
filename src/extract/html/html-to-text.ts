import { parseDocument } from './dom.js';
import { prepareHtml } from './prepare.js';
import { toText } from './serialize.js';

/** All the text of an HTML document or fragment, with the paragraph rules of extracted text. */
export function htmlToText(html: string): string {
  const document = parseDocument(prepareHtml(html).html);
  return document.body ? toText(document.body).text : '';
}
