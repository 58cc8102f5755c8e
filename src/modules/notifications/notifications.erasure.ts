import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { broadcasts, deliveries, notifications, reminders } from '../../db/schema';

/**
 * The notifications module's part of an account erasure (both modes): the inbox, every delivery to the
 * account (the ledger names the recipient), every reminder for it, and announcements addressed to the
 * account alone. An admin's own announcements keep their author's id (`created_by`, ids only), as
 * settings keep theirs.
 */
export function notificationsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(notifications).where(eq(notifications.userId, userId)),
      ctx.db.delete(deliveries).where(eq(deliveries.recipientId, userId)),
      ctx.db.delete(reminders).where(eq(reminders.recipientId, userId)),
      ctx.db.delete(broadcasts).where(eq(broadcasts.audienceUserId, userId)),
    ],
  };
}
