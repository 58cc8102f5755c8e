/**
 * The little a D1-compatible adapter needs from a synchronous SQLite binding (`bun:sqlite`,
 * `node:sqlite`). Each runtime's driver implements it in a few lines; everything D1-shaped (value
 * rules, result shapes, errors, batches) lives once in ./d1.ts.
 */

/** A value SQLite stores: INTEGER and REAL as number (or bigint), TEXT, BLOB as bytes, NULL. */
export type SqliteValue = null | number | bigint | string | Uint8Array;

export interface SqliteStatement {
  /** The names of the columns the statement answers, in order (empty for a statement without rows). */
  columnNames(): string[];
  /** Runs the statement and answers its rows as arrays in column order (duplicate names kept apart). */
  values(params: SqliteValue[]): SqliteValue[][];
  /** Runs a statement that answers no rows. */
  run(params: SqliteValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
}

export interface SqliteDriver {
  prepare(sql: string): SqliteStatement;
  /** Runs one or more statements without parameters. */
  exec(sql: string): void;
  /** Runs `fn` in one write transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(fn: () => T): T;
  close(): void;
}

/** The pragmas every driver applies when it opens a file: D1's foreign keys, WAL and a busy timeout. */
export const OPEN_PRAGMAS = ['PRAGMA journal_mode = WAL', 'PRAGMA busy_timeout = 5000', 'PRAGMA foreign_keys = ON'];

/** A transaction around `fn` with plain statements, for bindings without a transaction helper. */
export function immediateTransaction<T>(exec: (sql: string) => void, fn: () => T): T {
  exec('BEGIN IMMEDIATE');
  try {
    const result = fn();
    exec('COMMIT');
    return result;
  } catch (err) {
    exec('ROLLBACK');
    throw err;
  }
}
