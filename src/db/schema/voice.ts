import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** A call's status as Twilio reports it (`CallStatus`). */
export const PHONE_CALL_STATUSES = [
  'queued',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
export type PhoneCallStatus = (typeof PHONE_CALL_STATUSES)[number];

/** The statuses a call ends in: a later callback never moves a call out of one. */
export const FINAL_PHONE_CALL_STATUSES: readonly PhoneCallStatus[] = [
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
];

/**
 * Which way a call went: `inbound` (someone called the clinic's number), `outbound-api` (a masked call
 * a doctor started: Twilio rang the doctor, then bridged the patient), `outbound-dial` (a leg Twilio
 * dialled from TwiML).
 */
export const PHONE_CALL_DIRECTIONS = ['inbound', 'outbound-api', 'outbound-dial'] as const;
export type PhoneCallDirection = (typeof PHONE_CALL_DIRECTIONS)[number];

/**
 * Calls through the clinic's Twilio number, recorded from Twilio's status callbacks (one row per
 * CallSid: a replayed callback updates it) and, for masked calls, from the doctor's request before
 * Twilio is asked (call_sid filled in by the first callback). Times are UTC ms. For masked calls the
 * appointment, doctor and patient are named; their numbers are in from/to, so the account erasure
 * removes the rows of an erased party.
 */
export const phoneCalls = sqliteTable(
  'phone_calls',
  {
    id: text('id').primaryKey(),
    callSid: text('call_sid'),
    direction: text('direction', { enum: PHONE_CALL_DIRECTIONS }).notNull(),
    fromNumber: text('from_number'),
    toNumber: text('to_number'),
    status: text('status', { enum: PHONE_CALL_STATUSES }).notNull(),
    durationSeconds: integer('duration_seconds'),
    startedAt: integer('started_at'),
    endedAt: integer('ended_at'),
    appointmentId: text('appointment_id'),
    doctorId: text('doctor_id'),
    patientId: text('patient_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('phone_calls_call_sid_uq').on(t.callSid),
    index('phone_calls_created_idx').on(t.createdAt),
    index('phone_calls_status_created_idx').on(t.status, t.createdAt),
    index('phone_calls_doctor_idx').on(t.doctorId),
    index('phone_calls_patient_idx').on(t.patientId),
  ],
);

export type PhoneCallRow = typeof phoneCalls.$inferSelect;
