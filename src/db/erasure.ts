import type { BatchItem } from 'drizzle-orm/batch';

/**
 * The shape every module's account erasure takes. Each module that stores data keyed by a user
 * exports one function from `src/modules/<module>/<module>.erasure.ts`:
 *
 *   (ctx: ServiceContext, userId: string, mode: EraseMode) => Erasure | Promise<Erasure>
 *
 * and `eraseAccount` (src/modules/account-deletion/account-erasure.ts) runs every module's statements in one atomic batch.
 * A module may read before returning its statements (the batch must not depend on anything such a
 * read could see change: select rows in the statements themselves, as set-based SQL).
 */

/**
 * `anonymize` (self-deletion): personal data goes, the user row stays as a tombstone so ids in kept
 * records still resolve. `purge` (an admin's permanent delete): the user row goes too, and so do the
 * records that are the account's alone.
 */
export type EraseMode = 'anonymize' | 'purge';

/** One module's part of an account erasure. */
export interface Erasure {
  /** Statements for the erasure batch, in the order they must run. */
  statements: BatchItem<'sqlite'>[];
  /** Work that must wait until the batch committed (deleting stored objects), never before. */
  afterCommit?: () => Promise<void>;
  /** Counts recorded in the erasure's audit event, e.g. `{ files: 2 }` (numbers only, never content). */
  counts?: Record<string, number>;
}
