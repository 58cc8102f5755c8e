import { count, eq, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createDb } from '../../src/db/client';
import { D1Meter, meteredD1 } from '../../src/db/metered';
import { auditEvents, users } from '../../src/db/schema';
import { ifOneRowChanged, isNotNullViolation, isUniqueViolation, rawBatch } from '../../src/db/sql';
import { applyMigrations, type Migration, migrationsFromFiles } from '../../src/runtime/sqlite/migrate';

/**
 * The D1 conformance cases: what the app relies on from D1, run against miniflare's D1 (./d1.test.ts,
 * in workerd) and against the SQLite adapter under Bun and Deno (scripts/conformance.ts). Runtime-neutral:
 * no vitest, no node:*, a tiny assert of their own. Each case makes its own tables (dropped first), so the
 * cases run in any order on one database.
 */

export interface CaseContext {
  /** The app's migrations (migrations/*.sql), split as wrangler splits them. */
  migrations: Migration[];
}

export interface ConformanceCase {
  name: string;
  run(db: D1Database, context: CaseContext): Promise<void>;
}

function fail(message: string): never {
  throw new Error(message);
}

function equal(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: expected ${e}, got ${a}`);
}

function ok(value: unknown, what: string): void {
  if (!value) fail(what);
}

/** The error `promise` rejects with (failing when it resolves). */
async function rejection(promise: Promise<unknown> | (() => Promise<unknown>), what: string): Promise<Error> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    ok(err instanceof Error, `${what}: rejects with an Error`);
    return err as Error;
  }
  return fail(`${what}: expected a rejection`);
}

async function fresh(db: D1Database, table: string, columns: string): Promise<void> {
  await db.batch([db.prepare(`DROP TABLE IF EXISTS ${table}`), db.prepare(`CREATE TABLE ${table} (${columns})`)]);
}

const items = sqliteTable('conf_items', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull().unique(),
  active: integer('active', { mode: 'boolean' }).notNull().default(true),
  tags: text('tags', { mode: 'json' }).$type<string[]>(),
  ownerId: integer('owner_id').references(() => owners.id),
});
const owners = sqliteTable('conf_owners', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
});

const CONFORMANCE_MIGRATIONS = migrationsFromFiles([
  {
    name: '0001_owners.sql',
    sql: '-- owners first\nCREATE TABLE `conf_owners` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `name` text NOT NULL);',
  },
  {
    name: '0002_items.sql',
    sql: 'CREATE TABLE `conf_items` (\n  `id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,\n  `name` text NOT NULL,\n  `active` integer DEFAULT true NOT NULL,\n  `tags` text,\n  `owner_id` integer REFERENCES `conf_owners`(`id`)\n);\n--> statement-breakpoint\nCREATE UNIQUE INDEX `conf_items_name_unique` ON `conf_items` (`name`);',
  },
]);

export const cases: ConformanceCase[] = [
  {
    name: 'values round trip: integer, real, text, blob, null, boolean as 1/0, integers within 2^53',
    async run(db) {
      await fresh(db, 'conf_types', 'i INTEGER, r REAL, t TEXT, b BLOB, n TEXT, yes INTEGER, no INTEGER, big INTEGER');
      const big = 2 ** 53 - 1;
      await db
        .prepare('INSERT INTO conf_types VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .bind(42, 1.5, 'héllo ✓', new Uint8Array([0, 1, 255]), null, true, false, big)
        .run();
      await db
        .prepare('INSERT INTO conf_types (i, b, big) VALUES (?, ?, ?)')
        .bind(-7, new Uint8Array([9, 8]).buffer, -big)
        .run();
      const rows = (await db.prepare('SELECT * FROM conf_types ORDER BY i DESC').all()).results;
      equal(
        rows,
        [
          { i: 42, r: 1.5, t: 'héllo ✓', b: [0, 1, 255], n: null, yes: 1, no: 0, big },
          { i: -7, r: null, t: null, b: [9, 8], n: null, yes: null, no: null, big: -big },
        ],
        'rows',
      );
      equal(await db.prepare('SELECT typeof(b) AS t FROM conf_types WHERE i = 42').first('t'), 'blob', 'blob type');
      equal(await db.prepare('SELECT 2.0 AS f, 7 / 2 AS d, 7 / 2.0 AS q').first(), { f: 2, d: 3, q: 3.5 }, 'numbers');
      const refused = await rejection(async () => db.prepare('SELECT ?').bind(undefined).first(), 'binding undefined');
      equal(
        refused.message,
        "D1_TYPE_ERROR: Type 'undefined' not supported for value 'undefined'",
        'undefined refused',
      );
      const bigint = await rejection(async () => db.prepare('SELECT ?').bind(5n).first(), 'binding a bigint');
      equal(bigint.message, "D1_TYPE_ERROR: Type 'bigint' not supported for value '5'", 'bigint refused');
      const object = await rejection(async () => db.prepare('SELECT ?').bind({}).first(), 'binding an object');
      equal(object.message, "D1_TYPE_ERROR: Type 'object' not supported for value '[object Object]'", 'object refused');
      equal(await db.prepare('SELECT ? AS v').bind(Number.NaN).first('v'), null, 'NaN binds as NULL');
      // Beyond 2^53 D1 answers a (lossy) number; so does the adapter, where node:sqlite would refuse.
      equal(await db.prepare('SELECT 9223372036854775807 AS v').first('v'), 2 ** 63, 'a 64-bit integer (rounded)');
    },
  },
  {
    name: 'first, all, run and raw answer D1 shapes, with meta.changes and meta.last_row_id',
    async run(db) {
      await fresh(db, 'conf_shapes', 'id INTEGER PRIMARY KEY, name TEXT');
      const inserted = await db.prepare('INSERT INTO conf_shapes (name) VALUES (?), (?)').bind('a', 'b').run();
      equal(inserted.success, true, 'run success');
      equal(inserted.meta.changes, 2, 'run changes');
      equal(inserted.meta.last_row_id, 2, 'run last_row_id');
      equal(typeof inserted.meta.duration, 'number', 'run duration');
      equal(inserted.results, [], 'run results');
      const all = await db.prepare('SELECT id, name FROM conf_shapes ORDER BY id').all();
      equal(all.success, true, 'all success');
      equal(
        all.results,
        [
          { id: 1, name: 'a' },
          { id: 2, name: 'b' },
        ],
        'all results',
      );
      equal(all.meta.changes, 0, 'a select changes nothing');
      equal(await db.prepare('SELECT * FROM conf_shapes WHERE id = ?').bind(2).first(), { id: 2, name: 'b' }, 'first');
      equal(await db.prepare('SELECT name FROM conf_shapes WHERE id = ?').bind(1).first('name'), 'a', 'first(column)');
      equal(await db.prepare('SELECT * FROM conf_shapes WHERE id = 9').first(), null, 'first of nothing');
      equal(
        await db.prepare('SELECT name FROM conf_shapes WHERE id = 9').first('name'),
        null,
        'first(column) of nothing',
      );
      equal(
        await db.prepare('SELECT id, name FROM conf_shapes ORDER BY id').raw(),
        [
          [1, 'a'],
          [2, 'b'],
        ],
        'raw',
      );
      equal(
        await db.prepare('SELECT id, name FROM conf_shapes ORDER BY id').raw({ columnNames: true }),
        [
          ['id', 'name'],
          [1, 'a'],
          [2, 'b'],
        ],
        'raw with column names',
      );
      // Same-named columns stay apart in raw rows (drizzle reads joins this way); objects keep the last.
      equal(await db.prepare('SELECT 1 AS x, 2 AS x').raw(), [[1, 2]], 'raw keeps duplicate columns');
      const updated = await db.prepare("UPDATE conf_shapes SET name = name || '!'").run();
      equal(updated.meta.changes, 2, 'update changes');
      const returning = await db.prepare('DELETE FROM conf_shapes WHERE id = ? RETURNING name').bind(1).all();
      equal(returning.results, [{ name: 'a!' }], 'returning rows');
      equal(returning.meta.changes, 1, 'returning changes');
    },
  },
  {
    name: 'a batch is one transaction: a failing statement rolls the whole batch back',
    async run(db) {
      await fresh(db, 'conf_batch', 'id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE');
      const results = await db.batch([
        db.prepare('INSERT INTO conf_batch (name) VALUES (?)').bind('one'),
        db.prepare('INSERT INTO conf_batch (name) VALUES (?)').bind('two'),
        db.prepare('SELECT name FROM conf_batch ORDER BY id'),
      ]);
      equal(results.length, 3, 'one result per statement');
      equal(results[1]!.meta.changes, 1, 'a write result');
      equal(results[2]!.results, [{ name: 'one' }, { name: 'two' }], 'a later statement sees the earlier ones');
      const err = await rejection(
        db.batch([
          db.prepare('INSERT INTO conf_batch (name) VALUES (?)').bind('three'),
          db.prepare('UPDATE conf_batch SET name = ? WHERE name = ?').bind('four', 'one'),
          db.prepare('INSERT INTO conf_batch (name) VALUES (?)').bind('two'),
        ]),
        'failing batch',
      );
      ok(err.message.includes('UNIQUE constraint failed: conf_batch.name'), `batch error: ${err.message}`);
      equal(
        (await db.prepare('SELECT name FROM conf_batch ORDER BY id').raw()).flat(),
        ['one', 'two'],
        'nothing of the failed batch remains',
      );
      const empty = await rejection(db.batch([]), 'an empty batch');
      ok(empty.message.startsWith('D1_ERROR: No SQL statements detected'), `empty batch: ${empty.message}`);
    },
  },
  {
    name: 'constraint failures read as D1 words them, and the app recognises them',
    async run(db) {
      await fresh(db, 'conf_owners', 'id INTEGER PRIMARY KEY, name TEXT NOT NULL');
      await fresh(
        db,
        'conf_items',
        'id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, active INTEGER NOT NULL DEFAULT 1, tags TEXT, owner_id INTEGER REFERENCES conf_owners(id)',
      );
      await db.prepare("INSERT INTO conf_items (name) VALUES ('x')").run();
      const unique = await rejection(db.prepare("INSERT INTO conf_items (name) VALUES ('x')").run(), 'unique');
      equal(
        unique.message,
        'D1_ERROR: UNIQUE constraint failed: conf_items.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)',
        'unique message',
      );
      equal(
        (unique.cause as Error | undefined)?.message,
        'UNIQUE constraint failed: conf_items.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_UNIQUE)',
        'unique cause',
      );
      ok(
        isUniqueViolation(unique) && isUniqueViolation(unique, items) && isUniqueViolation(unique, items.name),
        'isUniqueViolation',
      );
      ok(!isUniqueViolation(unique, owners), 'not a violation of another table');
      const notNull = await rejection(db.prepare('INSERT INTO conf_items (name) VALUES (NULL)').run(), 'not null');
      equal(
        notNull.message,
        'D1_ERROR: NOT NULL constraint failed: conf_items.name: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_NOTNULL)',
        'not null message',
      );
      ok(isNotNullViolation(notNull, items.name), 'isNotNullViolation');
      // Through drizzle, the error arrives wrapped (the D1 error in `cause`).
      const wrapped = await rejection(drizzle(db).insert(items).values({ name: 'x' }), 'unique through drizzle');
      ok(isUniqueViolation(wrapped, items.name), `isUniqueViolation through drizzle: ${wrapped.message}`);
      const foreign = await rejection(
        db.prepare("INSERT INTO conf_items (name, owner_id) VALUES ('y', 99)").run(),
        'fk',
      );
      equal(
        foreign.message,
        'D1_ERROR: FOREIGN KEY constraint failed: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_FOREIGNKEY)',
        'foreign keys are enforced',
      );
      await db.exec(
        "DROP TABLE IF EXISTS conf_log;\nCREATE TABLE conf_log (id INTEGER PRIMARY KEY);\nCREATE TRIGGER conf_log_no_delete BEFORE DELETE ON conf_log BEGIN SELECT RAISE(ABORT, 'conf_log is append-only'); END;\nINSERT INTO conf_log VALUES (1);",
      );
      const raised = await rejection(db.prepare('DELETE FROM conf_log').run(), 'a trigger raising');
      equal(
        raised.message,
        'D1_ERROR: conf_log is append-only: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_TRIGGER)',
        'a trigger refusal',
      );
      const syntax = await rejection(db.prepare('SELEC 1').all(), 'syntax');
      ok(
        /^D1_ERROR: near "SELEC": syntax error.*: SQLITE_ERROR$/.test(syntax.message),
        `syntax error: ${syntax.message}`,
      );
      const exec = await rejection(db.exec('SELECT 1;\nSELEC 2;'), 'exec syntax error');
      // D1 names a line, though not always the failing statement's; the adapter names the failing one.
      ok(
        /^D1_EXEC_ERROR: Error in line \d+: .*: near "SELEC": syntax error/.test(exec.message),
        `exec error: ${exec.message}`,
      );
      const column = await rejection(db.prepare('SELECT 1 AS a').first('b'), 'missing column');
      ok(column.message.startsWith('D1_COLUMN_NOTFOUND'), `first(missing column): ${column.message}`);
    },
  },
  {
    name: 'exec runs several statements',
    async run(db) {
      const done = await db.exec(
        'DROP TABLE IF EXISTS conf_exec;\nCREATE TABLE conf_exec (id INTEGER PRIMARY KEY, n INTEGER);\nINSERT INTO conf_exec (n) VALUES (1), (2);\nUPDATE conf_exec SET n = n * 10;',
      );
      equal(done.count, 4, 'exec count');
      equal(typeof done.duration, 'number', 'exec duration');
      equal((await db.prepare('SELECT n FROM conf_exec ORDER BY id').raw()).flat(), [10, 20], 'exec effects');
    },
  },
  {
    name: 'withSession answers a session that reads and batches',
    async run(db) {
      const session = db.withSession('first-unconstrained');
      equal(await session.prepare('SELECT 1 AS one').first('one'), 1, 'session read');
      equal((await session.batch([session.prepare('SELECT 2 AS two')]))[0]!.results, [{ two: 2 }], 'session batch');
      ok(typeof session.getBookmark === 'function', 'getBookmark');
    },
  },
  {
    name: 'the migrations runner, then drizzle over what it made',
    async run(db) {
      await db.batch([
        db.prepare('DROP TABLE IF EXISTS conf_items'),
        db.prepare('DROP TABLE IF EXISTS conf_owners'),
        db.prepare('DROP TABLE IF EXISTS conf_migrations'),
      ]);
      const table = 'conf_migrations';
      equal(
        await applyMigrations(db, CONFORMANCE_MIGRATIONS, { table }),
        ['0001_owners.sql', '0002_items.sql'],
        'applied',
      );
      equal(await applyMigrations(db, CONFORMANCE_MIGRATIONS, { table }), [], 'applied once only');
      const recorded = (await db.prepare(`SELECT id, name, applied_at FROM ${table} ORDER BY id`).all()).results;
      equal(
        recorded.map((row) => [row.id, row.name]),
        [
          [1, '0001_owners.sql'],
          [2, '0002_items.sql'],
        ],
        'recorded',
      );
      ok(
        recorded.every((row) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(String(row.applied_at))),
        'applied_at',
      );
      // A migration that fails leaves nothing behind, not even part of itself.
      const broken = migrationsFromFiles([
        { name: '0003_broken.sql', sql: 'CREATE TABLE conf_half (id integer);\nINSERT INTO nowhere VALUES (1);' },
      ]);
      await rejection(applyMigrations(db, [...CONFORMANCE_MIGRATIONS, ...broken], { table }), 'a broken migration');
      equal(await db.prepare("SELECT name FROM sqlite_master WHERE name = 'conf_half'").first(), null, 'rolled back');

      const orm = drizzle(db);
      const [owner] = await orm.insert(owners).values({ name: 'Ada' }).returning();
      ok(owner && owner.id === 1, 'insert returning');
      await orm.insert(items).values([
        { name: 'kettle', tags: ['kitchen'], ownerId: owner!.id },
        { name: 'lamp', active: false },
      ]);
      equal(
        await orm.select().from(items).orderBy(items.id),
        [
          { id: 1, name: 'kettle', active: true, tags: ['kitchen'], ownerId: 1 },
          { id: 2, name: 'lamp', active: false, tags: null, ownerId: null },
        ],
        'select decodes booleans and json',
      );
      // A join whose tables share column names: drizzle reads raw rows by position.
      equal(
        await orm
          .select({ item: items.id, owner: owners.id, ownerName: owners.name })
          .from(items)
          .innerJoin(owners, eq(items.ownerId, owners.id)),
        [{ item: 1, owner: 1, ownerName: 'Ada' }],
        'join',
      );
      const [updated, read] = await orm.batch([
        orm.update(items).set({ active: true }).where(eq(items.name, 'lamp')),
        orm.select({ name: items.name }).from(items).where(eq(items.active, true)).orderBy(items.name),
      ]);
      equal(updated.meta.changes, 1, 'drizzle batch write');
      equal(read, [{ name: 'kettle' }, { name: 'lamp' }], 'drizzle batch read');
      equal(await orm.select({ name: items.name }).from(items).where(eq(items.id, 2)).get(), { name: 'lamp' }, 'get');
      equal(
        await orm
          .delete(items)
          .where(eq(items.id, 9))
          .run()
          .then((r) => r.meta.changes),
        0,
        'delete nothing',
      );
    },
  },
  {
    name: "the app's migrations apply cleanly and are recorded as wrangler records them",
    async run(db, { migrations }) {
      ok(migrations.length > 30, `the app's migrations were read (${migrations.length})`);
      await applyMigrations(db, migrations);
      equal(await applyMigrations(db, migrations), [], 'nothing left to apply');
      const names = (await db.prepare('SELECT name FROM d1_migrations ORDER BY id').raw()).flat();
      equal(
        names,
        migrations.map((migration) => migration.name),
        'every migration recorded, in order',
      );
      const columns = (
        await db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').bind('d1_migrations').raw()
      ).flat();
      equal(columns, ['id', 'name', 'applied_at'], "wrangler's columns");
      ok(await db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'users'").first(), 'the users table exists');
      const fk = await db.prepare('PRAGMA foreign_key_check').all();
      equal(fk.results, [], 'foreign keys hold');
    },
  },
  {
    name: "the app's DB port over it: the metered client, the app's schema, guarded batches, raw batches, a session",
    async run(db) {
      const meter = new D1Meter();
      const orm = createDb(meteredD1(db, meter));
      const id = `conf-${Math.random().toString(36).slice(2)}`;
      const now = 1_700_000_000_000;
      await orm.insert(users).values({ id, name: 'Conf', email: `${id}@example.test`, createdAt: now, updatedAt: now });
      const [user] = await orm.select().from(users).where(eq(users.id, id));
      equal([user?.name, user?.role, user?.subRoles, user?.tokenVersion], ['Conf', 'user', [], 0], 'defaults');
      const audit = (action: ReturnType<typeof ifOneRowChanged>) =>
        orm
          .insert(auditEvents)
          .values({ id: `${id}-${Math.random()}`, at: now, action, resourceType: 'user', resourceId: id });
      await orm.batch([
        orm.update(users).set({ name: 'Renamed' }).where(eq(users.id, id)),
        audit(ifOneRowChanged('conf.rename')),
      ]);
      // A guarded write whose condition no longer holds: the NOT NULL guard rolls the whole batch back.
      const err = await rejection(
        orm.batch([
          orm.update(users).set({ name: 'Lost' }).where(eq(users.id, id)),
          orm
            .update(users)
            .set({ name: 'Never' })
            .where(eq(users.id, `${id}-nobody`)),
          audit(ifOneRowChanged('conf.rename')),
        ]),
        'a guarded batch',
      );
      ok(isNotNullViolation(err, auditEvents.action), `the guard's failure: ${err.message}`);
      const [counted] = await rawBatch(orm, [
        sql`select ${users.name} as name, (select count(*) from ${auditEvents} where ${auditEvents.resourceId} = ${id}) as audits from ${users} where ${users.id} = ${id}`,
      ]);
      equal(counted, [{ name: 'Renamed', audits: 1 }], 'the first batch only');
      ok(meter.roundTrips >= 5, `round trips counted (${meter.roundTrips})`);
      // How the request context reads a replica (src/context.ts).
      const session = db.withSession('first-unconstrained');
      const replica = createDb({
        prepare: (query: string) => session.prepare(query),
        batch: (statements: D1PreparedStatement[]) => session.batch(statements),
      } as D1Database);
      const [{ n } = { n: 0 }] = await replica.select({ n: count() }).from(users).where(eq(users.id, id));
      equal(n, 1, 'read through a session');
    },
  },
];

/** Runs every case on `db`, answering each one's outcome (the runners print them). */
export async function runCases(
  db: D1Database,
  context: CaseContext,
): Promise<{ name: string; error?: Error; ms: number }[]> {
  const outcomes: { name: string; error?: Error; ms: number }[] = [];
  for (const testCase of cases) {
    const started = performance.now();
    try {
      await testCase.run(db, context);
      outcomes.push({ name: testCase.name, ms: performance.now() - started });
    } catch (err) {
      outcomes.push({ name: testCase.name, error: err as Error, ms: performance.now() - started });
    }
  }
  return outcomes;
}
