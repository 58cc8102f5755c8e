import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from './client';

type Statements = Record<string, BatchItem<'sqlite'> | undefined>;

/** A statement's result; distributes over `statement | undefined`, so an optional statement answers `result | undefined`. */
type ResultOf<T> = T extends BatchItem<'sqlite'> ? T['_']['result'] : undefined;

/** What `batchOf` answers: each statement's result under its name, `undefined` for a statement left out. */
export type BatchResults<S extends Statements> = { [K in keyof S]: ResultOf<S[K]> };

/**
 * Runs named statements as one D1 batch (one round trip, one transaction) and answers their results by
 * the same names. A statement given as `undefined` (a read the request does not need) is left out and
 * answers `undefined`; with none left, nothing is sent. For read batches whose parts depend on the
 * request, where a positional `db.batch([...])` would need a branch per combination.
 * Inside a batch, read with `select` builders (not `.get()`, which fails on no row) and alias joined
 * columns that share a name (they overwrite each other).
 * @example const { rows, hold } = await batchOf(ctx.db, { rows: query, hold: holdId ? holdQuery : undefined });
 */
export async function batchOf<S extends Statements>(db: Db, statements: S): Promise<BatchResults<S>> {
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
