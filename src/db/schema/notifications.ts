import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { NOTIFICATION_CHANNELS, ROLES } from './users';

/** What an in-app notification is about; the inbox filters by it. */
export const NOTIFICATION_TYPES = ['appointment', 'reminder', 'medication', 'system', 'custom'] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * The in-app inbox: one row per notice a person received in the app. `data` is what a client needs to
 * act on it (ids to open, never clinical text). Owned by the notifications module.
 */
export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    userId: text('user_id').notNull(),
    type: text('type', { enum: NOTIFICATION_TYPES }).notNull(),
    title: text('title').notNull(),
    body: text('body').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    readAt: integer('read_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('notifications_user_created_idx').on(t.userId, t.createdAt),
    index('notifications_user_unread_idx').on(t.userId, t.readAt),
  ],
);

export type NotificationRow = typeof notifications.$inferSelect;

export const DELIVERY_STATUSES = ['queued', 'sent', 'delivered', 'failed', 'skipped'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * The delivery ledger: one row per (subject, notice kind, recipient, channel), unique, so a notice
 * reaches a channel at most once however often its queue message arrives. The consumer records (claims)
 * a row before it calls a provider and marks it after; `claimedUntil` is the lease of the attempt in
 * flight, so a concurrent duplicate cannot claim it too. `sent`, `delivered` and `skipped` are final;
 * `failed` is set by the dead-letter consumer and left only by an admin's re-drive.
 */
export const deliveries = sqliteTable(
  'deliveries',
  {
    id: text('id').primaryKey(),
    /** What the notice is about: `appointment`, `dose`, `broadcast`, … with its id. */
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    /** Which notice of that subject: `appointment.booked`, `reminder.24h`, `broadcast`, … */
    kind: text('kind').notNull(),
    recipientId: text('recipient_id').notNull(),
    channel: text('channel', { enum: NOTIFICATION_CHANNELS }).notNull(),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull(),
    /** Claims made (attempts at the provider, or the one atomic write of an in-app row). */
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    /** Why a `skipped` row was skipped: `preference-off`, `no-email`, `no-phone`, `no-device`, `push-not-configured`. */
    skipReason: text('skip_reason'),
    /** The provider's id of the message (the inbox row's id for in-app, the outbox row's in development). */
    providerMessageId: text('provider_message_id'),
    /** Lease of the attempt in flight (epoch ms); another attempt may claim the row only after it. */
    claimedUntil: integer('claimed_until'),
    /** The dead-lettered queue message (dead_jobs.id) that failed it, which a re-drive sends again. */
    deadJobId: text('dead_job_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    sentAt: integer('sent_at'),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('deliveries_key_idx').on(t.subjectType, t.subjectId, t.kind, t.recipientId, t.channel),
    index('deliveries_status_idx').on(t.status, t.updatedAt),
    index('deliveries_recipient_idx').on(t.recipientId),
    // Provider status callbacks find their delivery by the provider's message id.
    index('deliveries_provider_message_idx').on(t.providerMessageId),
    // The stats rollups: deliveries per day and channel.
    index('deliveries_sent_idx').on(t.sentAt),
  ],
);

export type DeliveryRow = typeof deliveries.$inferSelect;

export const BROADCAST_AUDIENCES = ['user', 'role', 'everyone'] as const;
export type BroadcastAudience = (typeof BROADCAST_AUDIENCES)[number];

/** Which preference row decides an announcement's channels: `system`, or opt-in `marketing`. */
export const BROADCAST_CATEGORIES = ['system', 'marketing'] as const;

/**
 * An admin's announcement to one user, a role or everyone. The queue fans it out page by page:
 * `cursor` is the last recipient id enqueued (ids ascend), advanced only by the page that started from
 * it, so a redelivered page job neither repeats nor forks the chain.
 */
export const broadcasts = sqliteTable('broadcasts', {
  id: text('id').primaryKey(),
  createdBy: text('created_by').notNull(),
  audience: text('audience', { enum: BROADCAST_AUDIENCES }).notNull(),
  audienceRole: text('audience_role', { enum: ROLES }),
  audienceUserId: text('audience_user_id'),
  type: text('type', { enum: ['system', 'custom'] }).notNull(),
  category: text('category', { enum: BROADCAST_CATEGORIES }).notNull(),
  title: text('title').notNull(),
  body: text('body').notNull(),
  data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  cursor: text('cursor').notNull().default(''),
  /** Per-recipient jobs enqueued so far. */
  enqueued: integer('enqueued').notNull().default(0),
  status: text('status', { enum: ['fanning-out', 'done'] }).notNull(),
  createdAt: integer('created_at').notNull(),
  completedAt: integer('completed_at'),
});

export type BroadcastRow = typeof broadcasts.$inferSelect;

export const REMINDER_STATUSES = ['pending', 'enqueued'] as const;

/**
 * Reminders waiting for their time: one row per (subject, reminder kind, recipient), written by the
 * module that owns the subject in the same batch as the subject's change (a booking schedules its 24 h
 * and 1 h reminders, a reschedule moves them, a cancellation deletes them). `dueAt` is an instant
 * computed from the recipient's zone when the row is written, so DST and zone rules are settled then.
 * The cron finds `pending` rows whose time has come, enqueues their notices and marks them `enqueued`;
 * the delivery ledger (keyed by kind and `dueAt`) makes a repeated enqueue harmless. Owned by the
 * notifications module.
 */
export const reminders = sqliteTable(
  'reminders',
  {
    id: text('id').primaryKey(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id').notNull(),
    /** Which reminder of the subject: `appointment.24h`, `appointment.1h`, `dose.10m`, `vaccine.day-before`, … */
    kind: text('kind').notNull(),
    recipientId: text('recipient_id').notNull(),
    /** When to send (epoch ms). */
    dueAt: integer('due_at').notNull(),
    status: text('status', { enum: REMINDER_STATUSES }).notNull(),
    /** The notice to send: inbox type, preference kind, template and its data (JSON, no clinical text). */
    notice: text('notice', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    enqueuedAt: integer('enqueued_at'),
  },
  (t) => [
    uniqueIndex('reminders_key_idx').on(t.subjectType, t.subjectId, t.kind, t.recipientId),
    index('reminders_due_idx').on(t.status, t.dueAt),
    index('reminders_recipient_idx').on(t.recipientId),
  ],
);

export type ReminderRow = typeof reminders.$inferSelect;
