import { count, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { type Page, page } from '../lib/envelope';
import type { Db } from './client';

export interface PaginateOptions<T extends SQLiteTable, V> {
  where: SQL | undefined;
  orderBy: (SQLiteColumn | SQL)[];
  page: number;
  limit: number;
  map: (row: T['$inferSelect']) => V;
}

/**
 * One page of `table` rows and the total count, read in a single D1 round trip (`db.batch`).
 * @example paginate(ctx.db, files, { where, orderBy: [desc(files.createdAt)], page: 1, limit: 20, map: toFileView })
 */
export async function paginate<T extends SQLiteTable, V>(
  db: Db,
  table: T,
  options: PaginateOptions<T, V>,
): Promise<Page<V>> {
  // drizzle's builder types cannot follow a generic table; the row type is restored below.
  const source = table as unknown as SQLiteTable;
  const [rows, [total]] = await db.batch([
    db
      .select()
      .from(source)
      .where(options.where)
      .orderBy(...options.orderBy)
      .limit(options.limit)
      .offset((options.page - 1) * options.limit),
    db.select({ n: count() }).from(source).where(options.where),
  ]);
  return page((rows as T['$inferSelect'][]).map(options.map), total?.n ?? 0, options);
}
