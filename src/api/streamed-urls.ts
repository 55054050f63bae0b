import type { Readable } from 'node:stream';
import type { InvalidEntryView } from '../client/types.js';
import type { InvalidEntry } from '../jobs/index.js';

/** Body formats read line by line. */
export type LineFormat = 'text' | 'ndjson';

/** Line rejections kept for the report; as many as the jobs service reports invalid entries. */
const MAX_KEPT_REJECTIONS = 1000;
/** Characters of a refused line echoed back. */
const PREVIEW_CHARS = 200;
/**
 * What a refused line is handed on as: the jobs service refuses it as `invalid_url` and counts it,
 * keeping the entry indexes aligned, and `mergeInvalid` then puts the line's own reason back.
 */
const REFUSED_PLACEHOLDER = '';

export interface StreamedUrlsOptions {
  format: LineFormat;
  /** Longest line in bytes; a longer one is an invalid entry (`url_too_long`), never buffered whole. */
  maxLineBytes: number;
  /** URLs read at most; lines past it are read and dropped, and `truncated` becomes true. */
  maxUrls: number;
}

/**
 * The URLs of a streamed request body (`text/plain` or `application/x-ndjson`), one per line, read
 * incrementally: memory holds one chunk and at most one line, however large the body. Blank lines
 * are skipped, and so are `#` comment lines of text/plain. An NDJSON line is a JSON string or an
 * object with a string `url`; anything else is an `invalid_line` entry.
 *
 * Iterating it a second time is an error. If the consumer stops early (an idempotent replay stops
 * after the first batch), the rest of the body is drained, not destroyed, so the response can
 * still be sent on the same connection.
 */
export class StreamedUrls implements AsyncIterable<string> {
  readonly #stream: Readable;
  readonly #options: StreamedUrlsOptions;
  readonly #rejections = new Map<number, InvalidEntryView>();
  #isStarted = false;
  #count = 0;
  #truncated = false;

  constructor(stream: Readable, options: StreamedUrlsOptions) {
    this.#stream = stream;
    this.#options = options;
  }

  /** True when the body held more than `maxUrls` URLs. */
  get truncated(): boolean {
    return this.#truncated;
  }

  /** Replaces the placeholder reasons of refused lines in `invalid` with the lines' own. */
  mergeInvalid(invalid: readonly InvalidEntry[]): InvalidEntryView[] {
    return invalid.map((entry) => this.#rejections.get(entry.index) ?? entry);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    if (this.#isStarted) throw new Error('A streamed body can be read once');
    this.#isStarted = true;
    const stream = this.#stream;
    const max = this.#options.maxLineBytes;
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let overflowPreview: string | null = null;
    let isFirstLine = true;
    let isDone = false;

    const append = (part: Buffer): void => {
      if (part.length === 0 || overflowPreview !== null) return;
      if (pendingBytes + part.length > max) {
        overflowPreview = Buffer.concat([...pending, part.subarray(0, PREVIEW_CHARS * 4)])
          .toString('utf8')
          .slice(0, PREVIEW_CHARS);
        pending = [];
        pendingBytes = 0;
        return;
      }
      pending.push(part);
      pendingBytes += part.length;
    };
    const takeLine = (): string | { tooLong: string } => {
      const line =
        overflowPreview !== null ? { tooLong: overflowPreview } : Buffer.concat(pending).toString('utf8');
      pending = [];
      pendingBytes = 0;
      overflowPreview = null;
      if (isFirstLine && typeof line === 'string') {
        isFirstLine = false;
        return line.replace(/^\uFEFF/, '');
      }
      isFirstLine = false;
      return line;
    };

    try {
      for await (const chunk of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<
        Buffer | string
      >) {
        const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        let start = 0;
        for (;;) {
          const newline = buffer.indexOf(10, start);
          if (newline === -1) {
            append(buffer.subarray(start));
            break;
          }
          append(buffer.subarray(start, newline));
          start = newline + 1;
          const entry = this.#entryOf(takeLine());
          if (entry !== null) yield entry;
        }
      }
      if (pendingBytes > 0 || overflowPreview !== null) {
        const entry = this.#entryOf(takeLine());
        if (entry !== null) yield entry;
      }
      isDone = true;
    } finally {
      // Stopped early: read the rest and drop it, so the connection stays usable for the response.
      if (!isDone && !stream.destroyed) stream.resume();
    }
  }

  /** The entry a line becomes, or null for a line that is skipped (blank, comment, past the cap). */
  #entryOf(line: string | { tooLong: string }): string | null {
    if (typeof line === 'string') {
      const text = line.trim();
      if (text === '' || (this.#options.format === 'text' && text.startsWith('#'))) return null;
    }
    if (this.#count >= this.#options.maxUrls) {
      this.#truncated = true;
      return null;
    }
    const index = this.#count++;
    if (typeof line !== 'string') {
      return this.#refuse(
        index,
        line.tooLong,
        'url_too_long',
        `The line is longer than ${this.#options.maxLineBytes} bytes`,
      );
    }
    const text = line.trim();
    if (this.#options.format === 'text') return text;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return this.#refuse(
        index,
        text,
        'invalid_line',
        'The line is not JSON; expected a JSON string or {"url": "..."}',
      );
    }
    if (typeof value === 'string') return value;
    if (typeof value === 'object' && value !== null && typeof (value as { url?: unknown }).url === 'string') {
      return (value as { url: string }).url;
    }
    return this.#refuse(
      index,
      text,
      'invalid_line',
      'Expected a JSON string or an object with a string `url`',
    );
  }

  #refuse(index: number, input: string, reason: InvalidEntryView['reason'], message: string): string {
    if (this.#rejections.size < MAX_KEPT_REJECTIONS) {
      this.#rejections.set(index, { index, input: input.slice(0, PREVIEW_CHARS), reason, message });
    }
    return REFUSED_PLACEHOLDER;
  }
}
