import { clean } from '../metadata.js';
import { textOf, walk } from './stats.js';
import { attr, type Element } from './tree.js';

/*
 * Structured data: JSON-LD, microdata (`itemprop`) and Open Graph. It fills metadata (title,
 * author, dates; for products name, price, currency, availability, SKU, rating) and brings content
 * that pages keep out of their running text: a product's description, FAQ answers, the question
 * and answers of a Q&A page, a recipe's ingredients and steps. Bounded: at most `MAX_OBJECTS`
 * JSON-LD objects are visited and every string is cut to `MAX_STRING_CHARS`.
 */

/** A product as its page declares it. */
export interface StructuredProduct {
  name: string | null;
  price: string | null;
  currency: string | null;
  availability: string | null;
  sku: string | null;
  brand: string | null;
  rating: number | null;
  reviewCount: number | null;
}

/** Structured data of a page, as exposed on `metadata.structured`. */
export interface StructuredData {
  /** schema.org types declared (JSON-LD `@type`, microdata `itemtype`), first 20, without the prefix. */
  types: string[];
  /** Open Graph `og:type`. */
  ogType: string | null;
  headline: string | null;
  author: string | null;
  datePublished: string | null;
  dateModified: string | null;
  product: StructuredProduct | null;
  /** FAQ questions with their answers (FAQPage). */
  faq: { question: string; answer: string }[];
}

/** What {@link readStructuredData} returns: the data, and content blocks it carries as text. */
export interface StructuredResult {
  data: StructuredData;
  /** Paragraphs of content from structured data: product description, FAQ answers, Q&A posts, recipe. */
  contentTexts: string[];
  /**
   * The bodies of the page's article, forum posts, question and answers (`articleBody`, `text`), in
   * data order: the content itself when the page's HTML shows little of it (a shell filled by scripts).
   */
  bodyTexts: string[];
}

type JsonObject = Record<string, unknown>;

const MAX_OBJECTS = 2000;
const MAX_STRING_CHARS = 20_000;
/** Types whose `articleBody` or `text` is the page's content. */
const BODY_TYPE = /Article|BlogPosting|Posting|Report|^Question$|^Answer$|^Comment$/;

/** The body of an article, post, question or answer, keeping its paragraph breaks. */
function bodyOf(object: JsonObject): string | null {
  const value = object.articleBody ?? object.text;
  if (typeof value !== 'string' || value.length < 30) return null;
  const shown = stripTags(value.slice(0, MAX_STRING_CHARS * 5))
    .replace(/[ \t\u00a0]+/g, ' ')
    .trim();
  return shown.length >= 30 ? shown : null;
}

function text(value: unknown): string | null {
  if (typeof value === 'string') return clean(stripTags(value.slice(0, MAX_STRING_CHARS)));
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return text(value[0]);
  if (value && typeof value === 'object') {
    const object = value as JsonObject;
    return text(object.name ?? object.text ?? object['@value'] ?? null);
  }
  return null;
}

/** JSON-LD strings sometimes carry HTML; their text is what we want. */
function stripTags(value: string): string {
  return value.includes('<') ? value.replace(/<[^>]{0,500}>/g, ' ') : value;
}

function numberOf(value: unknown): number | null {
  const string = text(value);
  if (string === null) return null;
  const number = Number.parseFloat(string.replace(',', '.'));
  return Number.isFinite(number) ? number : null;
}

function typesOf(object: JsonObject): string[] {
  return ([] as unknown[])
    .concat(object['@type'] ?? [])
    .filter((type): type is string => typeof type === 'string')
    .map((type) => type.replace(/^.*[/#:]/, ''));
}

/** Every object in the JSON-LD blocks (arrays and `@graph` flattened, nested objects included). */
function jsonLdObjects(blocks: readonly string[]): JsonObject[] {
  const objects: JsonObject[] = [];
  const stack: unknown[] = [];
  for (const block of blocks) {
    try {
      stack.push(JSON.parse(block.trim().replace(/^(?:<!\[CDATA\[|<!--CDATA-->)|\]\]>$/g, '')));
    } catch {
      // Broken JSON-LD is common and carries nothing we could trust: skip the block.
      continue;
    }
  }
  while (stack.length > 0 && objects.length < MAX_OBJECTS) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (let i = item.length - 1; i >= 0; i--) stack.push(item[i]);
    } else if (item && typeof item === 'object') {
      const object = item as JsonObject;
      if (object['@type'] !== undefined) objects.push(object);
      for (const value of Object.values(object)) if (value && typeof value === 'object') stack.push(value);
    }
  }
  return objects;
}

function firstOffer(product: JsonObject): JsonObject | null {
  const offers = product.offers;
  const offer: unknown = Array.isArray(offers) ? (offers as unknown[])[0] : offers;
  if (!offer || typeof offer !== 'object') return null;
  const object = offer as JsonObject;
  // An AggregateOffer states lowPrice; a list of offers may nest them once more.
  if (object.offers) return firstOffer(object) ?? object;
  return object;
}

function productFromJsonLd(object: JsonObject): StructuredProduct {
  const offer = firstOffer(object);
  const rating =
    object.aggregateRating && typeof object.aggregateRating === 'object'
      ? (object.aggregateRating as JsonObject)
      : null;
  return {
    name: text(object.name),
    price: text(offer?.price ?? offer?.lowPrice ?? null),
    currency: text(offer?.priceCurrency ?? null),
    availability: text(offer?.availability ?? null)?.replace(/^.*schema\.org\//, '') ?? null,
    sku: text(object.sku ?? object.mpn ?? object.gtin13 ?? null),
    brand: text(object.brand ?? null),
    rating: numberOf(rating?.ratingValue),
    reviewCount: numberOf(rating?.reviewCount ?? rating?.ratingCount),
  };
}

/** Microdata values by lower-cased `itemprop`, the first of each; `itemtype`s seen. */
function readMicrodata(body: Element): { values: Map<string, string>; types: string[] } {
  const values = new Map<string, string>();
  const types: string[] = [];
  walk(body, (element) => {
    const itemtype = attr(element, 'itemtype');
    if (itemtype && types.length < 20) types.push(itemtype.replace(/^.*[/#]/, ''));
    const itemprop = attr(element, 'itemprop');
    if (!itemprop) return false;
    for (const key of itemprop.toLowerCase().split(/\s+/)) {
      if (!key || values.has(key)) continue;
      const value =
        attr(element, 'content') ??
        attr(element, 'datetime') ??
        (element.tag === 'meta' ? null : textOf(element, 300));
      const cleaned = clean(value);
      if (cleaned) values.set(key, cleaned.slice(0, 300));
    }
    return false;
  });
  return { values, types };
}

/** Reads the structured data of a page from its JSON-LD, its body's microdata and its meta tags. */
export function readStructuredData(
  jsonLd: readonly string[],
  body: Element,
  meta: ReadonlyMap<string, string>,
): StructuredResult {
  const objects = jsonLdObjects(jsonLd);
  const microdata = readMicrodata(body);
  const types = [...new Set([...objects.flatMap(typesOf), ...microdata.types])].slice(0, 20);
  const contentTexts: string[] = [];
  const bodyTexts: string[] = [];
  let product: StructuredProduct | null = null;
  let article: JsonObject | null = null;
  const faq: { question: string; answer: string }[] = [];
  for (const object of objects) {
    const objectTypes = typesOf(object);
    const body = objectTypes.some((type) => BODY_TYPE.test(type)) ? bodyOf(object) : null;
    if (body && !bodyTexts.includes(body)) bodyTexts.push(body);
    if (objectTypes.includes('Product') && !product) {
      product = productFromJsonLd(object);
      const description = text(object.description);
      if (description) contentTexts.push(description);
    } else if (objectTypes.some((type) => /Article|BlogPosting|Posting|Report/.test(type)) && !article) {
      article = object;
    }
    if (objectTypes.includes('Question')) {
      const question = text(object.name);
      const answer = text(object.acceptedAnswer ?? object.suggestedAnswer ?? null);
      if (question && answer && faq.length < 200) faq.push({ question, answer });
    }
    if (objectTypes.includes('Recipe')) {
      const ingredients = ([] as unknown[])
        .concat(object.recipeIngredient ?? [])
        .map(text)
        .filter((line): line is string => line !== null);
      const steps = ([] as unknown[])
        .concat(object.recipeInstructions ?? [])
        .map(text)
        .filter((line): line is string => line !== null);
      contentTexts.push(...ingredients.slice(0, 200), ...steps.slice(0, 200));
    }
  }
  for (const entry of faq) contentTexts.push(entry.question, entry.answer);
  const md = microdata.values;
  if (!product && (types.includes('Product') || meta.get('og:type') === 'product' || md.has('price'))) {
    product = {
      name: md.get('name') ?? null,
      price: null,
      currency: null,
      availability: null,
      sku: null,
      brand: null,
      rating: null,
      reviewCount: null,
    };
  }
  if (product) {
    product.name ??= md.get('name') ?? clean(meta.get('og:title')) ?? null;
    product.price ??=
      md.get('price') ?? clean(meta.get('product:price:amount') ?? meta.get('og:price:amount')) ?? null;
    product.currency ??=
      md.get('pricecurrency') ??
      clean(meta.get('product:price:currency') ?? meta.get('og:price:currency')) ??
      null;
    product.availability ??=
      md.get('availability')?.replace(/^.*schema\.org\//, '') ??
      clean(meta.get('product:availability')) ??
      null;
    product.sku ??= md.get('sku') ?? null;
    product.rating ??= numberOf(md.get('ratingvalue'));
  }
  return {
    data: {
      types,
      ogType: clean(meta.get('og:type')),
      headline: text(article?.headline ?? null),
      author: text(article?.author ?? null) ?? md.get('author') ?? null,
      datePublished: text(article?.datePublished ?? null) ?? md.get('datepublished') ?? null,
      dateModified: text(article?.dateModified ?? null) ?? md.get('datemodified') ?? null,
      product,
      faq,
    },
    contentTexts,
    bodyTexts,
  };
}
