import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * A caregiver's booking rules, one row each, owned by the care-sessions module: the zone their weekly
 * hours are read in, the grid of bookable start times, the free time kept after each session (travel
 * between homes), the notice a booking needs and how far ahead one may book. Without a row the
 * caregiver is not bookable.
 */
export const caregiverSchedules = sqliteTable('caregiver_schedules', {
  caregiverId: text('caregiver_id').primaryKey(),
  timeZone: text('time_zone').notNull(),
  slotMinutes: integer('slot_minutes').notNull(),
  bufferMinutes: integer('buffer_minutes').notNull(),
  minNoticeMinutes: integer('min_notice_minutes').notNull(),
  maxDaysAhead: integer('max_days_ahead').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * A caregiver's weekly hours: weekday 1 = Monday … 7 = Sunday, local `HH:MM` in the schedule's zone
 * (end may be `24:00`). The public search's "available on a date" filter reads the weekday index.
 */
export const caregiverHours = sqliteTable(
  'caregiver_hours',
  {
    id: text('id').primaryKey(),
    caregiverId: text('caregiver_id').notNull(),
    weekday: integer('weekday').notNull(),
    startTime: text('start_time').notNull(),
    endTime: text('end_time').notNull(),
  },
  (t) => [
    index('caregiver_hours_caregiver_idx').on(t.caregiverId, t.weekday),
    index('caregiver_hours_weekday_idx').on(t.weekday, t.caregiverId),
  ],
);

/**
 * A care session's state (docs/home-care.md has the lifecycle table): `requested` (booked, waiting for
 * the caregiver), `confirmed`, `in-progress` (checked in), `completed` (checked out, billed), and the
 * ends `declined` (by the caregiver), `cancelled`, `no-show` (the patient was not there).
 */
export const CARE_SESSION_STATUSES = [
  'requested',
  'confirmed',
  'in-progress',
  'completed',
  'declined',
  'cancelled',
  'no-show',
] as const;
export type CareSessionStatus = (typeof CARE_SESSION_STATUSES)[number];

/** Statuses whose time stays claimed in slot_claims. */
export const LIVE_CARE_SESSION_STATUSES: readonly CareSessionStatus[] = ['requested', 'confirmed', 'in-progress'];

/** At the patient's address (`in-person`) or through a call room (`virtual`). */
export const CARE_SESSION_MODES = ['in-person', 'virtual'] as const;
export type CareSessionMode = (typeof CARE_SESSION_MODES)[number];

/**
 * A booked home-care session between a caregiver and a patient, owned by the care-sessions module. Like
 * an appointment it owns the slot_claims units of [startsAt, endsAt + bufferMinutes) under the
 * caregiver's id while live, so two sessions of one caregiver can never overlap. The hourly rate is
 * snapshotted at booking; check-in and check-out record the actual time, and the bill
 * (`billedMinutes` × rate) is fixed at check-out.
 */
export const careSessions = sqliteTable(
  'care_sessions',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    caregiverId: text('caregiver_id').notNull(),
    /** The patient, or a family member or carer linked to them. */
    bookedBy: text('booked_by').notNull(),
    /** The doctor's recommendation it was booked from, if any. */
    recommendationId: text('recommendation_id'),
    mode: text('mode', { enum: CARE_SESSION_MODES }).notNull(),
    status: text('status', { enum: CARE_SESSION_STATUSES }).notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    bufferMinutes: integer('buffer_minutes').notNull(),
    timeZone: text('time_zone').notNull(),
    /** Where an in-person session takes place. */
    address: text('address'),
    notes: text('notes'),
    hourlyRateCents: integer('hourly_rate_cents').notNull(),
    currency: text('currency').notNull(),
    checkedInAt: integer('checked_in_at'),
    checkedOutAt: integer('checked_out_at'),
    /** Whole minutes from check-in to check-out (rounded up). */
    actualMinutes: integer('actual_minutes'),
    /** `actualMinutes` rounded up to started quarter hours, at least one. */
    billedMinutes: integer('billed_minutes'),
    amountCents: integer('amount_cents'),
    cancelledBy: text('cancelled_by'),
    cancelReason: text('cancel_reason'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('care_sessions_patient_idx').on(t.patientId, t.startsAt),
    index('care_sessions_caregiver_idx').on(t.caregiverId, t.startsAt),
    index('care_sessions_status_idx').on(t.status, t.startsAt),
  ],
);

export const CARE_SESSION_ACTIONS = [
  'book',
  'confirm',
  'decline',
  'cancel',
  'check-in',
  'check-out',
  'no-show',
] as const;
export type CareSessionAction = (typeof CARE_SESSION_ACTIONS)[number];

/** Every change of a care session's status: who, when, why. Append-only. */
export const careSessionEvents = sqliteTable(
  'care_session_events',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    action: text('action', { enum: CARE_SESSION_ACTIONS }).notNull(),
    fromStatus: text('from_status', { enum: CARE_SESSION_STATUSES }),
    toStatus: text('to_status', { enum: CARE_SESSION_STATUSES }).notNull(),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    reason: text('reason'),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
    at: integer('at').notNull(),
  },
  (t) => [index('care_session_events_session_idx').on(t.sessionId, t.at)],
);

export type CaregiverScheduleRow = typeof caregiverSchedules.$inferSelect;
export type CaregiverHoursRow = typeof caregiverHours.$inferSelect;
export type CareSessionRow = typeof careSessions.$inferSelect;
export type CareSessionEventRow = typeof careSessionEvents.$inferSelect;
