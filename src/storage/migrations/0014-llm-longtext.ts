import { MysqlAdapter, sql, type Kysely } from 'kysely';

/**
 * `job_items.llm_result` (0008) was made `text`, which MySQL stops at 64 KiB: a `json` answer
 * larger than that (a list of products read from a long page) failed to store on MySQL and the
 * item with it. MySQL gets `longtext`, as every other unbounded text column has; SQLite and
 * PostgreSQL `text` is unbounded already, so nothing changes there.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof MysqlAdapter)) return;
  await sql`alter table job_items modify llm_result longtext null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof MysqlAdapter)) return;
  await sql`alter table job_items modify llm_result text null`.execute(db);
}
