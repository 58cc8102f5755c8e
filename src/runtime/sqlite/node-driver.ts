// @ts-expect-error node:sqlite is in Deno 2 and Node 22.5+, not in the Node 20 types this project builds with.
import { DatabaseSync } from 'node:sqlite';
import { immediateTransaction, OPEN_PRAGMAS, type SqliteDriver, type SqliteValue } from './driver';

interface NodeStatement {
  columns(): { name: string }[];
  setReturnArrays(enabled: boolean): void;
  setReadBigInts(enabled: boolean): void;
  all(...params: SqliteValue[]): SqliteValue[][];
  run(...params: SqliteValue[]): { changes: number | bigint; lastInsertRowid: number | bigint };
}

/** A SqliteDriver over `node:sqlite` (Deno 2, Node 22.5+), on the file at `path` (`:memory:` for a throwaway one). */
export function nodeSqlite(path: string): SqliteDriver {
  const db = new DatabaseSync(path);
  for (const pragma of OPEN_PRAGMAS) db.exec(pragma);
  const exec = (sql: string) => db.exec(sql);
  return {
    prepare(sql) {
      const statement: NodeStatement = db.prepare(sql);
      statement.setReturnArrays(true);
      // Integers beyond 2^53 read as bigint (node:sqlite refuses them as numbers); the adapter answers
      // them as numbers, as lossy as D1's.
      statement.setReadBigInts(true);
      return {
        columnNames: () => statement.columns().map((column) => column.name),
        values: (params) => statement.all(...params),
        run: (params) => statement.run(...params),
      };
    },
    exec,
    transaction: (fn) => immediateTransaction(exec, fn),
    close: () => db.close(),
  };
}
