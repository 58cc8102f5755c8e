import { type DrizzleD1Database, drizzle } from 'drizzle-orm/d1';
import * as schema from './schema';

export type Db = DrizzleD1Database<typeof schema>;

/** A drizzle client over the D1 binding. Cheap: build one per request. */
export function createDb(d1: D1Database): Db {
  return drizzle(d1, { schema });
}
