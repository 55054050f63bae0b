import pg from 'pg';

/**
 * Drops the PostgreSQL schemas the integration tests create (`t_…`, see backends.ts): before the
 * run (leftovers of an earlier one) and after it, when no test is migrating any more. Set
 * DISTILL_TEST_KEEP=1 to keep them after the run for inspection.
 */
async function dropTestSchemas(): Promise<void> {
  const url = process.env.DISTILL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (url === 'off') return;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return; // no PostgreSQL here: the suites that need it say so themselves
  }
  try {
    const { rows } = await client.query<{ name: string }>(`select nspname as name from pg_namespace where nspname like 't\\_%'`);
    for (const { name } of rows) await client.query(`drop schema if exists "${name}" cascade`);
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<void> {
  await dropTestSchemas();
}

export async function teardown(): Promise<void> {
  if (process.env.DISTILL_TEST_KEEP !== '1') await dropTestSchemas();
}
