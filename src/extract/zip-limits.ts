import yauzl from 'yauzl';
import { positiveInteger } from '../lib/index.js';
import { DecompressionLimitError, ExtractionFailedError } from './errors.js';

/*
 * Every zip that extraction opens (OOXML today; EPUB and other office formats tomorrow) goes
 * through `readZip`, never through a library that inflates whole entries on its own: mammoth's
 * JSZip inflated a 0.9 MB DOCX to 1.8 GB of ArrayBuffers, outside the thread's heap limit.
 *
 * yauzl reads the central directory and inflates each entry as a stream through zlib, a chunk at a
 * time. We check the declared sizes first (per entry and in total, before inflating anything),
 * then count the bytes actually inflated and stop the stream at the first chunk past the entry's
 * declared size (so past the limits too).
 * Memory is then bounded by the limits, whatever the archive claims.
 */

/** Limits of {@link readZip}. */
export interface ZipLimits {
  /** Bytes all entries may inflate to, together. @default 52428800 (50 MiB) */
  maxTotalBytes?: number;
  /** Bytes one entry may inflate to. @default maxTotalBytes */
  maxEntryBytes?: number;
  /** Entries the archive may hold (directories included). @default 10000 */
  maxEntries?: number;
}

/** Default of {@link ZipLimits.maxTotalBytes} and of `DISTILL_MAX_INFLATED_BYTES`: 50 MiB. */
export const DEFAULT_MAX_INFLATED_BYTES = 50 * 1024 * 1024;
/** Default of {@link ZipLimits.maxEntries}: a real DOCX has a few dozen. */
export const DEFAULT_MAX_ZIP_ENTRIES = 10_000;

/** The files of an archive by path, as inflated by {@link readZip}. */
export type ZipEntries = Map<string, Uint8Array>;

/**
 * Inflates every file of the zip archive in `body` within `limits`.
 * @throws {DecompressionLimitError} when a declared or actual size, or the entry count, is over its limit.
 * @throws {ExtractionFailedError} when the archive is corrupt, encrypted or uses an unknown method.
 */
export async function readZip(body: Uint8Array, limits: ZipLimits = {}): Promise<ZipEntries> {
  const maxTotalBytes = positiveInteger('maxTotalBytes', limits.maxTotalBytes ?? DEFAULT_MAX_INFLATED_BYTES);
  const maxEntryBytes = Math.min(
    maxTotalBytes,
    positiveInteger('maxEntryBytes', limits.maxEntryBytes ?? maxTotalBytes),
  );
  const maxEntries = positiveInteger('maxEntries', limits.maxEntries ?? DEFAULT_MAX_ZIP_ENTRIES);

  let zipfile: yauzl.ZipFile;
  try {
    // Sizes are checked below, so that an entry inflating past its declared size is a
    // `decompression_limit` (a bomb that lies), not yauzl's generic stream error.
    zipfile = await yauzl.fromBufferPromise(Buffer.from(body.buffer, body.byteOffset, body.byteLength), {
      lazyEntries: true,
      validateEntrySizes: false,
      decodeStrings: true,
    });
  } catch (error) {
    throw new ExtractionFailedError(`Cannot read the zip archive: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (zipfile.entryCount > maxEntries) {
    zipfile.close();
    throw new DecompressionLimitError(
      `The zip archive has ${zipfile.entryCount} entries, over the limit of ${maxEntries}`,
    );
  }

  const entries: ZipEntries = new Map();
  let declaredTotal = 0;
  let inflatedTotal = 0;
  try {
    for (let entry = await nextEntry(zipfile); entry; entry = await nextEntry(zipfile)) {
      if (entry.fileName.endsWith('/')) continue;
      const declared = entry.uncompressedSize;
      declaredTotal += declared;
      if (declared > maxEntryBytes)
        throw new DecompressionLimitError(
          `The zip entry ${entry.fileName} declares ${declared} bytes inflated, over the limit of ${maxEntryBytes}`,
        );
      if (declaredTotal > maxTotalBytes)
        throw new DecompressionLimitError(
          `The zip archive declares over ${maxTotalBytes} bytes inflated (the limit) by its entry ${entry.fileName}`,
        );
      const stream = await zipfile.openReadStreamPromise(entry);
      const chunks: Buffer[] = [];
      let inflated = 0;
      try {
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          inflated += chunk.byteLength;
          inflatedTotal += chunk.byteLength;
          if (inflated > declared)
            throw new DecompressionLimitError(
              `The zip entry ${entry.fileName} inflates past its declared size of ${declared} bytes`,
            );
          // Declared sizes are within the limits, so this cannot fire today; it guards the totals
          // should the check above ever change.
          if (inflated > maxEntryBytes || inflatedTotal > maxTotalBytes) {
            throw new DecompressionLimitError(
              `The zip entry ${entry.fileName} inflates past the limit of ${inflated > maxEntryBytes ? maxEntryBytes : maxTotalBytes} bytes`,
            );
          }
          chunks.push(chunk);
        }
        if (inflated < declared)
          throw new ExtractionFailedError(
            `The zip entry ${entry.fileName} inflates to ${inflated} bytes, not the ${declared} it declares`,
          );
      } finally {
        stream.destroy();
      }
      entries.set(entry.fileName, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    }
  } catch (error) {
    if (error instanceof DecompressionLimitError || error instanceof ExtractionFailedError) throw error;
    throw new ExtractionFailedError(`Cannot read the zip archive: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    zipfile.close();
  }
  return entries;
}

/** The next entry of a `lazyEntries` zip file, or null at the end of its central directory. */
function nextEntry(zipfile: yauzl.ZipFile): Promise<yauzl.Entry | null> {
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      zipfile.off('entry', onEntry);
      zipfile.off('end', onEnd);
      zipfile.off('error', onError);
    };
    const onEntry = (entry: yauzl.Entry): void => {
      cleanup();
      resolve(entry);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(null);
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    zipfile.on('entry', onEntry);
    zipfile.on('end', onEnd);
    zipfile.on('error', onError);
    zipfile.readEntry();
  });
}
