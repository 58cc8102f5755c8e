import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { botConversations, botMessages } from '../../db/schema';

/** The bot module's part of an account erasure (both modes): every conversation and message. */
export function botErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  return {
    statements: [
      ctx.db.delete(botMessages).where(eq(botMessages.userId, userId)),
      ctx.db.delete(botConversations).where(eq(botConversations.userId, userId)),
    ],
  };
}
