import { type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { qualified } from '../../db/sql';

/**
 * `column IN (values)` that SQLite's planner may not answer from an index on `column` (the unary `+`
 * takes the column out of index selection). For filters beside a person's own rows: without it the
 * planner, which has no statistics, may pick a status index and walk every account's completed
 * appointments or sessions instead of the caller's (EXPLAIN QUERY PLAN showed it).
 */
export function filterOnly(column: SQLiteColumn, values: readonly string[]): SQL {
  return sql`+${qualified(column)} in (${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )})`;
}
