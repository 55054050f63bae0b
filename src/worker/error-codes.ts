import { EXTRACT_ERROR_CODES } from '../extract/index.js';
import { FETCH_ERROR_CODES } from '../fetch/index.js';
import { RENDER_ERROR_CODES } from '../render/index.js';

/** Codes the worker itself sets on an item. */
export const WORKER_ERROR_CODES = [
  /** An unexpected error (a bug or a library fault); retried like a retryable error. */
  'internal_error',
  /** The worker holding the item stopped responding on every attempt. */
  'lease_expired',
  /** The job has headers or cookies and this worker has no DISTILL_SECRET_KEY to open them. */
  'secret_key_missing',
  /** The job's sealed headers and cookies do not open with this worker's DISTILL_SECRET_KEY. */
  'secret_unreadable',
] as const;

/** Every error code a failed item can carry: the README documents each one (a test checks). */
export const ITEM_ERROR_CODES: readonly string[] = [
  ...FETCH_ERROR_CODES,
  ...EXTRACT_ERROR_CODES,
  ...RENDER_ERROR_CODES,
  ...WORKER_ERROR_CODES,
];
