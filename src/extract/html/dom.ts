import { parseHTML } from 'linkedom';

/*
 * The few DOM shapes this folder uses, typed here because the project compiles without the DOM
 * lib (the service runs on Node; only extract/ touches a DOM, through linkedom).
 */

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;

export interface DomNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly parentNode: DomElement | null;
  readonly childNodes: ArrayLike<DomNode> & Iterable<DomNode>;
  readonly firstChild: DomNode | null;
  readonly nextSibling: DomNode | null;
  textContent: string | null;
  remove(): void;
}

export interface DomElement extends DomNode {
  readonly tagName: string;
  readonly localName: string;
  readonly children: ArrayLike<DomElement> & Iterable<DomElement>;
  id: string;
  className: string;
  innerHTML: string;
  readonly outerHTML: string;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  hasAttribute(name: string): boolean;
  removeAttribute(name: string): void;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement> & Iterable<DomElement>;
  getElementsByTagName(localName: string): ArrayLike<DomElement> & Iterable<DomElement>;
  appendChild<T extends DomNode>(node: T): T;
  insertBefore<T extends DomNode>(node: T, child: DomNode | null): T;
  replaceWith(...nodes: DomNode[]): void;
}

export interface DomDocument {
  readonly documentElement: DomElement | null;
  readonly head: DomElement | null;
  readonly body: DomElement | null;
  title: string;
  createElement(tagName: string): DomElement;
  createTextNode(data: string): DomNode;
  querySelector(selectors: string): DomElement | null;
  querySelectorAll(selectors: string): ArrayLike<DomElement> & Iterable<DomElement>;
  getElementsByTagName(localName: string): ArrayLike<DomElement> & Iterable<DomElement>;
  readonly firstChild: DomNode | null;
}

/** Parses an HTML string into a linkedom document. */
export function parseDocument(html: string): DomDocument {
  return (parseHTML(html) as unknown as { document: DomDocument }).document;
}

export function isElement(node: DomNode): node is DomElement {
  return node.nodeType === ELEMENT_NODE;
}

/**
 * linkedom keeps a parent's subtree as one linked list, in document order, from `node[NEXT]` to
 * `node[END]` (attributes and end markers included): that is how its own `getElementsByTagName`
 * walks. The symbols are private; we find them by name once, check them on a tiny tree, and walk
 * the list directly, several times faster than through the `firstChild`/`nextSibling` getters.
 * If a linkedom release changes them, `LINKS` is null and the walks below use the getters.
 */
interface LinkSymbols {
  next: symbol;
  end: symbol;
}
interface Linked {
  readonly nodeType: number;
  [link: symbol]: Linked | undefined;
}

const LINKS: LinkSymbols | null = (() => {
  const { document } = parseHTML('<html><head></head><body><p></p></body></html>') as unknown as {
    document: DomDocument;
  };
  const body = document.body;
  const paragraph = body?.firstChild;
  if (!body || !paragraph) return null;
  const symbols = Object.getOwnPropertySymbols(paragraph);
  const next = symbols.find((symbol) => symbol.description === 'next');
  const end = symbols.find((symbol) => symbol.description === 'end');
  if (!next || !end) return null;
  const linked = (node: unknown): Linked => node as Linked;
  return linked(body)[next] === linked(paragraph) &&
    linked(paragraph)[next] === linked(paragraph)[end] &&
    linked(paragraph)[end]?.[next] === linked(body)[end]
    ? { next, end }
    : null;
})();

/** True when the fast walk over linkedom's private linked list is in use (see {@link LINKS}). */
export const hasFastWalk = LINKS !== null;

/**
 * Calls `visit` on every element under `root` (not `root` itself), in document order. When
 * `visit` returns true, the element's subtree is skipped; `visit` may then remove the element.
 */
export function walkElements(
  root: DomElement | DomDocument,
  visit: (element: DomElement) => boolean | void,
): void {
  // A tree from another copy of linkedom (other symbols) takes the slow path.
  if (LINKS && LINKS.next in root) {
    const { next, end } = LINKS;
    const stop = (root as unknown as Linked)[end];
    let node = (root as unknown as Linked)[next];
    while (node && node !== stop) {
      if (node.nodeType === ELEMENT_NODE) {
        const after = node[end]?.[next];
        if (visit(node as unknown as DomElement) === true) {
          node = after;
          continue;
        }
      }
      node = node[next];
    }
    return;
  }
  let node: DomNode | null = 'documentElement' in root ? root.documentElement : root.firstChild;
  while (node) {
    if (node.nodeType === ELEMENT_NODE) {
      const after = nextNode(node, root as DomNode, true);
      if (visit(node as DomElement) === true) {
        node = after;
        continue;
      }
    }
    node = nextNode(node, root as DomNode);
  }
}

/** The node after `node` in document order within `root`, optionally skipping its subtree. */
function nextNode(node: DomNode, root: DomNode, skipChildren = false): DomNode | null {
  if (!skipChildren) {
    const first = node.firstChild;
    if (first) return first;
  }
  for (let current: DomNode | null = node; current && current !== root; current = current.parentNode) {
    const sibling = current.nextSibling;
    if (sibling) return sibling;
    // A document's doctype has no siblings in linkedom: never climb out of the tree of elements.
    if (current.parentNode?.nodeType !== ELEMENT_NODE) return null;
  }
  return null;
}

/**
 * Elements under `root` (not `root` itself) that pass `test`, in document order: what
 * `querySelectorAll` returns, without linkedom compiling a CSS selector on every call.
 */
export function findElements(
  root: DomElement | DomDocument,
  test: (element: DomElement) => boolean,
): DomElement[] {
  const found: DomElement[] = [];
  walkElements(root, (element) => {
    if (test(element)) found.push(element);
  });
  return found;
}

/** True when some element under `root` (not `root` itself) passes `test`. */
export function someElement(root: DomElement | DomDocument, test: (element: DomElement) => boolean): boolean {
  let isFound = false;
  walkElements(root, (element) => {
    if (isFound) return true;
    isFound = test(element);
    return isFound;
  });
  return isFound;
}

/**
 * Elements under `root` (not `root` itself) whose tag is in `tagNames` (any case), in document
 * order, as `querySelectorAll('a,b')` returns them. Unlike linkedom's `getElementsByTagName`, it
 * also finds elements created as `createElement('DIV')`, whose localName linkedom keeps in upper
 * case.
 */
export function elementsWithTags(root: DomElement | DomDocument, tagNames: readonly string[]): DomElement[] {
  if (tagNames.length === 1) {
    const wanted = tagNames[0]!.toUpperCase();
    return findElements(root, (element) => element.tagName === wanted);
  }
  const wanted = new Set(tagNames.map((name) => name.toUpperCase()));
  return findElements(root, (element) => wanted.has(element.tagName));
}
