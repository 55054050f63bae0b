import { CompiledQuery, type Insertable } from 'kysely';
import type { Database } from '../schema.js';
import { CHUNK, type StoreContext } from './store-context.js';

/** Bound parameters one statement may hold: SQLite's limit (32,766) is the lowest of the three engines'. */
const MAX_PARAMETERS = 32_766;
/** SQL texts kept; each is one (engine, table, columns, row count), and row counts are few (see `statementSizes`). */
const MAX_TEMPLATES = 128;

/** The SQL of a multi-row INSERT, by engine, table, columns and row count. */
const templates = new Map<string, string>();

/**
 * Inserts `rows` into `table` with multi-row INSERTs whose SQL is compiled once per shape and then
 * reused with new parameters. Kysely builds and compiles a statement of a 500-row `values()` anew on
 * every call, a few milliseconds of CPU per 8,000 values: most of what a large submission's inserts
 * cost outside the database. Reusing the same SQL text also makes SQLite's statement cache (see
 * `withStatementCache`) keep the prepared statements: the row counts are the full chunk and powers
 * of two below it, so a batch of any size uses at most ten distinct statements per table, where one
 * statement per remainder size would fill the cache with single-use texts and evict the hot ones.
 *
 * Every row must have the same columns as the first (no `undefined`): a value missing from one row
 * would otherwise go in as NULL where Kysely would have written the column's DEFAULT.
 */
export async function insertRows<T extends keyof Database>(
  context: StoreContext,
  table: T,
  rows: ReadonlyArray<Insertable<Database[T]>>,
): Promise<void> {
  const first = rows[0];
  if (first === undefined) return;
  const columns = Object.keys(first);
  let offset = 0;
  for (const count of statementSizes(rows.length, columns.length)) {
    const parameters: unknown[] = new Array<unknown>(count * columns.length);
    let p = 0;
    for (let r = offset; r < offset + count; r++) {
      const row = rows[r] as Record<string, unknown>;
      for (const column of columns) {
        const value = row[column];
        if (value === undefined)
          throw new TypeError(`Expected every row of \`${table}\` to set \`${column}\`, row ${r} does not`);
        parameters[p++] = value;
      }
    }
    offset += count;
    await context.db.executeQuery(CompiledQuery.raw(template(context, table, columns, count), parameters));
  }
}

/**
 * The row counts of the statements that insert `total` rows: as many full statements as fit (at most
 * `CHUNK` rows, and within `MAX_PARAMETERS`), then the remainder as descending powers of two.
 */
export function statementSizes(total: number, columnCount: number): number[] {
  const full = Math.max(1, Math.min(CHUNK, Math.floor(MAX_PARAMETERS / Math.max(1, columnCount))));
  const sizes: number[] = [];
  let left = total;
  for (; left >= full; left -= full) sizes.push(full);
  for (let size = 2 ** Math.floor(Math.log2(Math.max(1, left))); left > 0; size /= 2) {
    if (left >= size) {
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** The SQL of an INSERT of `count` rows of `columns`, compiled by Kysely once for this engine. */
function template(
  context: StoreContext,
  table: keyof Database,
  columns: readonly string[],
  count: number,
): string {
  const key = `${context.dialect.name}\u0000${table}\u0000${columns.join(',')}\u0000${count}`;
  const cached = templates.get(key);
  if (cached !== undefined) return cached;
  const placeholder = Object.fromEntries(columns.map((column) => [column, null]));
  const compiled = context.db
    .insertInto(table)
    .values(Array.from({ length: count }, () => placeholder))
    .compile();
  // Every value must have become one parameter, in row order: the parameters above are laid out so.
  if (compiled.parameters.length !== count * columns.length) {
    throw new Error(
      `Compiling a ${count}-row insert into ${table} gave ${compiled.parameters.length} parameters, expected ${count * columns.length}`,
    );
  }
  if (templates.size >= MAX_TEMPLATES) templates.clear();
  templates.set(key, compiled.sql);
  return compiled.sql;
}
