import { once } from 'node:events';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

/** SQLite's own default: the committing connection checkpoints once the WAL passes 1,000 pages. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

/** Options of {@link startCheckpointer}. */
export interface CheckpointerOptions {
  /** How often the thread runs a passive checkpoint, in milliseconds. @default 500 */
  intervalMs?: number;
  /** Told when the thread failed; SQLite's own checkpoints are back on by then. @default ignore */
  onError?: ((error: Error) => void) | undefined;
}

/** A running checkpoint thread. */
export interface Checkpointer {
  /** The thread, for tests and diagnostics. */
  readonly thread: Worker;
  /** True while the thread checkpoints (false once stopped, or once it failed and SQLite does it again). */
  readonly isRunning: boolean;
  /** Stops the thread and closes its connection; SQLite's own checkpoints are back on afterwards. */
  stop(): Promise<void>;
}

/*
 * The thread's code, run with `eval` rather than from a file of its own: it is a few lines of plain
 * JavaScript, and this way it runs the same from the TypeScript sources (tests) and from dist/.
 * better-sqlite3 comes by absolute path, resolved in the main thread, so the working directory does
 * not matter. A passive checkpoint never waits for a lock, so the thread never holds up a writer.
 */
const THREAD_CODE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.betterSqlite3);
const connection = new Database(workerData.file, { timeout: 1000 });
const timer = setInterval(() => {
  try {
    connection.pragma('wal_checkpoint(PASSIVE)');
  } catch (error) {
    // SQLITE_BUSY and the like only delay this checkpoint; the next interval tries again.
    if (error && error.code !== 'SQLITE_BUSY' && error.code !== 'SQLITE_LOCKED') throw error;
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  connection.close();
  parentPort.close();
});
`;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default the connection that commits past
 * 1,000 WAL pages copies them into the database file and syncs it, inside that commit: tens of
 * milliseconds during which the event loop of `distill serve` answers nothing. Here the event
 * loop's connection never checkpoints, and a thread with a connection of its own runs a passive
 * checkpoint every `intervalMs`. Measured with `npm run bench -- polling`, three runs each,
 * interleaved: 1,045–1,228 status requests/s at a p99 of 40–45 ms, against 955–1,046 at 46–54 ms
 * with SQLite's own checkpoints. End-to-end throughput is the same either way.
 *
 * If the thread fails, the connection gets SQLite's own checkpoints back, so the WAL never grows
 * without bound; `onError` says so.
 */
export function startCheckpointer(
  connection: SQLite.Database,
  file: string,
  options: CheckpointerOptions = {},
): Checkpointer {
  const { intervalMs = 500, onError = () => undefined } = options;
  const thread = new Worker(THREAD_CODE, {
    eval: true,
    workerData: { betterSqlite3: createRequire(import.meta.url).resolve('better-sqlite3'), file, intervalMs },
  });
  // The thread must not keep alive a process that has nothing else to do.
  thread.unref();
  connection.pragma('wal_autocheckpoint = 0');
  let isRunning = true;
  let isStopping = false;
  const handBack = (): void => {
    if (!isRunning) return;
    isRunning = false;
    // The connection may already be closed when the process is going down.
    if (connection.open) connection.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
  };
  thread.on('error', (error) => {
    handBack();
    if (!isStopping) onError(error);
  });
  thread.on('exit', (code) => {
    const wasRunning = isRunning;
    handBack();
    if (!isStopping && wasRunning) onError(new Error(`The SQLite checkpoint thread exited (code ${code})`));
  });
  let stopping: Promise<void> | undefined;
  return {
    thread,
    get isRunning() {
      return isRunning;
    },
    stop: () =>
      (stopping ??= (async () => {
        isStopping = true;
        if (thread.threadId === -1) return handBack(); // already gone
        const exited = once(thread, 'exit').then(
          () => undefined,
          () => undefined,
        );
        thread.postMessage('stop');
        // A checkpoint in progress finishes first; a thread that does not end in 5 s is ended.
        const timer = setTimeout(() => void thread.terminate(), 5000);
        await exited;
        clearTimeout(timer);
        handBack();
      })()),
  };
}
