// The orphan-document purge of `KyselyDocumentStore` (document-store.ts), run by retention: documents
// no item refers to, with their versions and screenshots.
import type { ExpressionBuilder } from 'kysely';
import type { Database } from '../schema.js';
import { inTransaction, type StoreContext } from './store-context.js';

/**
 * Deletes up to `limit` documents that no item refers to and that were last stored before
 * `updatedBefore`, with their versions and screenshots, in one short transaction. The reference
 * check is repeated in the DELETE itself, so an item that took the document meanwhile keeps it.
 */
export async function deleteOrphanDocuments(
  context: StoreContext,
  updatedBefore: number,
  limit: number,
): Promise<number> {
  const notReferenced = (eb: ExpressionBuilder<Database, 'documents'>) =>
    eb.not(
      eb.exists(
        eb
          .selectFrom('job_items')
          .select('job_items.seq')
          .whereRef('job_items.document_id', '=', 'documents.id'),
      ),
    );
  const candidates = await context.db
    .selectFrom('documents')
    .select(['id', 'url_key'])
    .where('updated_at', '<', updatedBefore)
    .where(notReferenced)
    .orderBy('updated_at')
    .limit(limit)
    .execute();
  if (candidates.length === 0) return 0;
  return inTransaction(context, async ({ db: trx }) => {
    const ids = candidates.map((c) => c.id);
    const result = await trx
      .deleteFrom('documents')
      .where('id', 'in', ids)
      .where('updated_at', '<', updatedBefore)
      .where(notReferenced)
      .executeTakeFirst();
    const remaining = new Set(
      (await trx.selectFrom('documents').select('id').where('id', 'in', ids).execute()).map((r) => r.id),
    );
    const gone = candidates.filter((c) => !remaining.has(c.id));
    if (gone.length > 0) {
      await trx
        .deleteFrom('document_versions')
        .where(
          'document_id',
          'in',
          gone.map((c) => c.id),
        )
        .execute();
      await trx
        .deleteFrom('screenshots')
        .where(
          'url_key',
          'in',
          gone.map((c) => c.url_key),
        )
        .execute();
    }
    return Number(result.numDeletedRows);
  });
}
