import { buildMetadata, clean, type HtmlMetadata, type MetaTag } from '../metadata.js';
import { dropChrome } from './clean.js';
import { blocksToMarkdown, escapeMarkdown } from './markdown.js';
import { pageFeatures } from './page-features.js';
import { classifyPage } from './page-type.js';
import { PROFILES, type PageType } from './profiles.js';
import { type QualityInput, qualityScore } from './quality.js';
import { selectBlocks, type Selection } from './select.js';
import { measure, visibleLength, walk } from './stats.js';
import { dataBlocks, type DataText, readScriptData } from './script-data.js';
import { readStructuredData, type StructuredData } from './structured.js';
import { dropTeaserRails } from './teasers.js';
import { blocksToLinks, blocksToText, type TextResult } from './text.js';
import { attr, type Element, parseTree, type TreeLimits } from './tree.js';

/*
 * distill's own HTML engine, one pass after another over one compact tree: parse (tree.ts), read
 * metadata and structured data, classify the page (page-type.ts), drop chrome (clean.ts) with the
 * page type's profile, select the blocks of main content (select.ts), and serialise text,
 * Markdown and links from those same blocks. Every pass is linear in the tree, and the tree is
 * bounded by the parser's depth cap and node budget.
 */

/** Options of {@link runEngine}. */
export interface EngineOptions {
  url: string;
  wantsMarkdown: boolean;
  wantsLinks: boolean;
  limits?: TreeLimits;
}

/** What the engine found on one page. */
export interface EngineResult {
  metadata: HtmlMetadata;
  structured: StructuredData;
  pageType: PageType;
  text: TextResult;
  markdown: string | null;
  links: string[];
  /** Estimated F1 of this extraction, 0..1. */
  score: number;
  /** The inputs of the score, for the fitting script. */
  qualityInput: QualityInput;
  /** Feature vector of the page-type model, for the fitting script. */
  pageFeatures: number[];
  selection: Selection;
  /** The parser's node budget stopped it before the end of the page. */
  isTruncated: boolean;
  /** Nesting deeper than the parser's depth cap was flattened. */
  isFlattened: boolean;
}

/** Share of a structured-data text that must be missing from the page text for it to be added. */
function isMissing(haystack: string, needle: string): boolean {
  const flat = needle.replace(/\s+/g, ' ').trim();
  if (flat.length < 40) return false;
  const middle = Math.max(0, Math.floor(flat.length / 2) - 20);
  return !haystack.includes(flat.slice(middle, middle + 40));
}

/** Below this many characters of selected text, the page's JSON-LD body may hold the content instead. */
const DATA_MAX_CHARS = 1500;
/** Below this many, the page is a shell: its scripts' data may hold the content. */
const SHELL_MAX_CHARS = 500;

/**
 * Blocks that the content the page keeps in data adds to the selection (`selected`, with `text`):
 * on a short page, the JSON-LD bodies (article, posts, answers) missing from its text, after the
 * selection; on a shell, the data scripts' content instead of the selection, when it holds clearly
 * more text (twice as much and 200 characters more). Not on product, listing and collection pages
 * (`readsScripts` false): their scripts carry the whole catalogue, every variant and every menu,
 * and on wcxb-dev the path cost those pages more than it gave. Null when neither applies; script
 * data is parsed only on shells.
 */
function blocksFromData(
  bodyTexts: readonly string[],
  scripts: readonly string[],
  selected: readonly Element[],
  text: TextResult,
  readsScripts: boolean,
): Element[] | null {
  const chars = text.chars;
  if (chars >= DATA_MAX_CHARS) return null;
  const total = (blocks: Element[]): number => blocks.reduce((sum, block) => sum + block.chars, 0);
  const missing = bodyTexts.filter((entry) => isMissing(text.text, entry));
  if (missing.length > 0) {
    const blocks = dataBlocks(missing.map((entry): DataText => ({ text: entry, isHtml: false })));
    if (total(blocks) >= 200) return [...selected, ...blocks];
  }
  if (!readsScripts || scripts.length === 0 || chars >= SHELL_MAX_CHARS) return null;
  const blocks = dataBlocks(readScriptData(scripts));
  return total(blocks) >= 2 * chars + 200 ? blocks : null;
}

/** The first `<h1>` of the page when the selection has none: the title of the content. */
function headingOutside(body: Element, selection: Selection): Element | null {
  const selected = new Set(selection.blocks);
  let inside = false;
  walk(selection.main, (element) => {
    if (element.tag === 'h1' && !element.isDropped) inside = true;
    return inside;
  });
  if (inside) return null;
  let heading: Element | null = null;
  walk(body, (element) => {
    if (heading || element.isDropped || selected.has(element)) return true;
    if (element.tag === 'h1' && element.chars > 0 && element.chars < 300) heading = element;
    return heading !== null;
  });
  return heading;
}

/** Runs the engine on one page. Never throws on malformed HTML. */
export function runEngine(source: string, options: EngineOptions): EngineResult {
  const tree = parseTree(source, options.limits);
  const { body } = tree;
  const pageChars = measure(body);

  const metaTags: MetaTag[] = tree.metas.map((meta) => ({
    keys: `${attr(meta, 'property') ?? ''} ${attr(meta, 'name') ?? ''} ${attr(meta, 'itemprop') ?? ''}`,
    content: attr(meta, 'content'),
  }));
  const metaMap = new Map<string, string>();
  for (const tag of metaTags) {
    for (const key of tag.keys.toLowerCase().split(/\s+/))
      if (key && tag.content !== null && !metaMap.has(key)) metaMap.set(key, tag.content);
  }
  const canonical = tree.links.find(
    (link) => attr(link, 'rel')?.toLowerCase() === 'canonical' && attr(link, 'href'),
  );
  const metadata = buildMetadata(
    {
      metas: metaTags,
      jsonLd: tree.jsonLd,
      baseHref: tree.base ? attr(tree.base, 'href') : null,
      canonicalHref: canonical ? attr(canonical, 'href') : null,
      titleText: tree.title,
      lang: clean(attr(tree.root, 'lang')) ?? attr(tree.root, 'xml:lang'),
    },
    options.url,
  );
  const { data: structured, contentTexts, bodyTexts } = readStructuredData(tree.jsonLd, body, metaMap);
  metadata.byline ??= structured.author;
  if (!metadata.publishedTime && structured.datePublished) {
    const time = Date.parse(structured.datePublished);
    metadata.publishedTime = Number.isNaN(time) ? structured.datePublished : new Date(time).toISOString();
  }

  const features = pageFeatures({
    url: options.url,
    body,
    types: structured.types,
    ogType: structured.ogType,
    hasDate: metadata.publishedTime !== null,
  });
  const { pageType, confidence } = classifyPage(features, pageChars);
  const profile = PROFILES[pageType];
  dropChrome(body, profile);
  let cleanedChars = measure(body);
  if (pageType === 'article' && dropTeaserRails(body, [options.url, metadata.canonicalUrl]))
    cleanedChars = measure(body);
  let selection = selectBlocks(body, profile, pageChars);
  const heading = headingOutside(body, selection);
  let blocks = heading ? [heading, ...selection.blocks] : selection.blocks;

  let text = blocksToText(blocks);
  // A shell page filled by scripts: its content is in its data.
  const readsScripts = pageType !== 'product' && pageType !== 'listing' && pageType !== 'collection';
  const fromData = blocksFromData(bodyTexts, tree.dataScripts, selection.blocks, text, readsScripts);
  if (fromData) {
    selection = { ...selection, blocks: fromData };
    blocks = heading ? [heading, ...fromData] : fromData;
    text = blocksToText(blocks);
  }
  // Content the page keeps in structured data only (a product description, FAQ answers).
  const extra = contentTexts.filter((entry) => isMissing(text.text, entry));
  if (extra.length > 0) {
    const added = extra.join('\n\n');
    text.text = text.text ? `${text.text}\n\n${added}` : added;
    text.chars += visibleLength(added);
  }
  let markdown = options.wantsMarkdown ? blocksToMarkdown(blocks, metadata.baseUrl) : null;
  if (markdown !== null && extra.length > 0) {
    markdown = [markdown, ...extra.map(escapeMarkdown)].filter(Boolean).join('\n\n');
  }
  const qualityInput: QualityInput = {
    chars: text.chars,
    linkDensity: text.chars > 0 ? text.linkChars / text.chars : 0,
    pageChars,
    cleanedChars,
    isMarked: selection.anchor === 'marker',
    isWholeBody: selection.anchor === 'body',
    blocks: blocks.length,
    typeConfidence: confidence,
    pageType,
  };
  return {
    metadata,
    structured,
    pageType,
    text,
    markdown,
    links: options.wantsLinks ? blocksToLinks(blocks, metadata.baseUrl, options.url) : [],
    score: qualityScore(qualityInput),
    qualityInput,
    pageFeatures: features,
    selection,
    isTruncated: tree.isTruncated,
    isFlattened: tree.isFlattened,
  };
}
