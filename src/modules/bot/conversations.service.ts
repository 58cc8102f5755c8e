import { and, asc, count, desc, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { type BotConversationRow, type BotMessageRow, botConversations, botMessages } from '../../db/schema';
import { page } from '../../lib/envelope';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';

/**
 * A user's conversations with the bot: listed, read and deleted by their owner only (anyone else's
 * id is 404). Each keeps its newest messages (chat.service.ts trims them) and the confirmation it waits
 * for; the account erasure deletes them all.
 */

const conversationView = (row: BotConversationRow) => ({
  id: row.id,
  awaitingConfirmation: row.pending !== null,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

const messageView = (row: BotMessageRow) => ({
  id: row.id,
  role: row.role,
  content: row.content,
  actions: row.actions ?? [],
  createdAt: iso(row.createdAt),
});

const mine = (ctx: AuthedContext, id: string) =>
  and(eq(botConversations.id, id), eq(botConversations.userId, ctx.actor.id));

/** The caller's conversations, most recent first. One round trip. */
export async function listConversations(ctx: AuthedContext, query: { page: number; limit: number }) {
  const where = eq(botConversations.userId, ctx.actor.id);
  const [rows, total] = await ctx.db.batch([
    ctx.db
      .select()
      .from(botConversations)
      .where(where)
      .orderBy(desc(botConversations.updatedAt), desc(botConversations.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(botConversations).where(where),
  ]);
  return page(rows.map(conversationView), total[0]?.n ?? 0, query);
}

/**
 * One of the caller's conversations with its messages, oldest first. One round trip.
 * @throws AppError NOT_FOUND
 */
export async function getConversation(ctx: AuthedContext, id: string) {
  const [rows, messages] = await ctx.db.batch([
    ctx.db.select().from(botConversations).where(mine(ctx, id)),
    ctx.db
      .select()
      .from(botMessages)
      .where(and(eq(botMessages.conversationId, id), eq(botMessages.userId, ctx.actor.id)))
      .orderBy(asc(botMessages.createdAt), asc(botMessages.id)),
  ]);
  const row = rows[0];
  if (!row) throw notFound('Conversation');
  return { ...conversationView(row), messages: messages.map(messageView) };
}

/**
 * Deletes one of the caller's conversations and its messages. One round trip.
 * @throws AppError NOT_FOUND
 */
export async function deleteConversation(ctx: AuthedContext, id: string): Promise<void> {
  const [, deleted] = await ctx.db.batch([
    ctx.db.delete(botMessages).where(and(eq(botMessages.conversationId, id), eq(botMessages.userId, ctx.actor.id))),
    ctx.db.delete(botConversations).where(mine(ctx, id)).returning({ id: botConversations.id }),
  ]);
  if (!deleted.length) throw notFound('Conversation');
}
