import { classAndId, linkDensity, visibleLength, walk } from './stats.js';
import type { Element } from './tree.js';

/*
 * The features the page-type classifier reads: URL shape, declared types (JSON-LD, microdata,
 * Open Graph) and structure (counts of tags and class tokens, text and link shares, price-like
 * strings), each scaled to about 0..1. One walk over the body, before cleaning. The order is that
 * of {@link PAGE_FEATURE_NAMES}, which the fitted weights (page-type-weights.json) follow.
 */

/** Names of the features, in the order of the vector {@link pageFeatures} returns. */
export const PAGE_FEATURE_NAMES = [
  'bias',
  'urlDepth',
  'urlDate',
  'urlProduct',
  'urlForum',
  'urlDocs',
  'urlCollection',
  'urlListing',
  'urlSlug',
  'urlRoot',
  'urlService',
  'ogArticle',
  'ogProduct',
  'ldArticle',
  'ldProduct',
  'ldForum',
  'ldCollection',
  'ldService',
  'ldDocs',
  'hasDate',
  'logChars',
  'linkDensity',
  'articles',
  'pre',
  'code',
  'paragraphs',
  'paragraphLength',
  'subheadings',
  'prices',
  'postTokens',
  'cardTokens',
  'sections',
  'tables',
  'listShare',
  'times',
  'cartWords',
  'forumWords',
  'docsTokens',
  'forms',
  'h1Count',
] as const;

/** What the features are computed from. */
export interface PageFeatureInput {
  url: string;
  body: Element;
  /** schema.org types of the page's structured data. */
  types: readonly string[];
  ogType: string | null;
  hasDate: boolean;
}

const cap = (value: number, scale: number): number => Math.min(1, value / scale);
const test = (pattern: RegExp, value: string): number => (pattern.test(value) ? 1 : 0);

const PRICE = /(?:[$€£¥₹]\s?\d|\d(?:[.,]\d{2})?\s?(?:€|USD|EUR|GBP|zł|kr|руб))/g;
const CART =
  /\b(?:add to (?:cart|bag|basket)|buy now|in stock|out of stock|add to wishlist|free shipping)\b/i;
const FORUM = /\b(?:replies|reply|posted by|joined|posts:|quote|upvote|votes?|answered|asked)\b/i;
const POST_TOKEN = /(?:^|[\s_-])(?:post|posts|message|comment|reply|answer|topic|thread)(?=$|[\s_-])/;
const CARD_TOKEN = /(?:^|[\s_-])(?:product|card|item|tile|grid|teaser|listing|result)(?=$|[\s_-])/;
const DOCS_TOKEN =
  /(?:^|[\s_-])(?:docs?|documentation|toc|api|highlight|hljs|language|sphinx|md-content|markdown-body|rst-content)(?=$|[\s_-])/;

/** The feature vector of a page (first entry 1, the bias). */
export function pageFeatures(input: PageFeatureInput): number[] {
  let url: URL | null = null;
  try {
    url = new URL(input.url);
  } catch {
    url = null;
  }
  const path = (url?.pathname ?? '/').toLowerCase();
  const host = url?.hostname.toLowerCase() ?? '';
  const segments = path.split('/').filter(Boolean);
  const last = segments.at(-1) ?? '';
  const types = input.types.join(' ');

  let articles = 0,
    pre = 0,
    code = 0,
    paragraphs = 0,
    paragraphChars = 0,
    subheadings = 0,
    prices = 0,
    postTokens = 0,
    cardTokens = 0;
  let sections = 0,
    tables = 0,
    listChars = 0,
    times = 0,
    docsTokens = 0,
    forms = 0,
    h1Count = 0;
  let hasCartWords = 0,
    hasForumWords = 0;
  let textBudget = 200_000;
  walk(input.body, (element) => {
    const tag = element.tag;
    if (tag === 'article') articles++;
    else if (tag === 'pre') pre++;
    else if (tag === 'code') code++;
    else if (tag === 'p') {
      paragraphs++;
      paragraphChars += element.chars;
    } else if (tag === 'h2' || tag === 'h3') subheadings++;
    else if (tag === 'h1') h1Count++;
    else if (tag === 'section') sections++;
    else if (tag === 'table') tables++;
    else if (tag === 'time') times++;
    else if (tag === 'form') forms++;
    else if (tag === 'li' && element.parent?.tag !== 'li') listChars += element.chars;
    const tokens = classAndId(element);
    if (tokens) {
      if (POST_TOKEN.test(tokens)) postTokens++;
      if (CARD_TOKEN.test(tokens)) cardTokens++;
      if (DOCS_TOKEN.test(tokens)) docsTokens++;
    }
    if (textBudget > 0) {
      for (const child of element.children) {
        if (typeof child !== 'string' || visibleLength(child) < 2) continue;
        textBudget -= child.length;
        const matches = child.match(PRICE);
        if (matches) prices += matches.length;
        if (!hasCartWords && CART.test(child)) hasCartWords = 1;
        if (!hasForumWords && FORUM.test(child)) hasForumWords = 1;
      }
    }
    return false;
  });
  const chars = input.body.chars;
  return [
    1,
    cap(segments.length, 5),
    test(/\/(?:19|20)\d\d\/\d{1,2}\//, path),
    test(/\/(?:products?|items?|p|dp|shop\/[^/]+\/[^/]+|buy)\/|\.(?:html?)$/, path) *
      test(/[a-z0-9]-[a-z0-9]/, last),
    test(
      /\/(?:forums?|threads?|topics?|questions|discussions?|community|communities|t|viewtopic|showthread|board|boards)(?:\/|\.|$)|reddit|stackexchange|stackoverflow/,
      path + host,
    ),
    test(
      /(?:^|\/|\.)(?:docs?|documentation|reference|api|manual|guides?|tutorials?|learn|developers?|wiki|kb|help)(?:\/|\.|$)/,
      `${host}${path}`,
    ),
    test(/\/(?:collections?|category|categories|shop|catalog|c|department|brands?)(?:\/|$)/, path),
    test(
      /\/(?:blog|news|events|search|tags?|archives?|page|jobs|careers|list|directory|resources)\/?(?:\d+\/?)?$/,
      path,
    ),
    test(/(?:[a-z0-9]+-){3,}[a-z0-9]+/, last),
    segments.length <= 1 ? 1 : 0,
    test(
      /\/(?:services?|pricing|about|contact|solutions|features|plans|tuition|admissions|programs?|what-we-do|industries)(?:\/|-|$)/,
      path,
    ),
    input.ogType === 'article' ? 1 : 0,
    input.ogType === 'product' || input.ogType === 'og:product' ? 1 : 0,
    test(/Article|BlogPosting|Report/, types),
    test(/\bProduct\b|\bOffer\b/, types),
    test(/DiscussionForumPosting|QAPage|Question|Comment/, types),
    test(/ItemList|CollectionPage|OfferCatalog|SearchResultsPage/, types),
    test(/FAQPage|Service|Organization|LocalBusiness|EducationalOrganization|WebSite/, types),
    test(/TechArticle|APIReference|SoftwareSourceCode|SoftwareApplication/, types),
    input.hasDate ? 1 : 0,
    Math.min(1, Math.log1p(chars) / 12),
    linkDensity(input.body),
    cap(articles, 10),
    cap(pre, 10),
    cap(code, 30),
    cap(paragraphs, 60),
    paragraphs > 0 ? cap(paragraphChars / paragraphs, 400) : 0,
    cap(subheadings, 20),
    cap(prices, 30),
    cap(postTokens, 40),
    cap(cardTokens, 60),
    cap(sections, 12),
    cap(tables, 5),
    chars > 0 ? listChars / chars : 0,
    cap(times, 15),
    hasCartWords,
    hasForumWords,
    cap(docsTokens, 20),
    cap(forms, 5),
    cap(h1Count, 3),
  ];
}
