import { QUALITY_WEIGHTS } from './quality-weights.js';

/*
 * `quality.score`: an estimate of the word F1 of the extraction against what a person would call
 * the page's main content, 0..1. A logistic model over signals of the extraction itself (how much
 * text, how link-heavy, how the main block was found, what share of the page it kept, how sure the
 * page type is); bench/fit-quality.mjs fits it on the tuning half of wcxb-dev
 * (quality-weights.ts) and the eval reports its correlation with the true F1 on both halves.
 */

/** Signals of one extraction, the inputs of {@link qualityScore}. */
export interface QualityInput {
  /** Visible characters of the extracted text. */
  chars: number;
  /** Share of them inside links. */
  linkDensity: number;
  /** Visible characters of the page's body before cleaning. */
  pageChars: number;
  /** Visible characters left after cleaning (before selection). */
  cleanedChars: number;
  /** The main block was the page's own marker (`main`, `article`...). */
  isMarked: boolean;
  /** Selection fell back to the whole body. */
  isWholeBody: boolean;
  /** Blocks selected. */
  blocks: number;
  /** The page type model's confidence. */
  typeConfidence: number;
  /** The page type, for its own offset. */
  pageType: string;
}

/** Names of the model's inputs, in the order of the weights. */
export const QUALITY_FEATURE_NAMES = [
  'bias',
  'logChars',
  'short',
  'linkDensity',
  'keptShare',
  'cleanedShare',
  'marked',
  'wholeBody',
  'manyBlocks',
  'typeConfidence',
] as const;

/** The feature vector of {@link qualityScore} (exported for the fitting script). */
export function qualityFeatures(input: QualityInput): number[] {
  const logChars = Math.min(1, Math.log1p(input.chars) / 11);
  return [
    1,
    logChars,
    input.chars < 300 ? 1 : 0,
    input.linkDensity,
    input.cleanedChars > 0 ? Math.min(1, input.chars / input.cleanedChars) : 0,
    input.pageChars > 0 ? Math.min(1, input.cleanedChars / input.pageChars) : 0,
    input.isMarked ? 1 : 0,
    input.isWholeBody ? 1 : 0,
    Math.min(1, input.blocks / 5),
    input.typeConfidence,
  ];
}

/** The estimated F1 of an extraction, rounded to 3 decimals. */
export function qualityScore(input: QualityInput): number {
  if (input.chars === 0) return 0;
  const features = qualityFeatures(input);
  let z = QUALITY_WEIGHTS.typeOffsets[input.pageType] ?? 0;
  for (let i = 0; i < features.length; i++) z += (QUALITY_WEIGHTS.weights[i] ?? 0) * features[i]!;
  return Math.round(1000 / (1 + Math.exp(-z))) / 1000;
}
