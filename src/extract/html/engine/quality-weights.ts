// Placeholder until bench/fit-quality.mjs writes the fitted weights.
/** Weights of the quality model, in the order of QUALITY_FEATURE_NAMES, and an offset per page type. */
export const QUALITY_WEIGHTS: { weights: readonly number[]; typeOffsets: Readonly<Record<string, number>> } = { weights: [-1, 3, -1, -2, 0, 0, 0.5, -0.5, 0, 0.5], typeOffsets: {} };
