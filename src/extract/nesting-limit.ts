import { closeTagEnd, openTagEnd } from './tag-end.js';

/*
 * A depth cap and an element budget applied to the HTML string before any DOM exists. Main-content
 * algorithms walk subtrees from every node (Readability's `_cleanConditionally` and
 * `_getTextDensity`): on a page of N nested elements that costs N² to N³, so 2,000 nested divs
 * (22 KB) took 30 s of CPU, and the tree builder and every recursive serialiser pay for depth
 * too. Here, tags nested deeper than `maxDepth`, and tags after the first `maxElements`, are
 * dropped while their text stays (one level up): cost is then linear in the page.
 *
 * The pass follows the tree rules of htmlparser2, the tokenizer linkedom uses, closely enough to
 * count depth the way the parser will build it: void elements, end tags that close every element
 * above their match (and are ignored without one), start tags that imply the end of an open `p`,
 * `li`, `td`..., raw-text elements whose content is not markup, self-closing tags inside SVG and
 * MathML. Where it errs (misnested markup past the cap), it drops a tag too many or too few, never
 * text.
 */

/** Limits of {@link limitNesting}. */
export interface NestingLimits {
  /** Elements nested deeper than this lose their tags; their content stays. @default 128 */
  maxDepth?: number;
  /** Elements after this many lose their tags; their content stays. @default 100000 */
  maxElements?: number;
}

/** What {@link limitNesting} returns. */
export interface LimitedHtml {
  html: string;
  /** Tags dropped (start and end tags), 0 when the page was within the limits. */
  droppedTags: number;
}

/** Default limits: Chromium caps depth at 512; none of the 674 pages of the evaluation datasets nests 64 deep. */
export const DEFAULT_NESTING_LIMITS: Required<NestingLimits> = { maxDepth: 128, maxElements: 100_000 };

const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);
/** Elements whose content is text up to their end tag (htmlparser2's special tags). */
const RAW_TEXT_ELEMENTS = new Set(['script', 'style', 'title', 'textarea']);
const FOREIGN_ELEMENTS = ['svg', 'math'];

const P = new Set(['p']);
const FORM = new Set(['input', 'option', 'optgroup', 'select', 'button', 'datalist', 'textarea']);
const DD_DT = new Set(['dd', 'dt']);
const RT_RP = new Set(['rt', 'rp']);
const TABLE_SECTIONS = new Set(['thead', 'tbody']);
/** htmlparser2's `openImpliesClose`: a start tag closes open elements of these names first. */
const IMPLIED_END = new Map<string, ReadonlySet<string>>([
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])],
  ['li', new Set(['li'])],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['dd', DD_DT],
  ['dt', DD_DT],
  ['rt', RT_RP],
  ['rp', RT_RP],
  ['tbody', TABLE_SECTIONS],
  ['tfoot', TABLE_SECTIONS],
  ...['select', 'input', 'output', 'button', 'datalist', 'textarea'].map(
    (name): [string, ReadonlySet<string>] => [name, FORM],
  ),
  ...[
    'p',
    'h1',
    'h2',
    'h3',
    'h4',
    'h5',
    'h6',
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ].map((name): [string, ReadonlySet<string>] => [name, P]),
]);

const TAG = /<!--|<(\/?)([a-zA-Z][^\s/>]*)/g;

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`Expected \`${name}\` to be a positive integer, got \`${value}\``);
  return value;
}

/**
 * Drops the tags of elements nested deeper than `maxDepth` or beyond the first `maxElements`,
 * keeping all text. Linear in the length of `source`; returns `source` itself when nothing is over.
 */
export function limitNesting(source: string, limits: NestingLimits = {}): LimitedHtml {
  const maxDepth = positive('maxDepth', limits.maxDepth ?? DEFAULT_NESTING_LIMITS.maxDepth);
  const maxElements = positive('maxElements', limits.maxElements ?? DEFAULT_NESTING_LIMITS.maxElements);
  const stack: string[] = [];
  /** How many elements of each name are on `stack`, so an end tag without a match costs nothing. */
  const onStack = new Map<string, number>();
  /** Dropped start tags not yet closed, by name: their end tags are dropped too. */
  const droppedOpen = new Map<string, number>();
  let droppedOpenCount = 0;
  const parts: string[] = [];
  let position = 0;
  let elements = 0;
  let droppedTags = 0;

  const push = (name: string): void => {
    stack.push(name);
    onStack.set(name, (onStack.get(name) ?? 0) + 1);
  };
  const pop = (): string => {
    const name = stack.pop()!;
    onStack.set(name, onStack.get(name)! - 1);
    return name;
  };
  const drop = (start: number, end: number): void => {
    parts.push(source.slice(position, start));
    position = end;
    droppedTags++;
  };

  const pattern = new RegExp(TAG.source, 'g');
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    const start = match.index;
    if (match[0] === '<!--') {
      const end = source.indexOf('-->', start + 4);
      pattern.lastIndex = end < 0 ? source.length : end + 3;
      continue;
    }
    const name = match[2]!.toLowerCase();
    if (match[1] === '/') {
      const end = closeTagEnd(source, start);
      pattern.lastIndex = end;
      if (VOID_ELEMENTS.has(name)) continue;
      const dropped = droppedOpen.get(name) ?? 0;
      if (dropped > 0) {
        droppedOpen.set(name, dropped - 1);
        droppedOpenCount--;
        drop(start, end);
      } else if ((onStack.get(name) ?? 0) > 0) {
        while (pop() !== name);
        // Dropped elements were all inside the one that closed: the parser closes them with it.
        if (stack.length < maxDepth && elements <= maxElements) {
          droppedOpen.clear();
          droppedOpenCount = 0;
        }
      }
      continue;
    }

    const end = openTagEnd(source, start);
    pattern.lastIndex = end;
    elements++;
    const isOver = elements > maxElements || (!VOID_ELEMENTS.has(name) && stack.length >= maxDepth);
    if (RAW_TEXT_ELEMENTS.has(name)) {
      const close = new RegExp(`</${name}[\\s/>]`, 'gi');
      close.lastIndex = end;
      const closing = close.exec(source);
      const closeEnd = closing ? closeTagEnd(source, closing.index) : source.length;
      pattern.lastIndex = closeEnd;
      // Its text would become markup without its tags: a raw-text element over the limits goes whole.
      if (isOver) drop(start, closeEnd);
      continue;
    }
    if (isOver) {
      drop(start, end);
      if (!VOID_ELEMENTS.has(name)) {
        droppedOpen.set(name, (droppedOpen.get(name) ?? 0) + 1);
        droppedOpenCount++;
      }
      continue;
    }
    // With dropped elements open, the parser's current element is one of those, not ours.
    const impliedEnd = droppedOpenCount === 0 ? IMPLIED_END.get(name) : undefined;
    if (impliedEnd) while (stack.length > 0 && impliedEnd.has(stack[stack.length - 1]!)) pop();
    if (VOID_ELEMENTS.has(name)) continue;
    const isSelfClosing =
      source.charCodeAt(end - 2) === 47 /* / */ &&
      FOREIGN_ELEMENTS.some((foreign) => (onStack.get(foreign) ?? 0) > 0);
    if (!isSelfClosing) push(name);
  }
  if (droppedTags === 0) return { html: source, droppedTags };
  parts.push(source.slice(position));
  return { html: parts.join(''), droppedTags };
}
