import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { files } from '../../db/schema';

/**
 * The files module's part of an account erasure (both modes): the account's file rows go in the
 * batch, their stored objects after it commits. Objects go after the rows: a failure there leaves
 * unreachable bytes under random keys, never a row pointing at nothing. It must run after every part
 * that finds rows through the account's files (appointment attachment links).
 * Counts `files`: how many stored files were deleted.
 */
export async function filesErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Promise<Erasure> {
  const keys = await ctx.db.select({ key: files.storageKey }).from(files).where(eq(files.ownerId, userId)).all();
  return {
    statements: [ctx.db.delete(files).where(eq(files.ownerId, userId))],
    afterCommit: async () => {
      for (const { key } of keys) await ctx.ports.storage.delete(key);
    },
    counts: { files: keys.length },
  };
}
