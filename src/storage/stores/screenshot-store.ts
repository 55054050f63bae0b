import type { ScreenshotStore } from '../../jobs/index.js';
import { urlKey, type StoreContext } from './store-context.js';

/** Screenshots of rendered documents (the `screenshots` table): one per document key, like documents. */
export class KyselyScreenshotStore implements ScreenshotStore {
  readonly #context: StoreContext;

  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * Stores the PNG screenshot of the document of `url` fetched at `fetchedAt`, replacing the URL's
   * previous one (one per URL, like documents). Written before the document, by the worker.
   */
  async saveScreenshot(
    url: string,
    screenshot: { fetchedAt: number; png: Uint8Array },
    key: string = urlKey(url),
  ): Promise<void> {
    const { db, dialect } = this.#context;
    const values = {
      document_fetched_at: screenshot.fetchedAt,
      mime_type: 'image/png',
      byte_length: screenshot.png.byteLength,
      data: Buffer.from(screenshot.png.buffer, screenshot.png.byteOffset, screenshot.png.byteLength),
      created_at: this.#context.clock.now(),
    };
    await dialect
      .upsert(db.insertInto('screenshots').values({ ...values, url_key: key }), ['url_key'], values)
      .execute();
  }

  /**
   * The screenshot of a stored document: null when the document does not exist or when its
   * current version (its `fetchedAt`) was stored without one.
   */
  async getScreenshot(documentId: string): Promise<{ mimeType: string; png: Uint8Array } | null> {
    const { db } = this.#context;
    const row = await db
      .selectFrom('documents')
      .innerJoin('screenshots', (join) =>
        join
          .onRef('screenshots.url_key', '=', 'documents.url_key')
          .onRef('screenshots.document_fetched_at', '=', 'documents.fetched_at'),
      )
      .select(['screenshots.mime_type', 'screenshots.data'])
      .where('documents.id', '=', documentId)
      .executeTakeFirst();
    if (!row) return null;
    const data = row.data;
    return { mimeType: row.mime_type, png: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  }
}
