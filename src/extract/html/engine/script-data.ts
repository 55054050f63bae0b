/*
 * Content that a page keeps only in its JavaScript data: Next.js (`<script id="__NEXT_DATA__"
 * type="application/json">`), Nuxt 3 (`__NUXT_DATA__`), other `application/json` scripts, and inline
 * scripts that assign a JSON literal to a global (`window.__APOLLO_STATE__ = {...}`). Such a page
 * renders in the browser; its HTML holds a shell. Nothing is evaluated: a script is read with
 * `JSON.parse` or not at all (Nuxt 2's `window.__NUXT__=(function(a,b){...})` is code, skipped), and
 * parse errors are ignored.
 *
 * Which strings are the content: prose (several words, mostly letters) or HTML fragments, grouped
 * by their key path without array indices (`props.pageProps.post.body`, `posts.*.cooked`). The group
 * with the most text wins, with any group holding at least half as much: a thread's posts share one
 * path, an article's paragraphs share one path, navigation labels and related-item blurbs sit on
 * others. Bounded: the tree caps the scripts' characters, at most `MAX_NODES` JSON values are
 * visited, nesting deeper than `MAX_DEPTH` is not followed, and the text returned is capped.
 */

import { measure } from './stats.js';
import { createElement, type Element, parseTree, type TreeLimits } from './tree.js';

/** A run of content found in a page's data: plain text, or an HTML fragment. */
export interface DataText {
  text: string;
  isHtml: boolean;
}

const MAX_NODES = 200_000;
const MAX_DEPTH = 64;
const MAX_OUTPUT_CHARS = 500_000;
/** Shorter strings are labels, not content. */
const MIN_STRING_CHARS = 25;
const MIN_WORDS = 4;
/** A group holding at least this share of the best group's text is content too. */
const GROUP_SHARE = 0.5;

/**
 * Strings that are not content: addresses, JSON or code in a string, and teasers cut with an
 * ellipsis (the excerpts of other items, whose full text is elsewhere).
 */
const NOT_CONTENT = /^\s*(?:https?:|data:|\/\/|[{[]|<script)|(?:\.\.\.|…)\s*$|":\s*["{[]|\bfunction\s*\(/;
const ASSIGNMENT_PREFIX = /^\s*(?:window|self|globalThis)\.[\w$]{1,60}\s*=\s*/;
const HTML_TAG =
  /<\/?(?:p|div|br|li|ul|ol|h[1-6]|blockquote|pre|code|span|a|strong|em|b|i|figure|img|table)\b[^>]{0,500}>/i;
/** Keys whose strings are never content: identifiers, addresses, styles, scripts. */
const SKIPPED_KEY =
  /^(?:__typename|id|_id|key|slug|url|href|src|srcset|image|icon|class(?:name)?|style|css|script|json|query|hash|token|type|locale|lang|mime(?:type)?|path|asPath|buildId|etag)$/i;

/** The JSON value a data script carries, or undefined when it is not JSON. */
function parseScript(script: string): unknown {
  let body = script.trim();
  const prefix = ASSIGNMENT_PREFIX.exec(body);
  if (prefix) {
    body = body.slice(prefix[0].length);
    // `window.X = {...};` and nothing after: cut at the last closing bracket.
    const end = Math.max(body.lastIndexOf('}'), body.lastIndexOf(']'));
    if (end < 0) return undefined;
    body = body.slice(0, end + 1);
  }
  const first = body.charCodeAt(0);
  if (first !== 123 && first !== 91) return undefined; // { or [
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Non-whitespace length of the text a string shows (tags of an HTML fragment not counted). */
function proseChars(value: string, isHtml: boolean): number {
  const shown = isHtml ? value.replace(/<[^>]{0,2000}>/g, ' ') : value;
  let words = 0;
  let letters = 0;
  let visible = 0;
  let inWord = false;
  for (let i = 0; i < shown.length; i++) {
    const code = shown.charCodeAt(i);
    if (code <= 32 || code === 160) {
      inWord = false;
      continue;
    }
    visible++;
    if (!inWord) words++;
    inWord = true;
    // Letters of any script (above ASCII counts as a letter: CJK, accents).
    if ((code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code > 127) letters++;
  }
  if (visible < MIN_STRING_CHARS || words < MIN_WORDS || letters < 0.6 * visible) return 0;
  return visible;
}

interface Group {
  chars: number;
  texts: { order: number; value: DataText }[];
}

/** Content texts of the page's data scripts, in data order; empty when none holds prose. */
export function readScriptData(scripts: readonly string[]): DataText[] {
  const groups = new Map<string, Group>();
  let nodes = 0;
  let order = 0;
  for (const script of scripts) {
    const data = parseScript(script);
    if (data === undefined) continue;
    const stack: { value: unknown; path: string; depth: number }[] = [{ value: data, path: '', depth: 0 }];
    while (stack.length > 0 && nodes < MAX_NODES) {
      const { value, path, depth } = stack.pop()!;
      nodes++;
      if (typeof value === 'string') {
        if (value.length < MIN_STRING_CHARS || NOT_CONTENT.test(value)) continue;
        const isHtml = value.includes('<') && HTML_TAG.test(value);
        const chars = proseChars(value, isHtml);
        if (chars === 0) continue;
        let group = groups.get(path);
        if (!group) groups.set(path, (group = { chars: 0, texts: [] }));
        group.chars += chars;
        group.texts.push({ order: order++, value: { text: value, isHtml } });
        continue;
      }
      if (!value || typeof value !== 'object' || depth >= MAX_DEPTH) continue;
      if (Array.isArray(value)) {
        for (let i = value.length - 1; i >= 0; i--)
          stack.push({ value: value[i], path: `${path}.*`, depth: depth + 1 });
      } else {
        const entries = Object.entries(value as Record<string, unknown>);
        for (let i = entries.length - 1; i >= 0; i--) {
          const [key, child] = entries[i]!;
          if (SKIPPED_KEY.test(key)) continue;
          stack.push({ value: child, path: `${path}.${key.length > 40 ? '?' : key}`, depth: depth + 1 });
        }
      }
    }
  }
  let best = 0;
  for (const group of groups.values()) best = Math.max(best, group.chars);
  if (best === 0) return [];
  const chosen = [...groups.values()]
    .filter((group) => group.chars >= GROUP_SHARE * best)
    .flatMap((group) => group.texts)
    .sort((a, b) => a.order - b.order);
  const seen = new Set<string>();
  const out: DataText[] = [];
  let total = 0;
  for (const { value } of chosen) {
    if (seen.has(value.text)) continue;
    seen.add(value.text);
    total += value.text.length;
    if (total > MAX_OUTPUT_CHARS) break;
    out.push(value);
  }
  return out;
}

/**
 * Blocks of the tree built from data texts, for the serialisers: an HTML fragment is parsed into
 * a `div`, plain text becomes one `p` per paragraph (blank line) or line.
 */
export function dataBlocks(texts: readonly DataText[], limits?: TreeLimits): Element[] {
  const blocks: Element[] = [];
  for (const { text, isHtml } of texts) {
    if (isHtml) {
      const { body } = parseTree(text, limits);
      body.tag = 'div';
      body.parent = null;
      blocks.push(body);
      continue;
    }
    for (const line of text.split(/\n/)) {
      if (!line.trim()) continue;
      const p = createElement('p', null);
      p.children.push(line);
      blocks.push(p);
    }
  }
  for (const block of blocks) measure(block);
  return blocks;
}
