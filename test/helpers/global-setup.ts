import pg from 'pg';

/**
 * Drops the PostgreSQL schemas the integration tests create (`t_<run pid>_…`, see backends.ts):
 * before the run, those left by runs whose process is gone; after it, this run's own, when no test
 * is migrating any more. A run still going in another checkout keeps its schemas. Set
 * DISTILL_TEST_KEEP=1 to keep them after the run for inspection.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function dropTestSchemas(which: (runPid: number | undefined) => boolean): Promise<void> {
  const url = process.env.DISTILL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  if (url === 'off') return;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
  } catch {
    return; // no PostgreSQL here: the suites that need it say so themselves
  }
  try {
    const { rows } = await client.query<{ name: string }>(
      `select nspname as name from pg_namespace where nspname like 't\\_%'`,
    );
    for (const { name } of rows) {
      const runPid = /^t_(\d+)_/.exec(name)?.[1];
      if (which(runPid === undefined ? undefined : Number(runPid)))
        await client.query(`drop schema if exists "${name}" cascade`);
    }
  } finally {
    await client.end();
  }
}

export async function setup(): Promise<void> {
  // The forked test workers name their schemas after this process (their parent).
  process.env.DISTILL_TEST_RUN = String(process.pid);
  await dropTestSchemas((runPid) => runPid === undefined || runPid === process.pid || !isAlive(runPid));
}

export async function teardown(): Promise<void> {
  if (process.env.DISTILL_TEST_KEEP !== '1') await dropTestSchemas((runPid) => runPid === process.pid);
}
