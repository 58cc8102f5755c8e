import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const OUTBOX_CHANNELS = ['email', 'sms', 'push', 'voice'] as const;
export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];

/** What the outbox keeps of an email attachment: enough to see it was attached, not its bytes. */
export interface OutboxAttachment {
  filename: string;
  contentType: string;
  /** Decoded size in bytes. */
  size: number;
}

/**
 * Email, SMS and push notifications captured by the development adapters; readable at
 * GET /api/v1/dev/outbox. A push's recipient is the device token, its subject the title.
 */
export const devOutbox = sqliteTable(
  'dev_outbox',
  {
    id: text('id').primaryKey(),
    channel: text('channel', { enum: OUTBOX_CHANNELS }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    html: text('html'),
    /** Email attachments (names, types, sizes). */
    attachments: text('attachments', { mode: 'json' }).$type<OutboxAttachment[]>(),
    /** A push notification's data payload. */
    data: text('data', { mode: 'json' }).$type<Record<string, string>>(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('dev_outbox_recipient_idx').on(t.recipient, t.createdAt)],
);

export const FILE_PURPOSES = ['avatar', 'attachment', 'lab-report', 'content', 'recording', 'support'] as const;
export type FilePurpose = (typeof FILE_PURPOSES)[number];

/** Metadata of objects stored in R2. The key is random and never derived from user input. */
export const files = sqliteTable(
  'files',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id').notNull(),
    purpose: text('purpose', { enum: FILE_PURPOSES }).notNull(),
    storageKey: text('storage_key').notNull().unique(),
    contentType: text('content_type').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    fileName: text('file_name'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('files_owner_idx').on(t.ownerId, t.createdAt)],
);

export type FileRow = typeof files.$inferSelect;

/** Jobs that exhausted their retries and reached the dead-letter queue, kept for inspection. */
export const deadJobs = sqliteTable('dead_jobs', {
  id: text('id').primaryKey(),
  messageId: text('message_id').notNull().unique(),
  queue: text('queue').notNull(),
  type: text('type'),
  body: text('body', { mode: 'json' }).$type<unknown>(),
  attempts: integer('attempts').notNull(),
  receivedAt: integer('received_at').notNull(),
});
