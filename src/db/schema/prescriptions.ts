import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const PRESCRIPTION_STATUSES = ['active', 'expired', 'deleted'] as const;
export type PrescriptionStatus = (typeof PRESCRIPTION_STATUSES)[number];

/** How often a medication is taken: a number of times a day (standard times) or explicit local times. */
export type MedicationFrequency = { timesPerDay: number } | { times: string[] };

/** One medication of a prescription, as the doctor wrote it. */
export interface Medication {
  name: string;
  dosage: string;
  frequency: MedicationFrequency;
  duration: { days: number };
  instructions: string | null;
}

/**
 * A prescription a doctor wrote on one of their appointments. Never deleted by a user: `deleted` is a
 * soft delete with its reason, kept as the patient's and the doctor's record. `expiresAt` is the end of
 * the last medication's duration (midnight after its last day in `timeZone`, the patient's zone when the
 * prescription was written, else UTC); the cron marks it `expired` then. `scheduleIds` are the medicine
 * schedules the patient's acceptance created (empty before).
 */
export const prescriptions = sqliteTable(
  'prescriptions',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    medications: text('medications', { mode: 'json' }).$type<Medication[]>().notNull(),
    notes: text('notes'),
    status: text('status', { enum: PRESCRIPTION_STATUSES }).notNull().default('active'),
    /** The IANA zone its dates are counted in. */
    timeZone: text('time_zone').notNull(),
    /** Local date `YYYY-MM-DD` its durations count from (the day it was written). */
    startDate: text('start_date').notNull(),
    expiresAt: integer('expires_at').notNull(),
    acceptedAt: integer('accepted_at'),
    scheduleIds: text('schedule_ids', { mode: 'json' }).$type<string[]>().notNull(),
    deletedAt: integer('deleted_at'),
    deleteReason: text('delete_reason'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('prescriptions_patient_idx').on(t.patientId, t.createdAt),
    index('prescriptions_doctor_idx').on(t.doctorId, t.createdAt),
    index('prescriptions_appointment_idx').on(t.appointmentId),
    index('prescriptions_expiry_idx').on(t.status, t.expiresAt),
  ],
);

export type PrescriptionRow = typeof prescriptions.$inferSelect;
