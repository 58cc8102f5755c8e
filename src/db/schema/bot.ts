import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * A conversation with the schedule bot, owned by the bot module: one user's, with the tool call waiting
 * for their yes or no (`pending`, null when none). The messages are `bot_messages`; a conversation keeps
 * at most the newest BOT_HISTORY_LIMIT of them (src/modules/bot/conversations.service.ts).
 */
export const botConversations = sqliteTable(
  'bot_conversations',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    /** A tool call the bot asked the user to confirm: `{ call, summary }`. */
    pending: text('pending', { mode: 'json' }).$type<{ call: unknown; summary?: string } | null>(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('bot_conversations_user_idx').on(t.userId, t.updatedAt)],
);

export const BOT_ROLES = ['user', 'assistant'] as const;
export type BotRole = (typeof BOT_ROLES)[number];

/** One message of a conversation: what the user wrote, or the bot's reply with the actions it took. */
export const botMessages = sqliteTable(
  'bot_messages',
  {
    id: text('id').primaryKey(),
    conversationId: text('conversation_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role', { enum: BOT_ROLES }).notNull(),
    content: text('content').notNull(),
    actions: text('actions', { mode: 'json' }).$type<Record<string, unknown>[]>(),
    /** `model` or `parser`: what understood the user's message (assistant messages). */
    via: text('via'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('bot_messages_conversation_idx').on(t.conversationId, t.createdAt),
    index('bot_messages_user_idx').on(t.userId),
  ],
);

export type BotConversationRow = typeof botConversations.$inferSelect;
export type BotMessageRow = typeof botMessages.$inferSelect;
