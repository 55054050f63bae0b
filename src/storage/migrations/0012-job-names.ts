import { sql, type Kysely } from 'kysely';

/**
 * Job names (issue 22). `jobs.name`: the name given at submission, or null; `jobs.first_url`: the
 * job's first URL, from which a job without a name is called ("example.com +41"), and which the
 * jobs list's search matches. Jobs made before this migration get their first remaining item's URL.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').addColumn('name', 'varchar(200)').execute();
  await db.schema.alterTable('jobs').addColumn('first_url', 'text').execute();
  // One correlated statement over the jobs (the items' primary key finds each job's first item).
  await sql`update jobs set first_url = (select i.url from job_items i where i.job_id = jobs.id order by i.seq limit 1)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('jobs').dropColumn('first_url').execute();
  await db.schema.alterTable('jobs').dropColumn('name').execute();
}
