import { Tokenizer } from 'htmlparser2';

/*
 * A compact tree built straight from htmlparser2's tokenizer: elements are small objects (tag,
 * the few attributes we read, children, parent), text is plain strings among the children. No DOM,
 * no selector engine. We build the tree ourselves instead of using htmlparser2's Parser because the
 * Parser keeps its open elements with `Array.unshift` and closes them with `indexOf`, which is
 * quadratic in the nesting depth (100,000 nested elements would take minutes).
 *
 * Every step is bounded so hostile HTML costs time linear in its size:
 * - nesting beyond `maxDepth` is flattened: deeper elements are not created, their text goes to the
 *   deepest element kept;
 * - after `maxElements` elements the parse stops and the tree is marked `isTruncated`;
 * - an attribute value is kept up to `MAX_ATTRIBUTE_CHARS` and the rest is dropped as it streams in;
 * - a closing tag looks for its element at most `MAX_CLOSE_SEARCH` levels up (browsers search the
 *   whole stack; a stray `</span>` at depth 100,000 would make that quadratic);
 * - elements that never hold main text (scripts, styles, SVG, templates, widgets) are skipped at
 *   parse time, except JSON-LD, which is kept aside for metadata.
 */

/** One element of the tree. Tag names are lower case; `attrs` holds only {@link KEPT_ATTRIBUTES}. */
export interface Element {
  tag: string;
  attrs: Record<string, string> | null;
  children: TreeNode[];
  parent: Element | null;
  /** Non-whitespace characters of text below, set by `measure` (stats.ts). */
  chars: number;
  /** Of those, the characters inside links. */
  linkChars: number;
  /** Set by cleaning: the element and its subtree are not content. */
  isDropped: boolean;
}

/** A child: an element, or a run of text (entities decoded, whitespace as in the source). */
export type TreeNode = Element | string;

/** What {@link parseTree} returns. */
export interface ParsedTree {
  /** The document: its children are `head` and `body`. */
  root: Element;
  head: Element;
  body: Element;
  /** `<meta>`, `<link>`, `<base>` elements wherever they were, in document order. */
  metas: Element[];
  links: Element[];
  base: Element | null;
  title: string | null;
  /** The text of every `<script type="application/ld+json">`, in document order. */
  jsonLd: string[];
  /** Scripts that may carry the page's data as JSON (script-data.ts), in document order. */
  dataScripts: string[];
  /** Elements created. */
  elementCount: number;
  /** True when the node budget stopped the parse before the end of the page. */
  isTruncated: boolean;
  /** True when nesting deeper than the depth cap was flattened. */
  isFlattened: boolean;
}

/** Limits of {@link parseTree}. */
export interface TreeLimits {
  /** Deepest nesting kept. @default 256 */
  maxDepth?: number;
  /** Elements created before the parse stops. @default 200000 */
  maxElements?: number;
}

const DEFAULT_MAX_DEPTH = 256;
const DEFAULT_MAX_ELEMENTS = 200_000;
/** Longest attribute value kept, in characters (a `srcset`, a long `href`, a JSON `data-` blob is cut). */
const MAX_ATTRIBUTE_CHARS = 4096;
const MAX_CLOSE_SEARCH = 128;
/** JSON-LD kept per page, in characters; the same again for data scripts (a longer one is not kept). */
const MAX_JSON_LD_CHARS = 2_000_000;
/** The start of an inline script that assigns a literal to a global: `window.__STATE__ = {`. */
const DATA_ASSIGNMENT = /^\s*(?:window|self|globalThis)\.[\w$]{1,60}\s*=\s*[{[]/;

/** Attributes any pass reads; the rest are dropped at parse time. */
const KEPT_ATTRIBUTES = new Set([
  'id',
  'class',
  'role',
  'itemprop',
  'itemtype',
  'itemscope',
  'href',
  'src',
  'data-src',
  'alt',
  'title',
  'lang',
  'hidden',
  'aria-hidden',
  'aria-label',
  'style',
  'type',
  'colspan',
  'rowspan',
  'start',
  'content',
  'property',
  'name',
  'rel',
  'datetime',
  'open',
  'data-lang',
  'data-language',
  'xml:lang',
]);

/** Elements without content or end tag. */
export const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
  'keygen',
  'frame',
  'image',
]);

/**
 * Elements dropped with their whole content at parse time. Not `<noscript>`: some sites (Discourse)
 * serve their whole content inside it for clients without scripts; cleaning drops the small ones.
 */
const SKIPPED_ELEMENTS = new Set([
  'script',
  'style',
  'template',
  'svg',
  'iframe',
  'object',
  'select',
  'textarea',
  'canvas',
  'video',
  'audio',
  'map',
  'dialog',
]);

/** Elements whose start closes an open `<p>` (HTML's "closes a p element"). */
const CLOSES_P = new Set(
  (
    'address article aside blockquote details div dl fieldset figcaption figure footer form ' +
    'h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre section table ul li dd dt'
  ).split(' '),
);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Elements that may sit in `<head>`; anything else there starts the body. */
const HEAD_ELEMENTS = new Set(['meta', 'link', 'title', 'base', 'script', 'style', 'noscript', 'template']);

/** For an element that closes an open one of the same family: the family, and where the search stops. */
const IMPLIED_CLOSE: Record<string, { closes: Set<string>; stopAt: Set<string> }> = {
  li: {
    closes: new Set(['li']),
    stopAt: new Set(['ul', 'ol', 'menu', 'table', 'div', 'section', 'article', 'body']),
  },
  dt: { closes: new Set(['dt', 'dd']), stopAt: new Set(['dl', 'table', 'div', 'body']) },
  dd: { closes: new Set(['dt', 'dd']), stopAt: new Set(['dl', 'table', 'div', 'body']) },
  tr: { closes: new Set(['tr']), stopAt: new Set(['table', 'thead', 'tbody', 'tfoot', 'body']) },
  td: { closes: new Set(['td', 'th']), stopAt: new Set(['tr', 'table', 'body']) },
  th: { closes: new Set(['td', 'th']), stopAt: new Set(['tr', 'table', 'body']) },
  thead: { closes: new Set(['thead', 'tbody', 'tfoot']), stopAt: new Set(['table', 'body']) },
  tbody: { closes: new Set(['thead', 'tbody', 'tfoot']), stopAt: new Set(['table', 'body']) },
  tfoot: { closes: new Set(['thead', 'tbody', 'tfoot']), stopAt: new Set(['table', 'body']) },
  option: { closes: new Set(['option']), stopAt: new Set(['select', 'datalist', 'body']) },
};

/**
 * htmlparser2's tokenizer reads `<![CDATA[` as a CDATA section up to `]]>` even in HTML, where it
 * only exists in SVG and MathML; elsewhere browsers end it at the first `>`, and a stray one (a
 * forum's template) would otherwise swallow the page. We turn each into an empty comment first.
 * JSON-LD wrapped in CDATA keeps its JSON (structured.ts strips the marker).
 */
export const CDATA_COMMENT = '<!--CDATA-->';

/** Creates an element. */
export function createElement(
  tag: string,
  parent: Element | null,
  attrs: Record<string, string> | null = null,
): Element {
  return { tag, attrs, children: [], parent, chars: 0, linkChars: 0, isDropped: false };
}

/** An attribute of an element, or null. */
export function attr(element: Element, name: string): string | null {
  return element.attrs?.[name] ?? null;
}

/**
 * Parses HTML into a compact tree. Linear in the length of `html`, whatever its shape, and
 * never throws on malformed markup.
 */
export function parseTree(html: string, limits: TreeLimits = {}): ParsedTree {
  const source = html.includes('<![CDATA[') ? html.replaceAll('<![CDATA[', CDATA_COMMENT) : html;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxElements = limits.maxElements ?? DEFAULT_MAX_ELEMENTS;
  const root = createElement('#document', null);
  const head = createElement('head', root);
  const body = createElement('body', root);
  root.children.push(head, body);
  const tree: ParsedTree = {
    root,
    head,
    body,
    metas: [],
    links: [],
    base: null,
    title: null,
    jsonLd: [],
    dataScripts: [],
    elementCount: 0,
    isTruncated: false,
    isFlattened: false,
  };

  /** Open elements, innermost last; `stack[0]` is head or body. */
  const stack: Element[] = [head];
  let current: Element = head;
  let inBody = false;
  /** Elements opened beyond the depth cap and not closed yet (not created). */
  let overflow = 0;
  /** While > 0 we are inside a skipped element: its name and how deep in same-named elements. */
  let skipName = '';
  let skipDepth = 0;
  let skipIsJsonLd = false;
  /** 1: a JSON script, 2: an inline script that may assign data; 0: neither. */
  let skipData = 0;
  let skipText = '';
  let jsonLdChars = 0;
  let dataChars = 0;
  let inTitle = false;
  let titleText = '';

  let tagName = '';
  let attrs: Record<string, string> | null = null;
  let attrName = '';
  let attrValue = '';
  /** The attribute being read is one we keep: the values of the others are never built. */
  let isKeptAttr = false;
  let isClosingTag = false;

  const enterBody = (): void => {
    if (inBody) return;
    inBody = true;
    stack.length = 0;
    stack.push(body);
    current = body;
  };

  const pop = (): void => {
    if (stack.length <= 1) return;
    stack.pop();
    current = stack[stack.length - 1]!;
  };

  /** Closes the nearest open element named in `names`, unless one of `stopAt` comes first. */
  const closeNearest = (names: Set<string>, stopAt: Set<string>): void => {
    const lowest = Math.max(1, stack.length - MAX_CLOSE_SEARCH);
    for (let i = stack.length - 1; i >= lowest; i--) {
      const tag = stack[i]!.tag;
      if (names.has(tag)) {
        stack.length = i;
        current = stack[i - 1]!;
        return;
      }
      if (stopAt.has(tag)) return;
    }
  };

  const appendText = (text: string): void => {
    if (skipDepth > 0) {
      if (skipIsJsonLd && jsonLdChars < MAX_JSON_LD_CHARS) {
        skipText += text;
        jsonLdChars += text.length;
      } else if (skipData > 0) {
        if (skipData === 2 && skipText === '' && !DATA_ASSIGNMENT.test(text.slice(0, 80))) skipData = 0;
        else if (dataChars + skipText.length + text.length > MAX_JSON_LD_CHARS) skipData = 0;
        else skipText += text;
        if (skipData === 0) skipText = '';
      }
      return;
    }
    if (inTitle) {
      if (titleText.length < MAX_ATTRIBUTE_CHARS) titleText += text;
      return;
    }
    if (!inBody) {
      if (!/\S/.test(text)) return;
      enterBody();
    }
    const children = current.children;
    const last = children.length - 1;
    const previous = children[last];
    if (typeof previous === 'string') children[last] = previous + text;
    else children.push(text);
  };

  const openElement = (
    name: string,
    attributes: Record<string, string> | null,
    isSelfClosing: boolean,
  ): void => {
    if (skipDepth > 0) {
      if (name === skipName && !isSelfClosing) skipDepth++;
      return;
    }
    if (name === 'html') {
      if (attributes) root.attrs = { ...attributes, ...root.attrs };
      return;
    }
    if (name === 'head') return;
    if (name === 'body') {
      enterBody();
      if (attributes) body.attrs = { ...attributes, ...body.attrs };
      return;
    }
    if (name === 'title' && !inBody) {
      if (!isSelfClosing) inTitle = true;
      return;
    }
    if (SKIPPED_ELEMENTS.has(name)) {
      if (isSelfClosing || (name !== 'script' && name !== 'style' && VOID_ELEMENTS.has(name))) return;
      skipName = name;
      skipDepth = 1;
      const type = name === 'script' ? (attributes?.type ?? '').toLowerCase() : '';
      skipIsJsonLd = type.includes('ld+json');
      skipData =
        name !== 'script' || skipIsJsonLd
          ? 0
          : /json/.test(type)
            ? 1
            : /^(?:|text\/javascript|module)$/.test(type)
              ? 2
              : 0;
      skipText = '';
      return;
    }
    if (!inBody && !HEAD_ELEMENTS.has(name)) enterBody();
    if (tree.isTruncated) return;
    const isVoid = VOID_ELEMENTS.has(name);
    if (overflow > 0 || stack.length >= maxDepth) {
      tree.isFlattened = true;
      if (!isVoid && !isSelfClosing) overflow++;
      if (name === 'br') appendText('\n');
      return;
    }
    if (name === 'p' || CLOSES_P.has(name)) {
      // An open <p> (possibly under a few inline elements) ends where a block starts.
      const lowest = Math.max(1, stack.length - 4);
      for (let i = stack.length - 1; i >= lowest; i--) {
        if (stack[i]!.tag === 'p') {
          stack.length = i;
          current = stack[i - 1]!;
          break;
        }
      }
    }
    const implied = IMPLIED_CLOSE[name];
    if (implied) closeNearest(implied.closes, implied.stopAt);
    if (HEADINGS.has(name) && HEADINGS.has(current.tag)) pop();
    const element = createElement(name, current, attributes);
    current.children.push(element);
    if (++tree.elementCount >= maxElements) tree.isTruncated = true;
    if (name === 'meta') tree.metas.push(element);
    else if (name === 'link') tree.links.push(element);
    else if (name === 'base' && !tree.base) tree.base = element;
    if (!isVoid && !isSelfClosing) {
      stack.push(element);
      current = element;
    }
  };

  const closeElement = (name: string): void => {
    if (skipDepth > 0) {
      if (name !== skipName || --skipDepth > 0 || !skipText.trim()) return;
      if (skipIsJsonLd) tree.jsonLd.push(skipText);
      else if (skipData > 0) {
        tree.dataScripts.push(skipText);
        dataChars += skipText.length;
      }
      return;
    }
    if (inTitle && name === 'title') {
      inTitle = false;
      tree.title ??= titleText;
      return;
    }
    if (name === 'head') {
      enterBody();
      return;
    }
    if (name === 'body' || name === 'html') return;
    if (name === 'br') {
      openElement('br', null, true);
      return;
    }
    if (VOID_ELEMENTS.has(name)) return;
    if (overflow > 0) {
      overflow--;
      return;
    }
    const lowest = Math.max(1, stack.length - MAX_CLOSE_SEARCH);
    for (let i = stack.length - 1; i >= lowest; i--) {
      if (stack[i]!.tag === name) {
        stack.length = i;
        current = stack[i - 1]!;
        return;
      }
    }
  };

  const tokenizer: Tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onattribdata(start, end) {
        if (isKeptAttr && attrValue.length < MAX_ATTRIBUTE_CHARS)
          attrValue += source.slice(start, Math.min(end, start + MAX_ATTRIBUTE_CHARS - attrValue.length));
      },
      onattribentity(codepoint) {
        if (isKeptAttr && attrValue.length < MAX_ATTRIBUTE_CHARS)
          attrValue += String.fromCodePoint(codepoint);
      },
      onattribend() {
        if (isKeptAttr) {
          attrs ??= {};
          if (!(attrName in attrs)) attrs[attrName] = attrValue;
        }
        attrName = '';
        attrValue = '';
        isKeptAttr = false;
      },
      onattribname(start, end) {
        attrName = end - start <= 20 ? source.slice(start, end).toLowerCase() : '';
        isKeptAttr = attrName !== '' && KEPT_ATTRIBUTES.has(attrName);
      },
      oncdata() {},
      oncomment() {},
      ondeclaration() {},
      onprocessinginstruction() {},
      onend() {},
      onopentagname(start, end) {
        tagName = source.slice(start, Math.min(end, start + 40)).toLowerCase();
        attrs = null;
        isClosingTag = false;
      },
      onopentagend() {
        if (!isClosingTag) openElement(tagName, attrs, false);
        attrs = null;
        if (tree.isTruncated && skipDepth === 0) tokenizer.pause();
      },
      onselfclosingtag() {
        // HTML ignores the slash, except on foreign elements (we skip those) and void ones.
        openElement(tagName, attrs, SKIPPED_ELEMENTS.has(tagName));
        attrs = null;
      },
      onclosetag(start, end) {
        isClosingTag = true;
        closeElement(source.slice(start, Math.min(end, start + 40)).toLowerCase());
      },
      ontext(start, end) {
        // The text of a script or a style is never read (but JSON-LD's and data scripts').
        if (skipDepth > 0 && !skipIsJsonLd && skipData === 0) return;
        appendText(source.slice(start, end));
      },
      ontextentity(codepoint) {
        appendText(String.fromCodePoint(codepoint));
      },
    },
  );
  tokenizer.write(source);
  if (tokenizer.running) tokenizer.end();
  if (inTitle) tree.title ??= titleText;
  return tree;
}
