import { PAGE_FEATURE_NAMES } from './page-features.js';
import { PAGE_WEIGHTS } from './page-type-weights.js';
import { PAGE_TYPES, type PageType } from './profiles.js';

/*
 * Page type from the features of page-features.ts: a multinomial logistic regression whose
 * weights bench/fit-page-type.mjs fits on the tuning half of wcxb-dev (page-type-weights.ts).
 * A page with almost no text is `other` unless the model is sure of its type.
 */

/** What {@link classifyPage} returns. */
export interface PageTypeResult {
  pageType: PageType;
  /** The model's probability of `pageType`, 0..1. */
  confidence: number;
}

/** Pages with fewer visible characters than this are `other`. */
const MIN_TYPED_CHARS = 80;

/** Probabilities of each type in {@link PAGE_TYPES} order (only the types the weights know). */
export function pageTypeProbabilities(features: readonly number[]): Map<PageType, number> {
  const scores = new Map<PageType, number>();
  let max = -Infinity;
  for (const type of PAGE_TYPES) {
    const weights = PAGE_WEIGHTS.weights[type];
    if (!weights) continue;
    let score = 0;
    for (let i = 0; i < PAGE_FEATURE_NAMES.length; i++) score += (weights[i] ?? 0) * (features[i] ?? 0);
    scores.set(type, score);
    if (score > max) max = score;
  }
  let total = 0;
  for (const [type, score] of scores) {
    const exp = Math.exp(score - max);
    scores.set(type, exp);
    total += exp;
  }
  for (const [type, exp] of scores) scores.set(type, exp / total);
  return scores;
}

/** Classifies a page from its feature vector and its visible characters. */
export function classifyPage(features: readonly number[], chars: number): PageTypeResult {
  let best: PageType = 'article';
  let confidence = 0;
  for (const [type, probability] of pageTypeProbabilities(features)) {
    if (probability > confidence) {
      best = type;
      confidence = probability;
    }
  }
  // A page with almost no text is `other` unless the model is sure (a short product page).
  if (chars < MIN_TYPED_CHARS && confidence < 0.6) return { pageType: 'other', confidence: 1 - confidence };
  return { pageType: best, confidence };
}
