import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** What a support ticket is about. */
export const SUPPORT_CATEGORIES = [
  'account',
  'appointments',
  'payments',
  'technical',
  'medical-records',
  'other',
] as const;
export type SupportCategory = (typeof SUPPORT_CATEGORIES)[number];

export const SUPPORT_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type SupportPriority = (typeof SUPPORT_PRIORITIES)[number];

/**
 * Where a ticket stands: `open` → `in-progress` → `resolved` → `closed` (final); the owner may reopen
 * a resolved ticket within `support.reopenDays` (src/modules/support/lifecycle.policy.ts).
 */
export const SUPPORT_STATUSES = ['open', 'in-progress', 'resolved', 'closed'] as const;
export type SupportStatus = (typeof SUPPORT_STATUSES)[number];

/**
 * A user's support ticket, owned by the support module. No foreign keys: the account erasure removes
 * the owner's tickets and their messages itself, and unassigns an erased agent.
 */
export const supportTickets = sqliteTable(
  'support_tickets',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    subject: text('subject').notNull(),
    category: text('category', { enum: SUPPORT_CATEGORIES }).notNull(),
    priority: text('priority', { enum: SUPPORT_PRIORITIES }).notNull(),
    description: text('description').notNull(),
    /** Ids of the owner's uploads (files, purpose `support`). */
    attachments: text('attachments', { mode: 'json' }).$type<string[]>().notNull(),
    status: text('status', { enum: SUPPORT_STATUSES }).notNull(),
    /** The support agent handling it. */
    assigneeId: text('assignee_id'),
    /** When it was last resolved: the owner's reopen window counts from here. */
    resolvedAt: integer('resolved_at'),
    closedAt: integer('closed_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('support_tickets_owner_idx').on(t.ownerId, t.createdAt),
    index('support_tickets_status_idx').on(t.status, t.createdAt),
    index('support_tickets_assignee_idx').on(t.assigneeId, t.status),
  ],
);

export type SupportTicketRow = typeof supportTickets.$inferSelect;

/**
 * One message of a ticket's thread, by the owner or support staff. An `internal` note is staff-only:
 * never shown to, nor notified to, the owner.
 */
export const supportMessages = sqliteTable(
  'support_messages',
  {
    id: text('id').primaryKey(),
    ticketId: text('ticket_id').notNull(),
    authorId: text('author_id').notNull(),
    body: text('body').notNull(),
    /** Ids of the author's uploads (files, purpose `support`). */
    attachments: text('attachments', { mode: 'json' }).$type<string[]>().notNull(),
    internal: integer('internal', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('support_messages_ticket_idx').on(t.ticketId, t.createdAt),
    index('support_messages_author_idx').on(t.authorId),
  ],
);

export type SupportMessageRow = typeof supportMessages.$inferSelect;
