import { sql } from 'drizzle-orm';
import type { Db } from './client';
import { loginChallenges } from './schema';
import { isNotNullViolation } from './sql';

/**
 * A statement that aborts its batch, rolling back every write in it, unless the statement right before
 * it changed exactly one row. A conditional write ("this code is still unused", "the sign count is
 * still the one verified") and everything that depends on it commit together or not at all, in one
 * round trip; `oneRowGuardTripped` tells the abort from other failures. (Where an audit row follows the
 * conditional write, `auditInsert`'s `'one-row-changed'` guard does the same without a statement.)
 */
export function abortUnlessOneRowChanged(db: Db) {
  // A NULL primary key of a table that never takes one; no bound parameters, which drizzle 0.45
  // cannot batch in raw statements.
  return db.run(sql`insert into ${loginChallenges} (${sql.identifier('id')}) select null where changes() <> 1`);
}

/** Whether a batch failed because its `abortUnlessOneRowChanged` found no (or several) changed rows. */
export const oneRowGuardTripped = (err: unknown): boolean => isNotNullViolation(err, loginChallenges.id);

/**
 * Runs a read-then-write flow whose write batch is guarded by `abortUnlessOneRowChanged`. When the
 * batch lost a race to a concurrent request, the flow runs once more on fresh reads (`first` false:
 * it must not count its rate limits again) and decides as if it had come second; losing twice calls
 * `lost`, which throws the refusal.
 */
export async function decideAgainOnLostRace<T>(
  run: (first: boolean) => Promise<T>,
  lost: () => Promise<never> | never,
): Promise<T> {
  for (const first of [true, false]) {
    try {
      return await run(first);
    } catch (err) {
      if (!oneRowGuardTripped(err)) throw err;
    }
  }
  return lost();
}
