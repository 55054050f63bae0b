import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DistillApiError, DistillClient } from '../../src/client/index.js';
import { freePort } from '../helpers/net.js';
import { createTestStore, seedJob, waitFor } from '../helpers/store.js';
import { runDistill, type Run } from './fixtures/run-distill.js';

describe('distill keys: API keys made on the command line guard a running server', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let serverLog = '';
  let env: Record<string, string>;

  /** Runs the distill CLI against this test's database. */
  const distill = (args: string[], extra: Record<string, string> = {}): Promise<Run> =>
    runDistill(args, { ...env, ...extra });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'distill-keys-'));
    const port = await freePort();
    env = {
      PORT: String(port),
      DISTILL_DATABASE_URL: `sqlite:${join(dir, 'distill.db')}`,
      DISTILL_SERVER: `http://127.0.0.1:${port}`,
      DISTILL_EXTRACT_THREADS: '1',
    };
  });

  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists and revokes keys; the server asks for one once one exists and says so at start-up', async () => {
    const refused = await distill(['keys', 'create']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--tenant');

    const created = await distill(['keys', 'create', '--tenant', 'acme', '--name', 'nightly import']);
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^dsk_[\w-]{43}$/);
    expect(created.stderr).toContain('shown once');

    const listed = await distill(['keys', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('acme');
    expect(listed.stdout).toContain('nightly import');
    expect(listed.stdout).toContain(secret.slice(0, 12));
    expect(listed.stdout).not.toContain(secret);

    server = spawn(process.execPath, ['--import', 'tsx', 'test/e2e/fixtures/distill.ts', 'serve'], {
      env: { ...process.env, ...env, DISTILL_LOG_LEVEL: 'info', DISTILL_LOG_FORMAT: 'json' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    server.stderr!.on('data', (d: Buffer) => (serverLog += d.toString()));
    const anonymous = new DistillClient({ baseUrl: env.DISTILL_SERVER! });
    await waitFor(
      async () =>
        anonymous.health().then(
          () => true,
          () => false,
        ),
      30_000,
      'the server to answer',
    );
    await waitFor(
      () => Promise.resolve(serverLog.includes('API auth is on')),
      10_000,
      'the start-up line about auth',
    );

    const error = await anonymous.listJobs().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DistillApiError);
    expect((error as DistillApiError).status).toBe(401);
    expect((error as DistillApiError).code).toBe('unauthorized');

    const client = new DistillClient({ baseUrl: env.DISTILL_SERVER!, apiKey: secret });
    expect((await client.listJobs()).items).toEqual([]);
    // `distill jobs` sends DISTILL_API_KEY.
    const viaCli = await distill(['jobs', 'list'], { DISTILL_API_KEY: secret });
    expect(viaCli.code).toBe(0);
    const withoutKey = await distill(['jobs', 'list']);
    expect(withoutKey.code).not.toBe(0);
    expect(withoutKey.stderr).toContain('API key');

    const revoked = await distill(['keys', 'revoke', secret.slice(0, 12)]);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain('revoked');
    // The server's verification cache holds an answer for at most 5 s.
    await waitFor(
      async () =>
        client.listJobs().then(
          () => false,
          (e: unknown) => (e as DistillApiError).status === 401,
        ),
      15_000,
      'the revoked key to be refused',
    );
    expect((await distill(['keys', 'revoke', 'dsk_nothing'])).code).toBe(1);
  }, 120_000);

  it('warns when the first key is of another tenant than the jobs already in the database', async () => {
    const store = await createTestStore();
    try {
      await seedJob(store.repository, 2);
      const database = { DISTILL_DATABASE_URL: `sqlite:${store.path}` };
      await store.handle.close();
      const first = await runDistill(['keys', 'create', '--tenant', 'acme'], database);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('does not see');
      expect(first.stderr).toContain('distill keys create --tenant default');
      // Said once, when the first key turns auth on; and never for the default tenant itself.
      const second = await runDistill(['keys', 'create', '--tenant', 'beta'], database);
      expect(second.stderr).not.toContain('does not see');
    } finally {
      await store.close().catch(() => undefined);
    }
  });
});
