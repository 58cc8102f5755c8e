import { eq, inArray } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { supportMessages, supportTickets } from '../../db/schema';

/**
 * The support module's part of an account erasure (both modes). A user's tickets go with their
 * account, with their whole thread (staff replies and internal notes on them too). A staff member's
 * messages on other users' tickets stay in those threads by id only (`author_id`); tickets assigned to
 * an erased agent are unassigned.
 */
export function supportErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const owned = ctx.db.select({ id: supportTickets.id }).from(supportTickets).where(eq(supportTickets.ownerId, userId));
  return {
    statements: [
      ctx.db.delete(supportMessages).where(inArray(supportMessages.ticketId, owned)),
      ctx.db.delete(supportTickets).where(eq(supportTickets.ownerId, userId)),
      ctx.db.update(supportTickets).set({ assigneeId: null }).where(eq(supportTickets.assigneeId, userId)),
    ],
  };
}
