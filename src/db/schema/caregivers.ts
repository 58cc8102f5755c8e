import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const CAREGIVER_REQUEST_STATUSES = ['pending', 'accepted', 'rejected', 'cancelled'] as const;
export type CaregiverRequestStatus = (typeof CAREGIVER_REQUEST_STATUSES)[number];

/**
 * A request from a patient (requester) asking another user (receiver) to become their caregiver.
 * Only the receiver accepts or rejects it; an accepted request creates a caregiver link. At most one
 * pending request per ordered pair (partial unique index).
 */
export const caregiverRequests = sqliteTable(
  'caregiver_requests',
  {
    id: text('id').primaryKey(),
    requesterId: text('requester_id').notNull(),
    receiverId: text('receiver_id').notNull(),
    status: text('status', { enum: CAREGIVER_REQUEST_STATUSES }).notNull(),
    message: text('message'),
    createdAt: integer('created_at').notNull(),
    respondedAt: integer('responded_at'),
  },
  (t) => [
    uniqueIndex('caregiver_requests_pending_pair_idx').on(t.requesterId, t.receiverId).where(sql`status = 'pending'`),
    index('caregiver_requests_receiver_idx').on(t.receiverId, t.status),
    index('caregiver_requests_requester_idx').on(t.requesterId, t.status),
  ],
);

/**
 * An active caregiving relationship: `caregiverId` cares for `patientId`. Removing it (either side)
 * sets `endedAt`; access checks only count rows with `endedAt` null. A pair has at most one active link.
 */
export const caregiverLinks = sqliteTable(
  'caregiver_links',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    caregiverId: text('caregiver_id').notNull(),
    requestId: text('request_id').notNull(),
    createdAt: integer('created_at').notNull(),
    endedAt: integer('ended_at'),
    endedBy: text('ended_by'),
  },
  (t) => [
    uniqueIndex('caregiver_links_active_pair_idx').on(t.patientId, t.caregiverId).where(sql`ended_at is null`),
    index('caregiver_links_caregiver_idx').on(t.caregiverId),
  ],
);

/** Notes written by the patient or the caregiver on their shared relationship (audited). */
export const caregiverNotes = sqliteTable(
  'caregiver_notes',
  {
    id: text('id').primaryKey(),
    linkId: text('link_id').notNull(),
    authorId: text('author_id').notNull(),
    body: text('body').notNull(),
    fileId: text('file_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('caregiver_notes_link_idx').on(t.linkId, t.createdAt)],
);

/** Single-use, short-lived tickets for opening a WebSocket from a browser (stored as SHA-256). */
export const realtimeTickets = sqliteTable('realtime_tickets', {
  tokenHash: text('token_hash').primaryKey(),
  userId: text('user_id').notNull(),
  sessionId: text('session_id').notNull(),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
  createdAt: integer('created_at').notNull(),
});

export type CaregiverRequestRow = typeof caregiverRequests.$inferSelect;
export type CaregiverLinkRow = typeof caregiverLinks.$inferSelect;
export type CaregiverNoteRow = typeof caregiverNotes.$inferSelect;
