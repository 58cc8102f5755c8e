import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * A video visit's room as D1 remembers it (the live state is the VideoRoom Durable Object's): `open`
 * from the first join, `live` once the doctor and the patient were both in (the visit started),
 * `ended` when the doctor ended it (no join after that).
 */
export const CALL_STATUSES = ['open', 'live', 'ended'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/**
 * Who a participant is in the room: its host (the appointment's doctor, or the caregiver of a virtual
 * care session), the patient, or a guest the doctor invited.
 */
export const CALL_ROLES = ['doctor', 'caregiver', 'patient', 'guest'] as const;
export type CallRole = (typeof CALL_ROLES)[number];

/** The roles that host a room: they are in at once, admit the others and end the visit. */
export const HOST_ROLES: readonly CallRole[] = ['doctor', 'caregiver'];

/**
 * One room per video appointment, owned by the calls module. `durationSeconds` runs from `startedAt`
 * (doctor and patient both in) to `endedAt`; `outcome` is the lifecycle action ending took on the
 * appointment (`complete`, `no-show`), null when it took none.
 */
export const callSessions = sqliteTable(
  'call_sessions',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    patientId: text('patient_id').notNull(),
    status: text('status', { enum: CALL_STATUSES }).notNull(),
    openedAt: integer('opened_at').notNull(),
    startedAt: integer('started_at'),
    endedAt: integer('ended_at'),
    endedBy: text('ended_by'),
    durationSeconds: integer('duration_seconds'),
    outcome: text('outcome'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('call_sessions_appointment_idx').on(t.appointmentId),
    index('call_sessions_doctor_idx').on(t.doctorId),
    index('call_sessions_patient_idx').on(t.patientId),
  ],
);

/**
 * Everyone who joined a room, once per person: their role, when the doctor admitted them (the doctor
 * is admitted on joining), the first and last join and the last leave, and the seconds they were in.
 */
export const callParticipants = sqliteTable(
  'call_participants',
  {
    sessionId: text('session_id').notNull(),
    userId: text('user_id').notNull(),
    role: text('role', { enum: CALL_ROLES }).notNull(),
    /** The invitation a guest came in by. */
    invitationId: text('invitation_id'),
    admittedAt: integer('admitted_at'),
    firstJoinedAt: integer('first_joined_at').notNull(),
    lastJoinedAt: integer('last_joined_at').notNull(),
    lastLeftAt: integer('last_left_at'),
    joinCount: integer('join_count').notNull().default(1),
    presentSeconds: integer('present_seconds').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.userId] }), index('call_participants_user_idx').on(t.userId)],
);

/**
 * A single-use invitation into one appointment's room (an interpreter, a linked caregiver): only the
 * SHA-256 of its code is kept; the first signed-in user who joins with it becomes the guest (`usedBy`),
 * and may rejoin; nobody else can use it after that.
 */
export const callInvitations = sqliteTable(
  'call_invitations',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    tokenHash: text('token_hash').notNull(),
    /** What the guest is there as ("Interpreter (Spanish)"), shown to the room. */
    label: text('label').notNull(),
    invitedBy: text('invited_by').notNull(),
    expiresAt: integer('expires_at').notNull(),
    usedBy: text('used_by'),
    usedAt: integer('used_at'),
    revokedAt: integer('revoked_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('call_invitations_token_idx').on(t.tokenHash),
    index('call_invitations_appointment_idx').on(t.appointmentId),
    index('call_invitations_used_by_idx').on(t.usedBy),
  ],
);

/** In-call chat: a text message, or a file (files module) with an optional caption. Kept after the call. */
export const callMessages = sqliteTable(
  'call_messages',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    appointmentId: text('appointment_id').notNull(),
    senderId: text('sender_id').notNull(),
    body: text('body'),
    fileId: text('file_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('call_messages_appointment_idx').on(t.appointmentId, t.createdAt),
    index('call_messages_sender_idx').on(t.senderId),
  ],
);

export const CALL_CONSENT_ACTIONS = ['given', 'withdrawn'] as const;
export type CallConsentAction = (typeof CALL_CONSENT_ACTIONS)[number];

/** Every recording consent given or withdrawn in a room, by whom and when (the latest per person counts). */
export const callConsents = sqliteTable(
  'call_consents',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    appointmentId: text('appointment_id').notNull(),
    userId: text('user_id').notNull(),
    action: text('action', { enum: CALL_CONSENT_ACTIONS }).notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('call_consents_session_idx').on(t.sessionId, t.at), index('call_consents_user_idx').on(t.userId)],
);

/**
 * A recording's life: `recording` (started with everyone's consent), `stopped` (no more media; the
 * client uploads), `stored` (the upload completed in R2), `deleted` (retention passed, or discarded).
 */
export const CALL_RECORDING_STATUSES = ['recording', 'stopped', 'stored', 'deleted'] as const;
export type CallRecordingStatus = (typeof CALL_RECORDING_STATUSES)[number];

/** Why a recording stopped. */
export const CALL_RECORDING_STOP_REASONS = [
  'stopped',
  'consent-withdrawn',
  'participant-joined',
  'call-ended',
] as const;
export type CallRecordingStopReason = (typeof CALL_RECORDING_STOP_REASONS)[number];

/**
 * A consented recording of a room, uploaded by the client that recorded it (`startedBy`) to R2 in a
 * multipart upload the API authorizes; readable by the appointment's parties only; deleted by the cron
 * after `deleteAfter` (the retention setting when stored).
 */
export const callRecordings = sqliteTable(
  'call_recordings',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    appointmentId: text('appointment_id').notNull(),
    startedBy: text('started_by').notNull(),
    status: text('status', { enum: CALL_RECORDING_STATUSES }).notNull(),
    startedAt: integer('started_at').notNull(),
    stoppedAt: integer('stopped_at'),
    stopReason: text('stop_reason', { enum: CALL_RECORDING_STOP_REASONS }),
    /** The R2 key and multipart upload id, once the upload began. */
    storageKey: text('storage_key'),
    uploadId: text('upload_id'),
    contentType: text('content_type'),
    sizeBytes: integer('size_bytes'),
    storedAt: integer('stored_at'),
    deleteAfter: integer('delete_after'),
    deletedAt: integer('deleted_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('call_recordings_appointment_idx').on(t.appointmentId),
    index('call_recordings_delete_idx').on(t.status, t.deleteAfter),
  ],
);

export type CallSessionRow = typeof callSessions.$inferSelect;
export type CallParticipantRow = typeof callParticipants.$inferSelect;
export type CallInvitationRow = typeof callInvitations.$inferSelect;
export type CallMessageRow = typeof callMessages.$inferSelect;
export type CallRecordingRow = typeof callRecordings.$inferSelect;
