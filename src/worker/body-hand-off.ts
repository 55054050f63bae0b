import { positiveInteger } from '../lib/index.js';

/** The least a body counts for in a hand-off by default (see `BodyHandOffOptions.minChargeBytes`). */
export const HAND_OFF_MIN_CHARGE_BYTES = 16_384;

/** Options of {@link BodyHandOff}. */
export interface BodyHandOffOptions {
  /** Bytes of fetched bodies held at once before fetching pauses. */
  maxBytes: number;
  /**
   * The least a body counts for, in bytes, so that the budget bounds the number of bodies too
   * (`maxBytes / minChargeBytes` at most, an empty body included). @default 16384
   */
  minChargeBytes?: number;
}

/** What `/metrics` reads of a {@link BodyHandOff}. */
export interface BodyHandOffStats {
  /** Bytes the bodies held now count for. */
  bytes: number;
  /** Bodies held now (waiting for an extraction thread or being extracted). */
  bodies: number;
  maxBytes: number;
  /** Times the budget filled up, so that fetching paused. */
  pauses: number;
}

/**
 * The bounded hand-off between fetching and extraction (issue 16), measured in bytes: a fetched
 * body enters it and the fetch slot moves on to the next URL; the body leaves it when its item
 * has ended (extracted and its document stored: the document stands in for the body meanwhile). While the bodies held reach `maxBytes`, fetching pauses (the worker pool
 * claims nothing new), so memory stays bounded by the budget, plus what the slots that were already
 * fetching bring in (each at most `DISTILL_FETCH_MAX_BYTES`). A body is never refused: it is
 * already in memory, and the budget is what stops the next fetches.
 */
export class BodyHandOff {
  readonly #maxBytes: number;
  readonly #minChargeBytes: number;
  #bytes = 0;
  #bodies = 0;
  #pauses = 0;

  constructor(options: BodyHandOffOptions) {
    this.#maxBytes = positiveInteger('maxBytes', options.maxBytes);
    this.#minChargeBytes = positiveInteger(
      'minChargeBytes',
      options.minChargeBytes ?? HAND_OFF_MIN_CHARGE_BYTES,
    );
  }

  /** The bodies held fill the budget: fetch nothing more until some leave. */
  get isFull(): boolean {
    return this.#bytes >= this.#maxBytes;
  }

  /** Takes in a fetched body of `byteLength` bytes; the returned function lets it go (idempotent). */
  admit(byteLength: number): () => void {
    const charge = Math.max(this.#minChargeBytes, Math.max(0, Math.trunc(byteLength)));
    const wasFull = this.isFull;
    this.#bytes += charge;
    this.#bodies++;
    if (!wasFull && this.isFull) this.#pauses++;
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      this.#bytes -= charge;
      this.#bodies--;
    };
  }

  stats(): BodyHandOffStats {
    return { bytes: this.#bytes, bodies: this.#bodies, maxBytes: this.#maxBytes, pauses: this.#pauses };
  }
}
