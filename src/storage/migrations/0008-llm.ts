import type { Kysely } from 'kysely';

/**
 * What a language model gave each item (issue 18): `llm_result` holds the `json` answer, the
 * `summary`, the failed parts (`llm_failed`) and the model, as JSON; the token counts are columns
 * of their own so that a job's sum is one aggregate over its items (no hot counter row). On the
 * item, not the document: the schema and prompt are the job's, and documents are shared by jobs.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('job_items').addColumn('llm_result', 'text').execute();
  await db.schema
    .alterTable('job_items')
    .addColumn('llm_tokens_in', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('job_items')
    .addColumn('llm_tokens_out', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('job_items').dropColumn('llm_tokens_out').execute();
  await db.schema.alterTable('job_items').dropColumn('llm_tokens_in').execute();
  await db.schema.alterTable('job_items').dropColumn('llm_result').execute();
}
