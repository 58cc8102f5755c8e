import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './client';

/** Statements of one batch by name; `undefined` for one the request leaves out. */
export type Named = Record<string, BatchItem<'sqlite'> | undefined>;

/** A statement's result; `undefined` for one left out (distributes over `X | undefined`). */
type ResultOf<T> = T extends BatchItem<'sqlite'> ? T['_']['result'] : undefined;

/** What `batchOf` answers: each statement's result under its name, `undefined` for a statement left out. */
export type BatchResults<S extends Named> = { [K in keyof S]: ResultOf<S[K]> };

/**
 * Runs named statements as one D1 batch (one round trip, one transaction) and answers their results by
 * the same names. A statement given as `undefined` (a read the request does not need) is left out and
 * answers `undefined`; with none left, nothing is sent. For read batches whose parts depend on the
 * request, where a positional `db.batch([...])` would need a branch per combination.
 * Inside a batch, read with `select` builders (not `.get()`, which fails on no row) and alias joined
 * columns that share a name (they overwrite each other).
 * @example const { rows, hold } = await batchOf(ctx.db, { rows: query, hold: holdId ? holdQuery : undefined });
 */
export async function batchOf<S extends Named>(db: Db, statements: S): Promise<BatchResults<S>> {
  const names = Object.keys(statements).filter((name) => statements[name] !== undefined);
  const answers: Record<string, unknown> = Object.fromEntries(Object.keys(statements).map((name) => [name, undefined]));
  if (names.length === 0) return answers as BatchResults<S>;
  const items = names.map((name) => statements[name]!) as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];
  const results = await db.batch(items);
  names.forEach((name, i) => {
    answers[name] = results[i];
  });
  return answers as BatchResults<S>;
}

/** Statements for one D1 batch, built up by several helpers before it is sent. */
export type Statements = BatchItem<'sqlite'>[];

/**
 * Runs statements built up by several helpers as one D1 batch (one transaction, one round trip) and
 * answers each one's result, in order. No statements: no round trip. For a list whose length depends
 * on the request (a sign-in's writes); `batchOf` for reads known by name.
 */
export async function runBatch(db: Db, statements: Statements): Promise<unknown[]> {
  const [first, ...rest] = statements;
  if (!first) return [];
  return db.batch([first, ...rest]);
}
