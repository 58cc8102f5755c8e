import { splitStatements } from './d1';

/**
 * The migrations runner of the Bun and Deno entries: applies `migrations/*.sql` in order over any
 * D1Database (the SQLite adapter, or D1 itself), recording each in wrangler's `d1_migrations` table
 * (id, name, applied_at), so a database migrated by `wrangler d1 migrations apply` and one migrated
 * here agree on what is applied. Each migration is one batch: its statements and its record commit
 * together or not at all. The entry reads the files with its runtime's fs and passes them in.
 */

/** One migration: its file name and its statements (the shape of cloudflare:test's D1Migration). */
export interface Migration {
  name: string;
  queries: string[];
}

/** Migrations from `.sql` files' names and texts, in wrangler's order (by number prefix, then name). */
export function migrationsFromFiles(files: { name: string; sql: string }[]): Migration[] {
  const number = (name: string) => Number.parseInt(name.split('_')[0] ?? '', 10);
  return files
    .filter((file) => file.name.endsWith('.sql'))
    .sort((a, b) => number(a.name) - number(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((file) => ({ name: file.name, queries: splitStatements(file.sql) }));
}

/** Applies the migrations not yet recorded in `table`, in order; answers the names it applied. */
export async function applyMigrations(
  db: D1Database,
  migrations: Migration[],
  { table = 'd1_migrations' }: { table?: string } = {},
): Promise<string[]> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) throw new Error(`Invalid migrations table name: ${table}`);
  await db
    .prepare(
      `CREATE TABLE IF NOT EXISTS ${table} (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT UNIQUE,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
)`,
    )
    .run();
  const applied = new Set(
    (await db.prepare(`SELECT name FROM ${table}`).all<{ name: string }>()).results.map((row) => row.name),
  );
  const record = db.prepare(`INSERT INTO ${table} (name) VALUES (?)`);
  const done: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    await db.batch([...migration.queries.map((query) => db.prepare(query)), record.bind(migration.name)]);
    done.push(migration.name);
  }
  return done;
}
