import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from './database.js';
import { startCheckpointer } from './sqlite-checkpointer.js';

const MiB = 1024 * 1024;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `megabytes` MiB in 1 MiB transactions, pausing between them as a busy server would. */
function writeMegabytes(connection: SQLite.Database, megabytes: number): Promise<void> {
  connection.exec('CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, body BLOB)');
  const insert = connection.prepare('INSERT INTO blobs (body) VALUES (?)');
  return (async () => {
    for (let i = 0; i < megabytes; i++) {
      insert.run(Buffer.alloc(MiB, i));
      await sleep(40);
    }
  })();
}

const walSize = (file: string): number => (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);

describe('WAL checkpoints on a thread of their own', () => {
  let dir: string;
  const cleanups: Array<() => unknown> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  function connectionTo(name: string): { connection: SQLite.Database; file: string } {
    dir = mkdtempSync(join(tmpdir(), 'distill-checkpoint-'));
    const file = join(dir, name);
    const connection = new SQLite(file);
    connection.pragma('journal_mode = WAL');
    cleanups.push(() => connection.close());
    return { connection, file };
  }

  it('keeps the WAL small while the writing connection never checkpoints', async () => {
    const { connection, file } = connectionTo('busy.db');
    const checkpointer = startCheckpointer(connection, file, { intervalMs: 20 });
    cleanups.push(() => checkpointer.stop());
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    // The WAL file keeps its high-water mark after a reset: let the thread start (slow on a busy
    // machine) before writing, else the first megabytes pile up before its first checkpoint.
    await once(checkpointer.thread, 'online');

    await writeMegabytes(connection, 24);
    // Without the thread the WAL would hold all 24 MiB; with it, the WAL is reset behind the writes.
    expect(walSize(file)).toBeLessThan(8 * MiB);
    expect(checkpointer.isRunning).toBe(true);
    expect(connection.prepare('SELECT count(*) AS n FROM blobs').get()).toEqual({ n: 24 });
  });

  it('gives the connection SQLite’s own checkpoints back, and says so, when the thread dies', async () => {
    const { connection, file } = connectionTo('orphan.db');
    const errors: Error[] = [];
    const checkpointer = startCheckpointer(connection, file, {
      intervalMs: 20,
      onError: (error) => errors.push(error),
    });
    cleanups.push(() => checkpointer.stop());
    await checkpointer.thread.terminate();

    expect(checkpointer.isRunning).toBe(false);
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('checkpoint thread exited')]);
    // SQLite checkpoints in the commits again: the WAL does not keep every page written.
    await writeMegabytes(connection, 12);
    expect(walSize(file)).toBeLessThan(8 * MiB);
  });

  it('stops when asked, without reporting an error, and gives the checkpoints back', async () => {
    const { connection, file } = connectionTo('stopped.db');
    const errors: Error[] = [];
    const checkpointer = startCheckpointer(connection, file, {
      intervalMs: 20,
      onError: (error) => errors.push(error),
    });
    await checkpointer.stop();
    await checkpointer.stop(); // a second stop is a no-op
    expect(checkpointer.isRunning).toBe(false);
    expect(checkpointer.thread.threadId).toBe(-1);
    expect(connection.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(errors).toEqual([]);
  });
});

describe('openDatabase with checkpointInThread', () => {
  let dir: string;
  let handle: DatabaseHandle | undefined;

  afterEach(async () => {
    await handle?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('closes the thread’s connection before its own, so the file is left whole, without a WAL', async () => {
    dir = mkdtempSync(join(tmpdir(), 'distill-checkpoint-open-'));
    const file = join(dir, 'distill.db');
    handle = openDatabase(`sqlite:${file}`, { checkpointInThread: true });
    await sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`.execute(handle.db);
    for (let i = 0; i < 50; i++)
      await sql`INSERT INTO notes (body) VALUES (${'x'.repeat(10_000)})`.execute(handle.db);
    expect(existsSync(`${file}-wal`)).toBe(true);
    await handle.close();
    handle = undefined;
    // The last connection to close checkpoints everything and deletes the WAL; a thread still
    // holding the file open would leave it behind.
    expect(existsSync(`${file}-wal`)).toBe(false);
    const reopened = new SQLite(file, { readonly: true });
    expect(reopened.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 50 });
    expect(reopened.pragma('integrity_check', { simple: true })).toBe('ok');
    reopened.close();
  });
});
