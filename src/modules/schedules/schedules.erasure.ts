import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { doses, schedules } from '../../db/schema';

/**
 * The schedules module's part of an account erasure (both modes): the account's supplement and
 * medicine schedules and every dose generated from them, taken or not.
 */
export function schedulesErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(doses).where(eq(doses.ownerId, userId)),
      ctx.db.delete(schedules).where(eq(schedules.ownerId, userId)),
    ],
  };
}
