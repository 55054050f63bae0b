import type { Kysely } from 'kysely';

/**
 * `jobs.intake`: whether every URL of the submission that made the job was read and stored.
 * `open` while a submission is being read and written (a crash leaves it so), `ended` once its body
 * ended and its last batch was stored (its Idempotency-Key is bound only then), `interrupted` when
 * the body was cut or storing failed part-way. Jobs made before this migration are `ended`.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('jobs')
    .addColumn('intake', 'varchar(16)', (c) => c.notNull().defaultTo('ended'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('intake').execute();
}
