import { sql, type RawBuilder } from 'kysely';
import type { Page } from '../jobs/index.js';

/** A pagination cursor that this server did not hand out. */
export class InvalidCursorError extends TypeError {
  readonly code = 'invalid_cursor';
  constructor(cursor: string) {
    super(`The cursor ${JSON.stringify(cursor.slice(0, 40))} is not one this server handed out`);
  }
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** The position a cursor names, checked by `check`; undefined for no cursor (the first page). */
export function decodeCursor<T>(cursor: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError(cursor);
  }
  if (!check(value)) throw new InvalidCursorError(cursor);
  return value;
}

/**
 * A page from rows fetched with `limit + 1`: the extra row only says that there is a next page,
 * whose cursor is the last returned row's position.
 */
export function toPage<R, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
  positionOf: (row: R) => unknown,
): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(map),
    nextCursor: rows.length > limit && last !== undefined ? encodeCursor(positionOf(last)) : null,
  };
}

/** Keyset condition for tables listed newest first by (created_at, id): rows after the cursor's. */
export function olderThan([createdAt, id]: [number, string]): RawBuilder<boolean> {
  return sql<boolean>`(created_at < ${createdAt} or (created_at = ${createdAt} and id < ${id}))`;
}

/** A cursor that is a sequence number (items, deliveries). */
export const isSeqCursor = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** A cursor that is a (created_at, id) position (jobs, schedules). */
export const isNewestFirstCursor = (v: unknown): v is [number, string] =>
  Array.isArray(v) && v.length === 2 && isSeqCursor(v[0]) && typeof v[1] === 'string';
