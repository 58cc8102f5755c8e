// @ts-expect-error bun:sqlite exists under Bun only (this file is loaded by the Bun entry, never by workerd).
import { Database } from 'bun:sqlite';
import { immediateTransaction, OPEN_PRAGMAS, type SqliteDriver, type SqliteValue } from './driver';

interface BunStatement {
  readonly columnNames: string[];
  values(...params: SqliteValue[]): SqliteValue[][];
  run(...params: SqliteValue[]): { changes: number; lastInsertRowid: number | bigint };
}

/** A SqliteDriver over `bun:sqlite`, on the file at `path` (`:memory:` for a throwaway database). */
export function bunSqlite(path: string): SqliteDriver {
  const db = new Database(path, { create: true, strict: true });
  for (const pragma of OPEN_PRAGMAS) db.exec(pragma);
  const exec = (sql: string) => db.exec(sql);
  return {
    prepare(sql) {
      const statement: BunStatement = db.prepare(sql);
      return {
        columnNames: () => statement.columnNames,
        values: (params) => statement.values(...params),
        run: (params) => statement.run(...params),
      };
    },
    exec,
    transaction: (fn) => immediateTransaction(exec, fn),
    close: () => db.close(),
  };
}
