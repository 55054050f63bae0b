/**
 * `distill serve` on a SQLite file whose storage fails under it: a full disk (a real one: a small
 * tmpfs filled to the last block) and a database that refuses writes. Each must give clear
 * problem+json answers (never `internal_error`), make `/readyz` 503 naming the database, keep the
 * process serving, and once the storage is back the process recovers by itself and the file passes
 * `PRAGMA integrity_check` with every accepted URL in it.
 *
 * Why a tmpfs filled to ENOSPC rather than SQLite's `max_page_count`: it is the failure an operator
 * meets (the disk, WAL and shared-memory files included), and it shows the WAL's subtlety that the
 * free-space check of `/readyz` exists for. Why SQLite's `query_only` for the read-only database of
 * a running process: Linux refuses `mount -o remount,ro` while a file on the mount is open for
 * writing (EBUSY), and SQLite keeps its file open for the life of the process, so no filesystem can
 * be made read-only under it short of the kernel's own emergency remount after I/O errors; that
 * one is tested below too (an ext4 image on a loop device, its error trigger), and needs a restart
 * to recover, as in production.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app/index.js';
import { gatedTask } from '../helpers/app-server.js';
import { eventually, startRole } from '../helpers/cluster.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Runs a system command; a failure names the command, since these tests need root (CI runs as root). */
function run(command: string, args: readonly string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `\`${command} ${args.join(' ')}\` failed (these tests need root and mount rights): ${stderr.trim() || String(error)}`,
    );
  }
}

/** A fresh folder with a tmpfs of `sizeMb` MiB mounted on it; unmounted and removed after the test. */
function tmpfs(sizeMb: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'distill-chaos-fs-'));
  run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir]);
  cleanups.push(() => {
    run('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Writes `path` until the filesystem has not one block left (ENOSPC). */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const chunk of [Buffer.alloc(1024 * 1024), Buffer.alloc(4096), Buffer.alloc(512)]) {
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw error;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

interface Readiness {
  status: string;
  checks: Record<string, { ok: boolean; message?: string }>;
}

async function readiness(app: App): Promise<{ status: number; body: Readiness }> {
  const response = await fetch(`${app.url}/readyz`);
  return { status: response.status, body: (await response.json()) as Readiness };
}

async function submit(
  app: App,
  urls: readonly string[],
): Promise<{ status: number; contentType: string; body: Record<string, unknown> }> {
  const response = await fetch(`${app.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ urls, options: { maxAge: 0 } }),
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Submits `urls`, expects 202, and waits until the job completed; returns its id. */
async function submitAndFinish(app: App, urls: readonly string[]): Promise<string> {
  const submitted = await submit(app, urls);
  expect(submitted.status).toBe(202);
  const jobId = (submitted.body.job as { id: string }).id;
  await eventually(
    async () => (await app.repository.getJob(jobId))?.status === 'completed',
    30_000,
    `job ${jobId} to complete`,
  );
  return jobId;
}

function urlsOf(tag: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `https://example.com/${tag}/${i}`);
}

/**
 * Opens the file after the process stopped: `PRAGMA integrity_check` passes, and every URL of the
 * given jobs is there, succeeded, with its document.
 */
function expectIntactFile(file: string, jobs: ReadonlyArray<{ id: string; urls: readonly string[] }>): void {
  const db = new SQLite(file, { readonly: true });
  try {
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    for (const job of jobs) {
      const rows = db
        .prepare(
          `select i.url, i.state, d.id as document from job_items i left join documents d on d.id = i.document_id where i.job_id = ?`,
        )
        .all(job.id) as Array<{ url: string; state: string; document: string | null }>;
      expect(new Set(rows.map((r) => r.url))).toEqual(new Set(job.urls));
      expect(rows.filter((r) => r.state !== 'succeeded' || r.document === null)).toEqual([]);
    }
  } finally {
    db.close();
  }
}

/** Submits `urls` while the storage fails: a problem+json answer with `status` and `problem` in it. */
async function expectRefused(
  app: App,
  urls: readonly string[],
  status: number,
  problem: Record<string, unknown>,
): Promise<void> {
  const refused = await submit(app, urls);
  expect(refused.status).toBe(status);
  expect(refused.contentType).toMatch(/^application\/problem\+json/);
  expect(refused.body).toMatchObject(problem);
}

/**
 * Once the storage is back: a new job of `later` runs to the end, the process stops, and the file
 * is whole with both the job from before the failure and the new one in it.
 */
async function expectRecovered(
  app: App,
  file: string,
  before: { id: string; urls: readonly string[] },
  later: readonly string[],
): Promise<void> {
  const second = await submitAndFinish(app, later);
  await app.stop();
  expectIntactFile(file, [before, { id: second, urls: later }]);
}

const env = (file: string): Record<string, string> => ({
  DISTILL_DATABASE_URL: `sqlite:${file}`,
  DISTILL_CONCURRENCY: '8',
  DISTILL_EVENT_POLL_MS: '50',
  // The tiny test disks are far below the 64 MiB default.
  DISTILL_MIN_FREE_DISK_MB: '1',
});

describe('chaos: the SQLite file of `distill serve` runs out of space or refuses writes', () => {
  it('full disk: storage_full answers, /readyz 503 naming the database, reads still served; recovers once space is freed, file intact', async () => {
    const dir = tmpfs(16);
    const file = join(dir, 'distill.db');
    const app = await startRole('serve', env(file), { task: gatedTask() });
    cleanups.push(() => app.stop());
    const accepted = urlsOf('before-full', 100);
    const first = await submitAndFinish(app, accepted);
    expect((await readiness(app)).status).toBe(200);

    const filler = join(dir, 'filler');
    fillDisk(filler);

    const notReady = await readiness(app);
    expect(notReady.status).toBe(503);
    expect(notReady.body.status).toBe('not_ready');
    expect(notReady.body.checks.database?.ok).toBe(false);
    expect(notReady.body.checks.database?.message).toMatch(/no space left|KiB free/);
    // A full disk still takes writes into the room the WAL file already has (how much depends on
    // when a checkpoint last ran). 5,000 URLs of 4 KB each are more than the whole 16 MiB disk:
    // the write fails with SQLITE_FULL however much room that is.
    await expectRefused(
      app,
      urlsOf('while-full', 5000).map((url) => `${url}/${'a'.repeat(4000)}`),
      507,
      { code: 'storage_full', status: 507, title: 'Storage full' },
    );
    // The process keeps serving what it has.
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    const job = await fetch(`${app.url}/v1/jobs/${first}`);
    expect(job.status).toBe(200);
    expect(((await job.json()) as { counts: { succeeded: number } }).counts.succeeded).toBe(100);

    rmSync(filler);
    await eventually(
      async () => (await readiness(app)).status === 200,
      15_000,
      '/readyz to be ready once space is freed',
    );
    await expectRecovered(app, file, { id: first, urls: accepted }, urlsOf('after-full', 50));
  }, 60_000);

  it('read-only database (a running process): storage_unavailable answers, /readyz 503 naming it, reads still served; recovers when writes are allowed again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-chaos-ro-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'distill.db');
    const app = await startRole('serve', env(file), { task: gatedTask() });
    cleanups.push(() => app.stop());
    const accepted = urlsOf('before-ro', 60);
    const first = await submitAndFinish(app, accepted);

    // SQLite's own switch: every write of this connection now fails with SQLITE_READONLY, as on a
    // file opened read-only.
    await sql`pragma query_only = 1`.execute(app.database.db);
    const notReady = await readiness(app);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.database).toEqual({
      ok: false,
      message: 'The database is read-only: writes fail',
    });
    await expectRefused(app, urlsOf('while-ro', 10), 503, { code: 'storage_unavailable', status: 503 });
    expect((await fetch(`${app.url}/v1/jobs/${first}`)).status).toBe(200);

    await sql`pragma query_only = 0`.execute(app.database.db);
    await eventually(async () => (await readiness(app)).status === 200, 10_000, '/readyz to be ready again');
    await expectRecovered(app, file, { id: first, urls: accepted }, urlsOf('after-ro', 30));
  });

  it('filesystem made read-only by the kernel under a running server (ext4 errors=remount-ro): storage_unavailable, /readyz 503, reads served; after fsck and a restart nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'distill-chaos-ext4-'));
    const image = join(dir, 'disk.img');
    const mountPoint = join(dir, 'mnt');
    mkdirSync(mountPoint);
    closeSync(openSync(image, 'w'));
    truncateSync(image, 32 * 1024 * 1024);
    run('mkfs.ext4', ['-q', '-F', image]);
    const mount = (): void => void run('mount', ['-o', 'loop,errors=remount-ro', image, mountPoint]);
    mount();
    cleanups.push(() => {
      // Unmounting a loop mount frees its loop device too.
      spawnSync('umount', [mountPoint]);
      rmSync(dir, { recursive: true, force: true });
    });
    const device = basename(run('findmnt', ['-n', '-o', 'SOURCE', mountPoint]).trim());
    const file = join(mountPoint, 'distill.db');
    let app = await startRole('serve', env(file), { task: gatedTask() });
    const accepted = urlsOf('before-fs-error', 60);
    const first = await submitAndFinish(app, accepted);
    // What was accepted is on the disk (synchronous=NORMAL leaves the last commits to the OS).
    run('sync', []);

    // An ext4 error (as after a failing disk): the kernel remounts the filesystem read-only at
    // once, open files included; every write SQLite makes now fails with an I/O error.
    writeFileSync(`/sys/fs/ext4/${device}/trigger_fs_error`, '1');
    const notReady = await readiness(app);
    expect(notReady.status).toBe(503);
    expect(notReady.body.checks.database).toEqual({
      ok: false,
      message: 'The database is not reachable or failing',
    });
    await expectRefused(app, urlsOf('while-fs-error', 10), 503, { code: 'storage_unavailable', status: 503 });
    expect((await fetch(`${app.url}/v1/jobs/${first}`)).status).toBe(200);
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);

    // Recovery is what an operator does: stop, repair the filesystem, mount it, start again.
    // Stopping reports the writes it could not make (releasing leases); it must still close the file.
    await app.stop().catch(() => undefined);
    run('umount', [mountPoint]);
    const fsck = spawnSync('e2fsck', ['-f', '-y', image], { encoding: 'utf8' });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBeLessThanOrEqual(1); // 0: clean, 1: errors corrected
    mount();
    app = await startRole('serve', env(file), { task: gatedTask() });
    cleanups.push(() => app.stop());
    await eventually(
      async () => (await readiness(app)).status === 200,
      10_000,
      '/readyz to be ready after the restart',
    );
    await expectRecovered(app, file, { id: first, urls: accepted }, urlsOf('after-fs-error', 30));
  }, 60_000);
});
