import type { SqliteDriver, SqliteStatement, SqliteValue } from './driver';

/**
 * Cloudflare's D1 API over a synchronous SQLite driver (./bun-driver.ts, ./node-driver.ts), so that
 * drizzle's D1 driver, the DB port's meter (src/db/metered.ts), raw batches (src/db/sql.ts) and every
 * query of the app run unchanged on Bun and Deno. It follows what workerd's D1 answers, checked by
 * the conformance suite (test/conformance/d1-cases.ts) against miniflare and this adapter alike:
 * - values bind as D1 binds them: booleans as 1/0, ArrayBuffer and typed arrays as blobs, `undefined`
 *   and other objects refused with `D1_TYPE_ERROR`;
 * - results: `{ success, results, meta: { changes, last_row_id, duration, rows_read, rows_written, … } }`,
 *   blobs read back as arrays of bytes, `raw()` rows as arrays in column order;
 * - a batch is one transaction: any failing statement rolls the whole batch back;
 * - SQLite's errors surface as `Error('D1_ERROR: <SQLite's message>: SQLITE_…')`, so the constraint
 *   helpers (isUniqueViolation, isNotNullViolation) read them as they read D1's.
 * There are no replicas: `withSession` answers a session on the same file.
 */

type Row = Record<string, unknown>;

/** SQLite's primary result codes (the low byte of an extended code), by number. */
const PRIMARY_CODES = [
  'OK',
  'ERROR',
  'INTERNAL',
  'PERM',
  'ABORT',
  'BUSY',
  'LOCKED',
  'NOMEM',
  'READONLY',
  'INTERRUPT',
  'IOERR',
  'CORRUPT',
  'NOTFOUND',
  'FULL',
  'CANTOPEN',
  'PROTOCOL',
  'EMPTY',
  'SCHEMA',
  'TOOBIG',
  'CONSTRAINT',
  'MISMATCH',
  'MISUSE',
  'NOLFS',
  'AUTH',
  'FORMAT',
  'RANGE',
  'NOTADB',
  'NOTICE',
  'WARNING',
];
/** The extended codes of constraint failures, the ones the app meets, by number. */
const EXTENDED_CODES: Record<number, string> = {
  275: 'CONSTRAINT_CHECK',
  787: 'CONSTRAINT_FOREIGNKEY',
  1299: 'CONSTRAINT_NOTNULL',
  1555: 'CONSTRAINT_PRIMARYKEY',
  1811: 'CONSTRAINT_TRIGGER',
  2067: 'CONSTRAINT_UNIQUE',
  2579: 'CONSTRAINT_ROWID',
  517: 'BUSY_SNAPSHOT',
  261: 'BUSY_RECOVERY',
};

/**
 * SQLite's result code of a driver error as D1 words it: `SQLITE_ERROR`, or
 * `SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)`. bun:sqlite names the code
 * (`code: 'SQLITE_CONSTRAINT_UNIQUE'`), node:sqlite numbers it (`errcode: 2067`).
 */
function resultCode(err: unknown): string {
  const { code, errcode, errno } = (err ?? {}) as { code?: unknown; errcode?: unknown; errno?: unknown };
  let extended: string | undefined;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) extended = code.slice('SQLITE_'.length);
  else {
    const number = typeof errcode === 'number' ? errcode : typeof errno === 'number' ? errno : 1;
    extended = EXTENDED_CODES[number] ?? PRIMARY_CODES[number & 0xff] ?? 'ERROR';
  }
  const primary = extended.split('_')[0]!;
  return primary === extended ? `SQLITE_${primary}` : `SQLITE_${primary} (extended: SQLITE_${extended})`;
}

/** D1's error for one SQLite raised: `D1_ERROR: <SQLite's message>: <code>`, SQLite's side in `cause`. */
function d1Error(err: unknown, prefix = 'D1_ERROR: '): Error {
  if (err instanceof Error && err.message.startsWith('D1_')) return err;
  const message = err instanceof Error ? err.message : String(err);
  const cause = new Error(`${message}: ${resultCode(err)}`);
  return new Error(`${prefix}${cause.message}`, { cause });
}

/** D1's refusal of a value it cannot bind. */
function typeError(value: unknown): Error {
  const cause = new Error(`Type '${typeof value}' not supported for value '${String(value)}'`);
  return new Error(`D1_TYPE_ERROR: ${cause.message}`, { cause });
}

/** A value as D1 binds it; D1's own refusal for what it does not take. */
function bindable(value: unknown): SqliteValue {
  if (value === null || typeof value === 'string') return value;
  // D1 sends values as JSON: NaN and the infinities arrive as NULL.
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value))
    return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  throw typeError(value);
}

/** A value as D1 answers it: blobs as arrays of bytes, integers as numbers. */
function readable(value: SqliteValue): unknown {
  if (value instanceof Uint8Array) return Array.from(value);
  if (typeof value === 'bigint') return Number(value);
  return value;
}

function objectRow(columns: string[], values: SqliteValue[]): Row {
  const row: Row = {};
  columns.forEach((column, i) => {
    row[column] = readable(values[i] ?? null);
  });
  return row;
}

interface Execution {
  columns: string[];
  rows: SqliteValue[][];
  changes: number;
  lastRowId: number;
  duration: number;
}

class Connection {
  private readonly cache = new Map<string, SqliteStatement>();

  constructor(readonly driver: SqliteDriver) {}

  statement(sql: string): SqliteStatement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = this.driver.prepare(sql);
      // Statements the app prepares are a bounded set; a cap keeps generated SQL from growing it without end.
      if (this.cache.size >= 500) this.cache.clear();
      this.cache.set(sql, statement);
    }
    return statement;
  }

  private scalar(sql: string): number {
    return Number(this.statement(sql).values([])[0]?.[0] ?? 0);
  }

  /** Runs one statement synchronously, answering its rows and what it changed. */
  execute(sql: string, params: SqliteValue[]): Execution {
    const started = performance.now();
    const statement = this.statement(sql);
    const columns = statement.columnNames();
    if (!columns.length) {
      const { changes, lastInsertRowid } = statement.run(params);
      return {
        columns,
        rows: [],
        changes: Number(changes),
        lastRowId: Number(lastInsertRowid),
        duration: performance.now() - started,
      };
    }
    // A statement with rows (a select, or a write with RETURNING): what it changed is the move of
    // total_changes(), which a select leaves where it was.
    const before = this.scalar('select total_changes()');
    const rows = statement.values(params);
    const changes = this.scalar('select total_changes()') - before;
    return {
      columns,
      rows,
      changes,
      lastRowId: this.scalar('select last_insert_rowid()'),
      duration: performance.now() - started,
    };
  }
}

function result<T>(execution: Execution): D1Result<T> {
  const { columns, rows, changes, lastRowId, duration } = execution;
  return {
    success: true,
    results: rows.map((values) => objectRow(columns, values)) as T[],
    meta: {
      duration,
      timings: { sql_duration_ms: duration },
      changes,
      last_row_id: lastRowId,
      changed_db: changes > 0,
      size_after: 0,
      rows_read: rows.length,
      rows_written: changes,
      served_by_primary: true,
    },
  };
}

/** Runs `fn` as a settled promise: D1 answers asynchronously, and its errors reject rather than throw. */
function later<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(d1Error(err));
  }
}

class SqlitePreparedStatement {
  constructor(
    private readonly connection: Connection,
    readonly sql: string,
    readonly params: SqliteValue[] = [],
  ) {}

  bind(...values: unknown[]): SqlitePreparedStatement {
    return new SqlitePreparedStatement(this.connection, this.sql, values.map(bindable));
  }

  /** Runs the statement now (inside a batch's transaction, or on its own). */
  execute(): Execution {
    return this.connection.execute(this.sql, this.params);
  }

  first<T = unknown>(column?: string): Promise<T | null> {
    return later(() => {
      const { columns, rows } = this.execute();
      const values = rows[0];
      if (!values) return null;
      const row = objectRow(columns, values);
      if (column === undefined) return row as T;
      if (!(column in row)) throw new Error(`D1_COLUMN_NOTFOUND: Column not found (${column})`);
      return row[column] as T;
    });
  }

  all<T = unknown>(): Promise<D1Result<T>> {
    return later(() => result<T>(this.execute()));
  }

  run<T = unknown>(): Promise<D1Result<T>> {
    return this.all<T>();
  }

  raw<T = unknown[]>(options?: { columnNames?: boolean }): Promise<T[]> {
    return later(() => {
      const { columns, rows } = this.execute();
      const arrays = rows.map((values) => values.map(readable));
      return (options?.columnNames ? [columns, ...arrays] : arrays) as T[];
    });
  }
}

/**
 * Splits SQL on the `;` that end statements (not those in strings, comments, or a trigger's BEGIN … END),
 * leaving comments out, as wrangler splits a migration file.
 */
export function splitStatements(sql: string): string[] {
  const statements: string[] = [];
  let current = '';
  let depth = 0;
  let i = 0;
  const flush = () => {
    const text = current.trim();
    if (text && text !== ';') statements.push(text);
    current = '';
  };
  while (i < sql.length) {
    const ch = sql[i]!;
    const rest = sql.slice(i, i + 2);
    let end = i + 1;
    if (rest === '--') end = sql.indexOf('\n', i) === -1 ? sql.length : sql.indexOf('\n', i) + 1;
    else if (rest === '/*') end = sql.indexOf('*/', i + 2) === -1 ? sql.length : sql.indexOf('*/', i + 2) + 2;
    else if (ch === "'" || ch === '"' || ch === '`' || ch === '[') {
      const close = ch === '[' ? ']' : ch;
      end = i + 1;
      while (end < sql.length) {
        if (sql[end] === close) {
          if (close !== ']' && sql[end + 1] === close) end += 2;
          else break;
        } else end += 1;
      }
      end = Math.min(end + 1, sql.length);
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i))![0];
      end = i + word.length;
      const upper = word.toUpperCase();
      // BEGIN opens a block only inside CREATE TRIGGER (a statement BEGIN starts a transaction).
      if (upper === 'CASE' || (upper === 'BEGIN' && /^\s*CREATE\b/i.test(current) && /\bTRIGGER\b/i.test(current)))
        depth++;
      else if (upper === 'END' && depth > 0) depth--;
    } else if (ch === ';' && depth === 0) {
      current += ch;
      flush();
      i += 1;
      continue;
    }
    // Comments are left out (as wrangler leaves them out): a statement starts at its first keyword.
    const comment = rest === '--' || rest === '/*';
    current += comment ? (current.trim() ? ' ' : '') : sql.slice(i, end);
    i = end;
  }
  flush();
  return statements;
}

export interface SqliteD1Database extends D1Database {
  /** Closes the file (the adapter is unusable afterwards). */
  close(): void;
}

/** A D1Database over `driver`. */
export function sqliteD1(driver: SqliteDriver): SqliteD1Database {
  const connection = new Connection(driver);
  const unwrap = (statement: D1PreparedStatement) => {
    if (!(statement instanceof SqlitePreparedStatement)) {
      throw new Error('D1_ERROR: a batch takes statements prepared by the same database');
    }
    return statement;
  };
  const database = {
    prepare(sql: string) {
      return new SqlitePreparedStatement(connection, sql) as unknown as D1PreparedStatement;
    },
    batch<T = unknown>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      return later(() => {
        const prepared = statements.map(unwrap);
        if (!prepared.length) throw new Error('D1_ERROR: No SQL statements detected.');
        return driver.transaction(() => prepared.map((statement) => result<T>(statement.execute())));
      });
    },
    exec(sql: string): Promise<D1ExecResult> {
      return later(() => {
        // Statement by statement, as D1 runs them, so that an error names the one that failed.
        const started = performance.now();
        const statements = splitStatements(sql);
        statements.forEach((statement, i) => {
          try {
            driver.exec(statement);
          } catch (err) {
            throw d1Error(err, `D1_EXEC_ERROR: Error in line ${i + 1}: ${statement}: `);
          }
        });
        return { count: statements.length, duration: performance.now() - started };
      });
    },
    dump(): Promise<ArrayBuffer> {
      return Promise.reject(new Error('D1_ERROR: dump() is not supported by the SQLite adapter'));
    },
    withSession() {
      return {
        prepare: database.prepare,
        batch: database.batch,
        getBookmark: () => null,
      } as unknown as D1DatabaseSession;
    },
    close: () => driver.close(),
  };
  return database as unknown as SqliteD1Database;
}
