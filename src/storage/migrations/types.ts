import {
  MysqlAdapter,
  PostgresAdapter,
  sql,
  type ColumnDataType,
  type ColumnDefinitionBuilder,
  type Expression,
  type Kysely,
} from 'kysely';

/** Column types that differ between engines, chosen once per migration run. */
export interface MigrationTypes {
  /** Unbounded text: `longtext` on MySQL (its `text` holds only 64 KiB), `text` elsewhere. */
  longText: ColumnDataType | Expression<unknown>;
  /**
   * A short case-sensitive ASCII key (URL hashes are base64url: `a` and `A` differ). MySQL compares
   * strings by the column's collation, case-insensitively by default, so it gets `ascii_bin`.
   */
  key: (length: number) => ColumnDataType | Expression<unknown>;
  /** Type of an auto-increment 64-bit key. */
  autoIdType: ColumnDataType | Expression<unknown>;
  /** Adds the auto-increment primary key modifiers for this engine. */
  autoId(column: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

/** Picks the column types for the engine behind `db`. */
export function dialectOf(db: Kysely<unknown>): MigrationTypes {
  const adapter = db.getExecutor().adapter;
  if (adapter instanceof MysqlAdapter) {
    return {
      longText: sql`longtext`,
      key: (length) => sql.raw(`varchar(${length}) character set ascii collate ascii_bin`),
      autoIdType: 'bigint',
      autoId: (c) => c.primaryKey().autoIncrement(),
    };
  }
  if (adapter instanceof PostgresAdapter) {
    return {
      longText: 'text',
      key: (length) => `varchar(${length})`,
      autoIdType: sql`bigserial`,
      autoId: (c) => c.primaryKey(),
    };
  }
  // SQLite: INTEGER PRIMARY KEY is the rowid; AUTOINCREMENT keeps ids from ever being reused.
  return {
    longText: 'text',
    key: (length) => `varchar(${length})`,
    autoIdType: 'integer',
    autoId: (c) => c.primaryKey().autoIncrement(),
  };
}
