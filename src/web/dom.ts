/**
 * A few DOM helpers in place of a framework: `h()` builds elements, `clear()` empties one. Text is
 * always set as text (never parsed as HTML); the one place HTML is inserted is `markdown.ts`, after
 * DOMPurify.
 */

type Child = Node | string | number | null | undefined | false;

/** Attributes and properties `h()` understands. */
export interface Props {
  class?: string;
  /** Event listeners: `on: { click: handler }`. */
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
  /** Anything else becomes an attribute: a string or number as its value, `true` present, anything else absent. */
  [attribute: string]: unknown;
}

/** Creates `<tag>` with `props` and `children`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === 'on') {
      for (const [type, listener] of Object.entries(value as Record<string, EventListener>)) {
        element.addEventListener(type, listener);
      }
    } else if (name === 'class') {
      if (typeof value === 'string' && value !== '') element.className = value;
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (typeof value === 'string' || typeof value === 'number') {
      element.setAttribute(name, String(value));
    }
  }
  append(element, ...children);
  return element;
}

/** Appends children, skipping null/undefined/false. */
export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Removes every child of `element`. */
export function clear(element: Element): void {
  element.replaceChildren();
}

/** Replaces the children of `element`. */
export function replace(element: Element, ...children: Child[]): void {
  clear(element);
  append(element, ...children);
}

/**
 * Replaces the children of a live list without losing the keyboard focus: when a link inside had
 * focus, the link with the same href in the new content gets it back (live refreshes would
 * otherwise throw a keyboard user back to the top of the page every second).
 */
export function replaceKeepingFocus(element: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const href =
    active instanceof HTMLAnchorElement && element.contains(active) ? active.getAttribute('href') : null;
  replace(element, ...children);
  if (href === null) return;
  const again = Array.from(element.querySelectorAll('a')).find((link) => link.getAttribute('href') === href);
  again?.focus();
}

/** Starts a download of `blob` as `filename`. */
export function download(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The click starts the download synchronously; revoking on the next tick is safe.
  window.setTimeout(() => URL.revokeObjectURL(url), 0);
}
