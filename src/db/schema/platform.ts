import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Email and SMS captured by the development adapters; readable at GET /api/v1/dev/outbox. */
export const devOutbox = sqliteTable(
  'dev_outbox',
  {
    id: text('id').primaryKey(),
    channel: text('channel', { enum: ['email', 'sms'] }).notNull(),
    recipient: text('recipient').notNull(),
    subject: text('subject'),
    body: text('body').notNull(),
    html: text('html'),
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
