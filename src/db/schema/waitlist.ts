import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Where a waitlist entry stands: `waiting` (live: matched whenever the doctor frees time), `booked`
 * (the patient booked with an offer's hold), `left` (the patient or staff took it off the list),
 * `expired` (its date range has passed). Only `waiting` changes.
 */
export const WAITLIST_ENTRY_STATUSES = ['waiting', 'booked', 'left', 'expired'] as const;
export type WaitlistEntryStatus = (typeof WAITLIST_ENTRY_STATUSES)[number];

/**
 * An offer: `offered` while its hold keeps the slot, then `accepted` (booked with the hold), `declined`
 * (by the patient, or the entry left the list) or `expired` (the hold ran out).
 */
export const WAITLIST_OFFER_STATUSES = ['offered', 'accepted', 'declined', 'expired'] as const;
export type WaitlistOfferStatus = (typeof WAITLIST_OFFER_STATUSES)[number];

/**
 * A patient's wish to be offered a slot of a doctor's service on local dates `fromDate`…`toDate` (the
 * doctor's zone, snapshotted in `timeZone`), optionally starting within `timeFrom`…`timeTo`. Owned by the
 * waitlist module; no foreign keys (the account erasure removes a patient's or doctor's entries).
 */
export const waitlistEntries = sqliteTable(
  'waitlist_entries',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    serviceId: text('service_id').notNull(),
    /** Who put the patient on the list: the patient, or staff for them (null once that account is erased). */
    createdBy: text('created_by'),
    fromDate: text('from_date').notNull(),
    toDate: text('to_date').notNull(),
    /** Local HH:MM, inclusive: the earliest start offered; null = any. */
    timeFrom: text('time_from'),
    /** Local HH:MM: an offered slot ends by then; null = any. */
    timeTo: text('time_to'),
    timeZone: text('time_zone').notNull(),
    status: text('status', { enum: WAITLIST_ENTRY_STATUSES }).notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('waitlist_entries_doctor_idx').on(t.doctorId, t.status, t.createdAt),
    index('waitlist_entries_patient_idx').on(t.patientId, t.status),
  ],
);

export type WaitlistEntryRow = typeof waitlistEntries.$inferSelect;

/** A slot offered to an entry: a hold on the holds engine (`appointment_holds`) until `expiresAt`. */
export const waitlistOffers = sqliteTable(
  'waitlist_offers',
  {
    id: text('id').primaryKey(),
    entryId: text('entry_id').notNull(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    serviceId: text('service_id').notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    holdId: text('hold_id').notNull().unique(),
    status: text('status', { enum: WAITLIST_OFFER_STATUSES }).notNull(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: integer('created_at').notNull(),
    /** When it left `offered`. */
    endedAt: integer('ended_at'),
  },
  (t) => [
    index('waitlist_offers_entry_idx').on(t.entryId),
    index('waitlist_offers_live_idx').on(t.status, t.expiresAt),
    index('waitlist_offers_patient_idx').on(t.patientId),
  ],
);

export type WaitlistOfferRow = typeof waitlistOffers.$inferSelect;
