/**
 * Reads a response body through the decoders its Content-Encoding names, counting DECOMPRESSED
 * bytes and stopping at the limit, so a small gzip or brotli bomb costs at most `maxBytes` of memory
 * and the CPU to inflate that much. Every stage pulls (async iteration), so nothing is inflated
 * ahead of the consumer.
 */
import { Readable, type Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { DecodingError, TooLargeError } from './errors.js';

/** Content codings we ask for and decode. */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

/** Most codings stacked in one Content-Encoding header (`gzip, br`); more is an attack or a bug. */
const MAX_ENCODINGS = 3;

/** Options of `readBody`. */
export interface ReadBodyOptions {
  /** The URL, for error messages. */
  url: string;
  /** The Content-Encoding header, if any. */
  contentEncoding: string | undefined;
  /** Most decompressed bytes kept. */
  maxBytes: number;
  /** At the limit: fail with `TooLargeError`, or keep the first `maxBytes` bytes and stop. */
  onLimit: 'fail' | 'truncate';
  /** Destroys every stage when aborted. */
  signal?: AbortSignal;
}

/** Result of `readBody`. */
export interface ReadBodyResult {
  body: Uint8Array;
  isTruncated: boolean;
}

/** Thrown by the sink to stop the pipeline once a truncating read has enough. */
class LimitReached extends Error {}

/** Parses Content-Encoding into the codings applied, in the order they were applied. */
export function parseContentEncoding(header: string | undefined, url: string): string[] {
  if (header === undefined) return [];
  const codings = header
    .split(',')
    .map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== '' && coding !== 'identity');
  if (codings.length > MAX_ENCODINGS) {
    throw new DecodingError(
      url,
      `Content-Encoding stacks ${codings.length} codings (at most ${MAX_ENCODINGS} are decoded)`,
    );
  }
  for (const coding of codings) {
    if (!['gzip', 'x-gzip', 'deflate', 'br'].includes(coding)) {
      throw new DecodingError(
        url,
        `unsupported Content-Encoding \`${coding}\` (we ask for ${ACCEPT_ENCODING})`,
      );
    }
  }
  return codings;
}

function createDecoder(coding: string, firstChunk: Buffer): Transform {
  // Lenient flushing, like browsers: a stream cut short at a clean boundary still yields its data.
  switch (coding) {
    case 'br':
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    case 'deflate':
      // "deflate" should be zlib-wrapped (RFC 9110) but some servers send raw deflate: a zlib
      // stream starts with a CMF byte whose low nibble is 8.
      return ((firstChunk[0] ?? 0) & 0x0f) === 0x08
        ? zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
        : zlib.createInflateRaw({
            flush: zlib.constants.Z_SYNC_FLUSH,
            finishFlush: zlib.constants.Z_SYNC_FLUSH,
          });
    default:
      // gzip / x-gzip; multi-member streams are decoded whole.
      return zlib.createGunzip({
        flush: zlib.constants.Z_SYNC_FLUSH,
        finishFlush: zlib.constants.Z_SYNC_FLUSH,
      });
  }
}

/**
 * One pipeline stage decoding `coding`. Errors from upstream (the connection) pass through
 * unchanged; errors of the decoder itself become `DecodingError`.
 */
function decodeStage(coding: string, url: string) {
  return async function* decode(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const iterator = source[Symbol.asyncIterator]();
    let first: Buffer | undefined;
    while (first === undefined) {
      const next = await iterator.next();
      if (next.done === true) return;
      if (next.value.length > 0) first = next.value;
    }
    let upstreamError: Error | undefined;
    const firstChunk = first;
    const input = Readable.from(
      (async function* pull(): AsyncGenerator<Buffer> {
        yield firstChunk;
        try {
          for (;;) {
            const next = await iterator.next();
            if (next.done === true) return;
            yield next.value;
          }
        } catch (error) {
          upstreamError = error instanceof Error ? error : new Error(String(error));
          throw upstreamError;
        }
      })(),
      { objectMode: false },
    );
    const decoder = createDecoder(coding, firstChunk);
    // Errors surface through iterating `decoder` below (pipeline destroys it with the error), so the
    // pump's own rejection is only observed, never awaited: waiting for it could outlive a stalled
    // upstream.
    pipeline(input, decoder).catch(() => {
      // Already reported: `decoder` is destroyed with the same error, which the loop below throws.
    });
    try {
      for await (const chunk of decoder as AsyncIterable<Buffer>) yield chunk;
    } catch (error) {
      if (upstreamError !== undefined) throw upstreamError;
      throw new DecodingError(url, `corrupt ${coding} data (${(error as Error).message})`, { cause: error });
    } finally {
      input.destroy();
      decoder.destroy();
    }
  };
}

/**
 * Reads `body` to the end (or the limit) and returns the decoded bytes. Throws `TooLargeError`
 * (when `onLimit` is `fail`), `DecodingError`, or whatever the body stream fails with.
 */
export async function readBody(body: Readable, options: ReadBodyOptions): Promise<ReadBodyResult> {
  const { url, maxBytes, onLimit, signal } = options;
  let codings: string[];
  try {
    codings = parseContentEncoding(options.contentEncoding, url);
  } catch (error) {
    // Not going to read it: close it (listening for the "aborted" error destroying causes).
    body.on('error', () => {
      // Expected: we destroyed the body ourselves.
    });
    body.destroy();
    throw error;
  }
  const chunks: Buffer[] = [];
  let total = 0;
  let isTruncated = false;

  const sink = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) {
      const room = maxBytes - total;
      if (chunk.length > room) {
        if (onLimit === 'fail') {
          throw new TooLargeError(
            url,
            maxBytes,
            `stopped reading after ${total + chunk.length} decoded bytes`,
          );
        }
        if (room > 0) chunks.push(chunk.subarray(0, room));
        total += Math.max(0, room);
        isTruncated = true;
        throw new LimitReached();
      }
      chunks.push(chunk);
      total += chunk.length;
    }
  };

  if (codings.length === 0) {
    // Nothing to decode: the body is read as it comes, without a pipeline (whose set-up and
    // finish, an AbortController and a DOMException, cost more than reading a small page).
    const onAbort = (): void => {
      body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('The body read was aborted'));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await sink(body as AsyncIterable<Buffer>);
    } catch (error) {
      if (!(error instanceof LimitReached)) throw error;
      body.destroy();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return { body: Buffer.concat(chunks, total), isTruncated };
  }

  // Decoders are applied in the reverse order of the codings.
  const stages = codings.reverse().map((coding) => decodeStage(coding, url));
  const decodeAll = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    yield* stages.reduce<AsyncIterable<Buffer>>((input, stage) => stage(input), source);
  };
  try {
    await pipeline(body, decodeAll, sink, signal === undefined ? {} : { signal });
  } catch (error) {
    if (!(error instanceof LimitReached)) throw error;
  }
  return { body: Buffer.concat(chunks, total), isTruncated };
}
