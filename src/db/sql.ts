import {
  Column,
  getTableColumns,
  getTableName,
  type InferSelectModel,
  is,
  SQL,
  type SQLWrapper,
  sql,
} from 'drizzle-orm';
import { SQLiteAsyncDialect, type SQLiteColumn, type SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { Db } from './client';

/**
 * SQL helpers every module shares: qualified column references for subqueries, a joined table's row
 * under aliased names, the "exactly one row changed" guard that rolls a batch back, LIKE escaping, raw
 * batches, and recognising constraint failures in D1 errors (the only place that reads SQLite's
 * constraint messages).
 */

/**
 * `"table"."column"`. drizzle renders the columns of single-table statements unqualified, which inside
 * a subquery would bind to the subquery's table (or to json_each's own `id`/`value` columns).
 */
export function qualified(column: SQLiteColumn): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
}

/**
 * Every column of `table`, selected as `<prefix>_<column name>` and decoded as the column decodes it
 * (json, boolean, timestamp modes), so the row reads exactly as selecting the table itself would.
 * Select a joined table's whole row this way in any statement that may run in a D1 batch: there
 * drizzle reads each row by column name, so same-named columns of the joined tables (`id`,
 * `created_at`, `updated_at`) overwrite each other and the rest of the row shifts onto wrong fields.
 * `prefix` must not be the start of a column name of the other tables in the statement.
 * @example db.select({ user: users, profile: aliasedColumns(doctorProfiles, 'profile') }).from(users).innerJoin(…)
 */
export function aliasedColumns<T extends SQLiteTable>(
  table: T,
  prefix: string,
): { [K in keyof InferSelectModel<T>]: SQL.Aliased<InferSelectModel<T>[K]> } {
  return Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([key, column]) => [
      key,
      sql`${column}`.mapWith(column).as(`${prefix}_${column.name}`),
    ]),
  ) as { [K in keyof InferSelectModel<T>]: SQL.Aliased<InferSelectModel<T>[K]> };
}

/**
 * A value that is NULL unless the statement right before it in the batch changed exactly one row. Put
 * it in a NOT NULL column of the next insert (an audit action, a history row's status): when the
 * preceding conditional write found its condition no longer held, the NOT NULL constraint fails and the
 * whole batch rolls back, leaving nothing behind.
 * @example action: ifOneRowChanged('supplement.update')
 */
export const ifOneRowChanged = <T = string>(value: T): SQL<T> => sql<T>`(case when changes() = 1 then ${value} end)`;

/**
 * The select list of an INSERT … SELECT that writes `row`: every column of `table` in table order (as
 * drizzle lists them after `insert into`), plain values encoded as their column encodes them (json,
 * boolean modes), SQL values as they are.
 * @example db.insert(t).select(sql`select ${selectedRow(t, row)} where changes() = 1`)
 */
export function selectedRow<T extends SQLiteTable>(table: T, row: { [K in keyof T['$inferInsert']]-?: unknown }): SQL {
  const columns = getTableColumns(table);
  const values = Object.keys(columns).map((key) => {
    const value = (row as Record<string, unknown>)[key];
    return is(value, SQL) ? value : sql.param(value, columns[key]);
  });
  return sql.join(values, sql`, `);
}

/**
 * Escapes LIKE wildcards (`%`, `_`) and the escape character itself, so `50%_off` matches literally.
 * Use the result with `escape '\'`.
 * @example sql`${users.name} like ${`%${escapeLike(search)}%`} escape '\\'`
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

const dialect = new SQLiteAsyncDialect();

/**
 * Runs statements (raw `sql`, or drizzle builders) as one D1 batch, one transaction, and returns each
 * statement's rows as plain objects. It is for set-based raw statements, which drizzle 0.45's own
 * `db.batch` cannot take (it drops their bound parameters). It goes through the D1 client `db` was
 * built on (`db.$client`), never the binding itself, so whatever the DB port wraps around D1 (round-trip
 * counting, a read replica) applies here as to every other query.
 */
export async function rawBatch(db: Db, statements: SQLWrapper[]): Promise<Record<string, unknown>[][]> {
  if (!statements.length) return [];
  const d1 = (db as Db & { $client: D1Database }).$client;
  const prepared = statements.map((statement) => {
    const query = dialect.sqlToQuery(statement.getSQL());
    return d1.prepare(query.sql).bind(...query.params);
  });
  const results = await d1.batch<Record<string, unknown>>(prepared);
  return results.map((result) => result.results ?? []);
}

type ConstraintTarget = SQLiteTable | SQLiteColumn;

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `table\.` for a table (any of its columns), `table\.column\b` for one column. */
function targetPattern(target: ConstraintTarget): string {
  if (is(target, Column)) {
    return `${escapeRegExp(getTableName(target.table))}\\.${escapeRegExp(target.name)}\\b`;
  }
  return `${escapeRegExp(getTableName(target))}\\.`;
}

/**
 * Whether a D1 error (possibly wrapped by drizzle in `cause`) is a failed `kind` constraint, on `target`
 * when given. SQLite words them `NOT NULL constraint failed: t.c` and `UNIQUE constraint failed: t.a, t.b`;
 * this is the one place that reads those messages.
 */
function constraintFailed(err: unknown, kind: 'NOT NULL' | 'UNIQUE', target?: ConstraintTarget): boolean {
  const where = target ? `: (?:[\\w.]+, )*${targetPattern(target)}` : '';
  const pattern = new RegExp(`${kind} constraint failed${where}`, 'i');
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && pattern.test(e.message)) return true;
  }
  return false;
}

/**
 * Whether a D1 write failed on a UNIQUE constraint: of `target` (a table, or a column of it) when given,
 * of any table otherwise.
 * @example if (isUniqueViolation(err, slotClaims)) throw slotTaken();
 */
export const isUniqueViolation = (err: unknown, target?: ConstraintTarget): boolean =>
  constraintFailed(err, 'UNIQUE', target);

/**
 * Whether a D1 batch rolled back on a NOT NULL constraint of `target` (a column, or any column of a
 * table): the signal of a guard such as `ifOneRowChanged` that found its condition no longer held.
 * @example if (isNotNullViolation(err, appointmentEvents.toStatus)) return refreshAndRetry();
 */
export const isNotNullViolation = (err: unknown, target: ConstraintTarget): boolean =>
  constraintFailed(err, 'NOT NULL', target);
