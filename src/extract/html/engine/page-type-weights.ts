// Placeholder until bench/fit-page-type.mjs writes the fitted weights.
/** Weights of the page-type model: one vector per type, in the order of PAGE_FEATURE_NAMES. */
export const PAGE_WEIGHTS: { features: readonly string[]; weights: Partial<Record<string, readonly number[]>> } = { features: [], weights: { article: [1] } };
