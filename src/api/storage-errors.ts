/**
 * What kind of storage failure an error is, from the codes the database drivers put on their
 * errors (better-sqlite3, pg, mysql2): the API answers these with `storage_full` or
 * `storage_unavailable` instead of a generic `internal_error`, and `/readyz` names them. The
 * driver codes are matched here, as data, so that the API imports no adapter.
 *
 * - `full`: no space left (SQLite `SQLITE_FULL`, which SQLite also returns for ENOSPC; PostgreSQL
 *   `53100 disk_full`; MySQL `ER_DISK_FULL`, `ER_RECORD_FILE_FULL`).
 * - `read_only`: the database refuses writes (SQLite `SQLITE_READONLY*`; PostgreSQL `25006`, what a
 *   standby in recovery or `default_transaction_read_only` answers; MySQL `--read-only`).
 * - `unavailable`: unreachable, shutting down, locked for longer than the busy timeout, failing
 *   I/O, or damaged.
 */
export type StorageFailure = 'full' | 'read_only' | 'unavailable';

const SQLITE_PREFIXES: ReadonlyArray<[string, StorageFailure]> = [
  ['SQLITE_FULL', 'full'],
  ['SQLITE_READONLY', 'read_only'],
  ['SQLITE_IOERR', 'unavailable'],
  ['SQLITE_CANTOPEN', 'unavailable'],
  ['SQLITE_BUSY', 'unavailable'],
  ['SQLITE_LOCKED', 'unavailable'],
  ['SQLITE_CORRUPT', 'unavailable'],
  ['SQLITE_NOTADB', 'unavailable'],
  ['SQLITE_PROTOCOL', 'unavailable'],
];

/** PostgreSQL SQLSTATEs (classes 08 connection, 53 resources, 57 operator intervention). */
const PG_STATES: Readonly<Record<string, StorageFailure>> = {
  '53100': 'full',
  '25006': 'read_only',
  '53000': 'unavailable',
  '53200': 'unavailable',
  '53300': 'unavailable',
  '57P01': 'unavailable',
  '57P02': 'unavailable',
  '57P03': 'unavailable',
  '08000': 'unavailable',
  '08001': 'unavailable',
  '08003': 'unavailable',
  '08004': 'unavailable',
  '08006': 'unavailable',
};

/** MySQL/MariaDB errnos. */
const MYSQL_ERRNOS: Readonly<Record<number, StorageFailure>> = {
  1021: 'full', // ER_DISK_FULL
  1114: 'full', // ER_RECORD_FILE_FULL
  1290: 'read_only', // ER_OPTION_PREVENTS_STATEMENT (--read-only)
  1792: 'read_only', // ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
  1836: 'read_only', // ER_READ_ONLY_MODE
  1040: 'unavailable', // ER_CON_COUNT_ERROR
  1053: 'unavailable', // ER_SERVER_SHUTDOWN
};

/** Socket errors of a pool that cannot reach its server (pg and mysql2 pass them through). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'PROTOCOL_CONNECTION_LOST',
]);

/** Errors followed through `cause` at most this deep (a wrapped driver error is still recognised). */
const MAX_CAUSE_DEPTH = 5;

function failureOfOne(error: unknown): StorageFailure | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, errno } = error as { code?: unknown; errno?: unknown };
  if (typeof code === 'string') {
    if (code.startsWith('SQLITE_')) return SQLITE_PREFIXES.find(([prefix]) => code.startsWith(prefix))?.[1];
    if (Object.hasOwn(PG_STATES, code)) return PG_STATES[code];
    if (NETWORK_CODES.has(code)) return 'unavailable';
  }
  if (typeof errno === 'number' && Object.hasOwn(MYSQL_ERRNOS, errno)) return MYSQL_ERRNOS[errno];
  return undefined;
}

/** The storage failure `error` (or an error in its `cause` chain) reports, or undefined for any other error. */
export function storageFailureOf(error: unknown): StorageFailure | undefined {
  let current = error;
  for (let depth = 0; depth < MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    const failure = failureOfOne(current);
    if (failure !== undefined) return failure;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A short sentence for `/readyz` and the logs: what is wrong with the database. */
export function describeStorageFailure(failure: StorageFailure | undefined): string {
  switch (failure) {
    case 'full':
      return 'The database has no space left: writes fail';
    case 'read_only':
      return 'The database is read-only: writes fail';
    case 'unavailable':
      return 'The database is not reachable or failing';
    default:
      return 'The database check failed; the server log has the cause';
  }
}
