import { createHash, randomUUID } from 'node:crypto';
import {
  summarizeChange,
  type DocumentChange,
  type DocumentStore,
  type DocumentVersion,
  type NewDocument,
  type StoredDocument,
} from '../../jobs/index.js';
import { DOCUMENT_COLUMNS, toDocument, toDocumentVersion } from '../row-mappers.js';
import type { DocumentsTable } from '../schema.js';
import { deleteOrphanDocuments } from './orphan-documents.js';
import { chunks, inTransaction, urlKey, type StoreContext } from './store-context.js';

/**
 * Documents: one per document key (see `createDocumentKey`), replaced when the URL is extracted
 * again, with the last `documentVersions` earlier contents kept when the main text changes.
 */
export class KyselyDocumentStore implements DocumentStore {
  readonly #context: StoreContext;
  readonly #documentVersions: number;

  /** `documentVersions`: earlier contents kept per document when its text changes (issue 9). */
  constructor(context: StoreContext, options: { documentVersions: number }) {
    this.#context = context;
    this.#documentVersions = options.documentVersions;
  }

  async findFreshDocuments(
    urls: readonly string[],
    fetchedAfter: number,
    tenant?: string,
  ): Promise<Map<string, string>> {
    const byKey = new Map(urls.map((url) => [this.#context.documentKey(url, tenant), url]));
    const found = new Map<string, string>();
    for (const chunk of chunks([...byKey.keys()])) {
      const rows = await this.#context.db
        .selectFrom('documents')
        .select(['id', 'url_key'])
        .where('url_key', 'in', chunk)
        .where('fetched_at', '>=', fetchedAfter)
        .execute();
      for (const row of rows) {
        const url = byKey.get(row.url_key);
        if (url !== undefined) found.set(url, row.id);
      }
    }
    return found;
  }

  async putDocument(url: string, doc: NewDocument, tenant?: string): Promise<string> {
    const key = this.#context.documentKey(url, tenant);
    const now = this.#context.clock.now();
    return inTransaction(this.#context, async (trx) => {
      const stored = await new KyselyDocumentStore(trx, {
        documentVersions: this.#documentVersions,
      }).storeDocument(url, key, doc, now);
      return stored.documentId;
    });
  }

  async getDocument(id: string): Promise<StoredDocument | null> {
    const row = await this.#context.db
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('id', '=', id)
      .executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  async getDocumentByUrl(url: string, tenant?: string): Promise<StoredDocument | null> {
    const row = await this.#context.db
      .selectFrom('documents')
      .select(DOCUMENT_COLUMNS)
      .where('url_key', '=', this.#context.documentKey(url, tenant))
      .executeTakeFirst();
    return row ? toDocument(row) : null;
  }

  /**
   * The validators of the URL's stored document, for a conditional fetch: null when there is no
   * document or it was stored without an ETag or Last-Modified.
   */
  async getDocumentValidators(
    url: string,
    key: string = urlKey(url),
  ): Promise<{ documentId: string; etag: string | null; lastModified: string | null } | null> {
    const row = await this.#context.db
      .selectFrom('documents')
      .select(['id', 'etag', 'last_modified'])
      .where('url_key', '=', key)
      .executeTakeFirst();
    if (!row || (!row.etag && !row.last_modified)) return null;
    return { documentId: row.id, etag: row.etag ?? null, lastModified: row.last_modified ?? null };
  }

  /** The current version number of a document (null when there is none) and its earlier versions, newest first. */
  async listDocumentVersions(
    documentId: string,
    options: { limit: number },
  ): Promise<{
    current: { version: number; contentHash: string; fetchedAt: number } | null;
    versions: DocumentVersion[];
  }> {
    const { db } = this.#context;
    const doc = await db
      .selectFrom('documents')
      .select(['version', 'content_hash', 'fetched_at'])
      .where('id', '=', documentId)
      .executeTakeFirst();
    if (!doc) return { current: null, versions: [] };
    const rows = await db
      .selectFrom('document_versions')
      .selectAll()
      .where('document_id', '=', documentId)
      .orderBy('version', 'desc')
      .limit(options.limit)
      .execute();
    return {
      current: {
        version: Number(doc.version ?? 1),
        contentHash: doc.content_hash,
        fetchedAt: Number(doc.fetched_at),
      },
      versions: rows.map(toDocumentVersion),
    };
  }

  /** Deletes up to `limit` orphan documents stored before `updatedBefore`; see orphan-documents.ts. */
  deleteOrphanDocuments(updatedBefore: number, limit: number): Promise<number> {
    return deleteOrphanDocuments(this.#context, updatedBefore, limit);
  }

  /**
   * Stores a document by key, in the caller's transaction. Change detection (issue 9): when the key
   * already has a document whose main text hashes differently, the old content becomes a version
   * (the last `documentVersions` kept), `version` goes up, and the change is returned for
   * `document.changed`. The same hash stores no version. `isTextComparable` is false when the job
   * did not ask for text (the text is then empty and says nothing about a change).
   */
  async storeDocument(
    url: string,
    key: string,
    doc: NewDocument,
    now: number,
    isTextComparable = true,
  ): Promise<{ documentId: string; change: DocumentChange | null }> {
    const { db: trx, dialect } = this.#context;
    // The hash of what the document holds: its text, or its Markdown when the job asked for no
    // text (a hash of the empty text would make every such document look the same).
    const contentHash = createHash('sha256')
      .update(doc.text !== '' ? doc.text : (doc.markdown ?? ''))
      .digest('hex');
    // Locked on PostgreSQL/MySQL: two workers storing one URL at once see each other's version.
    const head = await trx
      .selectFrom('documents')
      .select(['id', 'content_hash', 'version'])
      .where('url_key', '=', key)
      .$call(dialect.forUpdate)
      .executeTakeFirst();
    // The old content is read only when the hash differs: an unchanged page costs one small read.
    const previous =
      head !== undefined && head.content_hash !== contentHash && isTextComparable && doc.text !== ''
        ? await trx
            .selectFrom('documents')
            .select([
              'id',
              'content_hash',
              'text',
              'markdown',
              'title',
              'word_count',
              'fetched_at',
              'version',
            ])
            .where('id', '=', head.id)
            .executeTakeFirst()
        : undefined;
    const isChanged = previous !== undefined && previous.text !== '';
    const version = Number(head?.version ?? 1) + (isChanged ? 1 : 0);
    const values: Omit<DocumentsTable, 'id' | 'url_key' | 'url' | 'created_at'> = {
      final_url: doc.finalUrl,
      canonical_url: doc.canonicalUrl,
      mime_type: doc.mimeType,
      http_status: doc.httpStatus,
      title: doc.title,
      byline: doc.byline,
      description: doc.description,
      site_name: doc.siteName,
      lang: doc.lang,
      published_time: doc.publishedTime,
      text: doc.text,
      markdown: doc.markdown,
      html: doc.html,
      links: JSON.stringify(doc.links),
      word_count: doc.wordCount,
      extractor: doc.extractor,
      quality: JSON.stringify(doc.quality),
      metadata: JSON.stringify(doc.metadata),
      content_hash: contentHash,
      fetched_at: doc.fetchedAt,
      updated_at: now,
      etag: doc.etag ?? null,
      last_modified: doc.lastModified ?? null,
      version,
    };
    // One statement, so two workers storing the same URL at once cannot both insert: the loser's
    // insert turns into an update of the winner's row (which it waits for), keeping its id.
    const newId = randomUUID();
    await dialect
      .upsert(
        trx.insertInto('documents').values({ ...values, id: newId, url_key: key, url, created_at: now }),
        ['url_key'],
        values,
      )
      .execute();
    // With one writer at a time the head read above is still true: the row is the one it found,
    // or the one just inserted. Elsewhere another writer may have inserted it meanwhile.
    const row = dialect.hasSerialWriters
      ? { id: head?.id ?? newId }
      : await trx.selectFrom('documents').select('id').where('url_key', '=', key).executeTakeFirstOrThrow();
    if (!isChanged || previous === undefined) return { documentId: row.id, change: null };
    const summary = summarizeChange(previous.text, doc.text);
    if (this.#documentVersions > 0) {
      const insert = trx.insertInto('document_versions').values({
        document_id: row.id,
        version: version - 1,
        content_hash: previous.content_hash,
        title: previous.title,
        word_count: Number(previous.word_count),
        text: previous.text,
        markdown: previous.markdown,
        changes: JSON.stringify(summary),
        fetched_at: Number(previous.fetched_at),
        replaced_at: now,
      });
      await dialect.insertIgnore(insert, ['document_id', 'version']).execute();
    }
    // Keep the last N earlier versions: those above (current - 1) - N.
    await trx
      .deleteFrom('document_versions')
      .where('document_id', '=', row.id)
      .where('version', '<=', version - 1 - this.#documentVersions)
      .execute();
    return {
      documentId: row.id,
      change: { version, previousContentHash: previous.content_hash, contentHash, summary },
    };
  }

  /**
   * A 304 Not Modified: the key's stored document stands; its `fetched_at` (and validators, when
   * the server sent new ones) are refreshed. Null when the document is gone (retention purged it
   * meanwhile): the caller stores `doc` as a new one.
   */
  async refreshDocument(key: string, doc: NewDocument, now: number): Promise<string | null> {
    const { db: trx } = this.#context;
    const existing = await trx
      .selectFrom('documents')
      .select('id')
      .where('url_key', '=', key)
      .executeTakeFirst();
    if (!existing) return null;
    await trx
      .updateTable('documents')
      .set({
        fetched_at: doc.fetchedAt,
        updated_at: now,
        ...(doc.etag ? { etag: doc.etag } : {}),
        ...(doc.lastModified ? { last_modified: doc.lastModified } : {}),
      })
      .where('id', '=', existing.id)
      .execute();
    return existing.id;
  }
}
