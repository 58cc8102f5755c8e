import { getTableName, type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * SQL helpers every module shares: qualified column references for subqueries, the "exactly one row
 * changed" guard that rolls a batch back, and recognising constraint failures in D1 errors.
 */

/**
 * `"table"."column"`. drizzle renders the columns of single-table statements unqualified, which inside
 * a subquery would bind to the subquery's table (or to json_each's own `id`/`value` columns).
 */
export function qualified(column: SQLiteColumn): SQL {
  return sql`${sql.identifier(getTableName(column.table))}.${sql.identifier(column.name)}`;
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
 * Escapes LIKE wildcards (`%`, `_`) and the escape character itself, so `50%_off` matches literally.
 * Use the result with `escape '\'`.
 * @example sql`${users.name} like ${`%${escapeLike(search)}%`} escape '\\'`
 */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

/** Whether a D1 error (possibly wrapped by drizzle in `cause`) is a constraint failure matching `pattern`. */
export function constraintFailed(err: unknown, pattern: RegExp): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof Error && pattern.test(e.message)) return true;
  }
  return false;
}

/** Whether a D1 write failed on a UNIQUE constraint (any table). */
export const isUniqueViolation = (err: unknown): boolean => constraintFailed(err, /UNIQUE constraint failed/i);

/** Whether a batch rolled back because its guarded audit insert (`ifOneRowChanged` action) found no change. */
export const auditGuardTripped = (err: unknown): boolean =>
  constraintFailed(err, /NOT NULL constraint failed: audit_events\.action/);
