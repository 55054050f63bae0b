import { PermanentError, RetryableError } from '../lib/index.js';

/** Every error code the render path adds to the item codes of ARCHITECTURE.md. */
export const RENDER_ERROR_CODES = [
  /** The browser or the page crashed, or could not be launched; retried with backoff. */
  'render_failed',
  /**
   * The item needs a browser (`render: "always"` or a screenshot) and this worker has none: it is
   * handed back to the queue for a `distill worker --render`. Seen on queued items only.
   */
  'render_unavailable',
] as const;

/** The browser or a page crashed or could not start; a later attempt may succeed. */
export class RenderFailedError extends RetryableError {
  readonly url: string;
  constructor(url: string, reason: string, options?: { cause?: unknown }) {
    super('render_failed', `Rendering ${url} failed: ${reason}`, options);
    this.url = url;
  }
}

/** The browser pool was stopped or cannot run here (no Chromium): retrying in this process will not help. */
export class RenderUnavailableError extends PermanentError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('render_unavailable', `No browser to render with: ${reason}`, options);
  }
}
