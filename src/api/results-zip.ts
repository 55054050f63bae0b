import { once } from 'node:events';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { markdownFileName, toMarkdownFile, type JobRepository } from '../jobs/index.js';

/** Results read from the database at a time. */
const PAGE_SIZE = 200;
/** Compressed bytes the zip may hold unread before adding more: memory stays flat on any job. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/**
 * Every result of a job as a zip of Markdown files (front matter, then the Markdown; the same
 * files `distill extract -o` writes), streamed: a page of documents is read, added, and the next
 * page waits while the client has more than `MAX_BUFFERED_BYTES` unread. A client that goes away
 * stops the reading (`signal`).
 */
export function resultsZip(
  repository: Pick<JobRepository, 'listResults'>,
  jobId: string,
  signal: AbortSignal,
): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  void (async () => {
    let cursor: string | undefined;
    try {
      do {
        const page = await repository.listResults(jobId, { limit: PAGE_SIZE, cursor });
        for (const { document } of page.items) {
          const file = toMarkdownFile({ ...document, fetchedAt: new Date(document.fetchedAt).toISOString() });
          zip.addBuffer(Buffer.from(file), markdownFileName(document.url), {
            mtime: new Date(document.fetchedAt),
          });
        }
        cursor = page.nextCursor ?? undefined;
        while (output.readableLength > MAX_BUFFERED_BYTES && !signal.aborted)
          await once(output, 'data', { signal });
      } while (cursor !== undefined && !signal.aborted);
      zip.end();
    } catch (error) {
      output.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  })();
  return output;
}
