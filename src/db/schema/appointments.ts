import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { TIME_OFF_KINDS } from './telemedicine';

export const APPOINTMENT_STATUSES = [
  'pending',
  'confirmed',
  'in-progress',
  'completed',
  'cancelled',
  'rejected',
  'no-show',
] as const;
export type AppointmentStatus = (typeof APPOINTMENT_STATUSES)[number];

/** Statuses whose time stays claimed in slot_claims. */
export const LIVE_STATUSES: readonly AppointmentStatus[] = ['pending', 'confirmed', 'in-progress'];

/**
 * What took an appointment's time away from the doctor's schedule: time off of one of its kinds, or
 * special hours that left it outside the doctor's hours on its date.
 */
export const AFFECTED_KINDS = [...TIME_OFF_KINDS, 'special-hours'] as const;
export type AffectedKind = (typeof AFFECTED_KINDS)[number];

export const APPOINTMENT_TYPES = ['in-person', 'video'] as const;

/**
 * When a visit's fee is paid: `at-booking` (the appointment stays pending until paid, and payment
 * confirms it) or `later` (staff confirm as usual; the patient may pay any time). Per service, else the
 * setting 'payments.timing'.
 */
export const PAYMENT_TIMINGS = ['at-booking', 'later'] as const;
export type PaymentTiming = (typeof PAYMENT_TIMINGS)[number];

/**
 * The appointment's fee as the payments module last reported it: `free` (nothing to pay), `unpaid`,
 * `processing` (a delayed method not settled yet), `paid`, `failed` (the method failed; pay again).
 */
export const APPOINTMENT_PAYMENT_STATUSES = ['free', 'unpaid', 'processing', 'paid', 'failed'] as const;
export type AppointmentPaymentStatus = (typeof APPOINTMENT_PAYMENT_STATUSES)[number];

/** The state of the money going back to the patient (the refunds of the appointment's payment together). */
export const APPOINTMENT_REFUND_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type AppointmentRefundStatus = (typeof APPOINTMENT_REFUND_STATUSES)[number];
export type AppointmentType = (typeof APPOINTMENT_TYPES)[number];

/**
 * A booked visit. Times are UTC ms; `timeZone` is the doctor's zone when booked (for display and
 * iCalendar). Price is a snapshot of the service when booked. While the status is live the appointment
 * owns the slot_claims units of [startsAt, endsAt + bufferMinutes).
 */
export const appointments = sqliteTable(
  'appointments',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    serviceId: text('service_id').notNull(),
    /** Who booked it: the patient, or staff booking for them. */
    bookedBy: text('booked_by').notNull(),
    type: text('type', { enum: APPOINTMENT_TYPES }).notNull(),
    status: text('status', { enum: APPOINTMENT_STATUSES }).notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    /** The doctor's buffer when booked: claims run until endsAt + this. */
    bufferMinutes: integer('buffer_minutes').notNull(),
    timeZone: text('time_zone').notNull(),
    reason: text('reason'),
    symptoms: text('symptoms'),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    /** The appointment this one follows up (a completed or missed visit). */
    followUpOfId: text('follow_up_of_id'),
    /** The hold it was converted from, if any. */
    holdId: text('hold_id'),
    /** Set on cancellation: the refund due by the cancellation policy, for the payments module to execute. */
    refundPercent: integer('refund_percent'),
    refundDueCents: integer('refund_due_cents'),
    cancelledBy: text('cancelled_by'),
    cancellationReason: text('cancellation_reason'),
    cancelledAt: integer('cancelled_at'),
    rescheduleCount: integer('reschedule_count').notNull().default(0),
    /** Snapshot of when the fee is due (null for a free visit). */
    paymentTiming: text('payment_timing', { enum: PAYMENT_TIMINGS }),
    paymentStatus: text('payment_status', { enum: APPOINTMENT_PAYMENT_STATUSES }).notNull().default('unpaid'),
    /** Pay-at-booking: unpaid past this instant, the appointment is cancelled and its time released. */
    paymentDueAt: integer('payment_due_at'),
    paidAt: integer('paid_at'),
    /** What has gone back to the patient (or is going): the total, its state, when it last succeeded. */
    refundStatus: text('refund_status', { enum: APPOINTMENT_REFUND_STATUSES }),
    refundCents: integer('refund_cents').notNull().default(0),
    refundedAt: integer('refunded_at'),
    /**
     * Set when a change of the doctor's schedule (time off, special hours) took this live appointment's
     * time away: the patient is to rebook or cancel (with a full refund). Cleared by rebooking or any
     * reschedule, by cancelling, or when the change is undone.
     */
    needsRebooking: integer('needs_rebooking', { mode: 'boolean' }).notNull().default(false),
    /** The time off (`tof_…`) or special hours (`sph_…`) that took the time away, kept once resolved. */
    affectedById: text('affected_by_id'),
    affectedKind: text('affected_kind', { enum: AFFECTED_KINDS }),
    affectedAt: integer('affected_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('appointments_patient_idx').on(t.patientId, t.startsAt),
    index('appointments_doctor_idx').on(t.doctorId, t.startsAt),
    index('appointments_status_idx').on(t.status, t.startsAt),
    index('appointments_follow_up_idx').on(t.followUpOfId),
    index('appointments_affected_by_idx').on(t.affectedById),
    index('appointments_payment_due_idx').on(t.paymentDueAt),
    // The stats rollups and the admin dashboard: bookings and cancellations per day, the latest bookings.
    index('appointments_created_idx').on(t.createdAt),
    index('appointments_cancelled_idx').on(t.cancelledAt),
  ],
);

/**
 * A short hold on a slot while the patient fills in the booking form. Its slot_claims units carry
 * `expiresAt`, so an expired hold blocks nothing even before the sweep deletes it.
 */
export const appointmentHolds = sqliteTable(
  'appointment_holds',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    serviceId: text('service_id').notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    bufferMinutes: integer('buffer_minutes').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** Set when the hold became an appointment. */
    appointmentId: text('appointment_id'),
    releasedAt: integer('released_at'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('appointment_holds_patient_idx').on(t.patientId),
    index('appointment_holds_expiry_idx').on(t.expiresAt),
  ],
);

export const APPOINTMENT_ACTIONS = [
  'book',
  'confirm',
  'reject',
  'cancel',
  'start',
  'complete',
  'no-show',
  'reschedule',
  'needs-rebooking',
  'rebooking-cleared',
  'rebook',
  'paid',
  'payment-expired',
] as const;
export type AppointmentAction = (typeof APPOINTMENT_ACTIONS)[number];

/** Every change of an appointment's status or time: who, when, why. Append-only. */
export const appointmentEvents = sqliteTable(
  'appointment_events',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    action: text('action', { enum: APPOINTMENT_ACTIONS }).notNull(),
    fromStatus: text('from_status', { enum: APPOINTMENT_STATUSES }),
    toStatus: text('to_status', { enum: APPOINTMENT_STATUSES }).notNull(),
    actorId: text('actor_id').notNull(),
    actorRole: text('actor_role').notNull(),
    reason: text('reason'),
    /** Action details, e.g. the old and new times of a reschedule or the refund of a cancellation. */
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>(),
    at: integer('at').notNull(),
  },
  (t) => [index('appointment_events_appointment_idx').on(t.appointmentId, t.at)],
);

/** Files attached to an appointment (rows of `files`, purpose `attachment`). */
export const appointmentAttachments = sqliteTable(
  'appointment_attachments',
  {
    appointmentId: text('appointment_id').notNull(),
    fileId: text('file_id').notNull(),
    addedBy: text('added_by').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.appointmentId, t.fileId] }),
    uniqueIndex('appointment_attachments_file_idx').on(t.fileId),
  ],
);

/** The doctor's clinical notes on an appointment (only that doctor reads and writes them; audited). */
export const appointmentNotes = sqliteTable(
  'appointment_notes',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('appointment_notes_appointment_idx').on(t.appointmentId, t.createdAt)],
);

/** A user's private calendar feed: the URL carries a random token; only its SHA-256 is stored. */
export const calendarFeeds = sqliteTable('calendar_feeds', {
  userId: text('user_id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: integer('created_at').notNull(),
  lastUsedAt: integer('last_used_at'),
});

/**
 * Idempotency keys of writes that create bookings or money. The first request's response is stored
 * with the hash of its body; a replay with the same body gets it back, with another body 409.
 */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    userId: text('user_id').notNull(),
    scope: text('scope').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status').notNull(),
    responseBody: text('response_body', { mode: 'json' }).$type<unknown>().notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.scope, t.key] }), index('idempotency_keys_expiry_idx').on(t.expiresAt)],
);

export type AppointmentRow = typeof appointments.$inferSelect;
export type AppointmentHoldRow = typeof appointmentHolds.$inferSelect;
export type AppointmentEventRow = typeof appointmentEvents.$inferSelect;
export type AppointmentNoteRow = typeof appointmentNotes.$inferSelect;
