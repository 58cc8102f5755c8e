import { type SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';

/**
 * SQL helpers of the catalog services: JSON chunking for set-based writes through `json_each`.
 * Helpers every module shares (qualified columns, the one-row guard, constraint checks, raw batches)
 * live in src/db/sql.ts; audit rows, even per-row ones, come from `auditInsert`.
 */

/** A bare column name, e.g. for an INSERT column list. */
export const columnName = (column: SQLiteColumn): SQL => sql`${sql.identifier(column.name)}`;

/**
 * Splits `items` into chunks whose JSON array is at most `maxBytes` long (and at most `maxItems`
 * items), for one `json_each(?)` parameter each: D1 allows 100 bound parameters a statement, so
 * set-based writes bind one JSON array instead of one parameter per value.
 */
export function jsonChunks<T>(items: T[], maxBytes = 200_000, maxItems = 1000): { json: string; items: T[] }[] {
  const chunks: { json: string; items: T[] }[] = [];
  let parts: string[] = [];
  let members: T[] = [];
  let size = 2;
  const flush = () => {
    if (members.length) chunks.push({ json: `[${parts.join(',')}]`, items: members });
    parts = [];
    members = [];
    size = 2;
  };
  for (const item of items) {
    const json = JSON.stringify(item);
    if (members.length && (size + json.length + 1 > maxBytes || members.length >= maxItems)) flush();
    parts.push(json);
    members.push(item);
    size += json.length + 1;
  }
  flush();
  return chunks;
}
