import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The managed taxonomy of medical specializations (admins curate it; doctors pick from it). A tree at
 * most MAX_SPECIALIZATION_DEPTH levels deep (src/modules/doctors/specializations.policy.ts): each row
 * may sit under a parent (Cardiology → Pediatric Cardiology); the service keeps it acyclic.
 */
export const specializations = sqliteTable(
  'specializations',
  {
    id: text('id').primaryKey(),
    slug: text('slug').notNull().unique(),
    name: text('name').notNull(),
    description: text('description'),
    /** The specialization this one sits under; null for a top-level one. */
    parentId: text('parent_id'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('specializations_parent_idx').on(t.parentId)],
);

export interface Qualification {
  degree: string;
  institution: string;
  year?: number;
}

/**
 * A doctor's public profile and booking rules. Only doctors whose account is verified and active are
 * listed and bookable. Times of day in availability are local to `timeZone` (IANA).
 */
export const doctorProfiles = sqliteTable('doctor_profiles', {
  userId: text('user_id').primaryKey(),
  bio: text('bio'),
  qualifications: text('qualifications', { mode: 'json' }).$type<Qualification[]>().notNull(),
  yearsOfExperience: integer('years_of_experience'),
  /** BCP 47 tags. */
  languages: text('languages', { mode: 'json' }).$type<string[]>().notNull(),
  /** Consultation fee in minor units of `currency` (ISO 4217), e.g. 5000 = 50.00 EUR. */
  consultationFeeCents: integer('consultation_fee_cents'),
  currency: text('currency').notNull().default('EUR'),
  registrationNumber: text('registration_number'),
  photoFileId: text('photo_file_id'),
  timeZone: text('time_zone').notNull().default('UTC'),
  /** Granularity of bookable start times, in minutes. */
  slotMinutes: integer('slot_minutes').notNull().default(30),
  /** Free time kept after every appointment, in minutes. */
  bufferMinutes: integer('buffer_minutes').notNull().default(0),
  /** Earliest booking relative to now, in minutes. */
  minNoticeMinutes: integer('min_notice_minutes').notNull().default(60),
  /** Latest bookable day relative to today, in days. */
  maxDaysAhead: integer('max_days_ahead').notNull().default(60),
  /** Emergency unavailability: no new bookings start before this instant (UTC ms). */
  unavailableUntil: integer('unavailable_until'),
  unavailableReason: text('unavailable_reason'),
  updatedAt: integer('updated_at').notNull(),
});

export const doctorSpecializations = sqliteTable(
  'doctor_specializations',
  {
    doctorId: text('doctor_id').notNull(),
    specializationId: text('specialization_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.doctorId, t.specializationId] }), index('doctor_spec_idx').on(t.specializationId)],
);

/** What a doctor offers: each service has its own duration and price. */
export const doctorServices = sqliteTable(
  'doctor_services',
  {
    id: text('id').primaryKey(),
    doctorId: text('doctor_id').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    durationMinutes: integer('duration_minutes').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull().default('EUR'),
    /** When the fee is paid ('at-booking' | 'later'); null follows the setting 'payments.timing'. */
    paymentTiming: text('payment_timing', { enum: ['at-booking', 'later'] }),
    active: integer('active', { mode: 'boolean' }).notNull().default(true),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('doctor_services_doctor_idx').on(t.doctorId)],
);

/** Weekly working hours: weekday 1 = Monday … 7 = Sunday, local `HH:MM` in the doctor's zone. */
export const weeklyHours = sqliteTable(
  'weekly_hours',
  {
    id: text('id').primaryKey(),
    doctorId: text('doctor_id').notNull(),
    weekday: integer('weekday').notNull(),
    startTime: text('start_time').notNull(),
    endTime: text('end_time').notNull(),
  },
  (t) => [index('weekly_hours_doctor_idx').on(t.doctorId, t.weekday)],
);

/**
 * Kinds of time off: `time-off` (any other absence), `holiday`, `vacation`, `emergency`. Every kind blocks
 * new bookings and marks the bookings inside it for rebooking; the kind is what the patient is told.
 */
export const TIME_OFF_KINDS = ['time-off', 'holiday', 'vacation', 'emergency'] as const;
export type TimeOffKind = (typeof TIME_OFF_KINDS)[number];

/** Time off and holidays as UTC intervals (whole days or partial, single or ranges). */
export const timeOff = sqliteTable(
  'time_off',
  {
    id: text('id').primaryKey(),
    doctorId: text('doctor_id').notNull(),
    kind: text('kind', { enum: TIME_OFF_KINDS }).notNull(),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    reason: text('reason'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('time_off_doctor_idx').on(t.doctorId, t.startsAt)],
);

/** A working interval of one local day: `HH:MM` in the doctor's zone (end may be `24:00`). */
export interface DayInterval {
  start: string;
  end: string;
}

/**
 * One-off hours on one local date in the doctor's zone: they replace that date's weekly hours (no
 * intervals: closed all day). The date stays put if the doctor changes zone; its instants are derived.
 */
export const specialHours = sqliteTable(
  'special_hours',
  {
    id: text('id').primaryKey(),
    doctorId: text('doctor_id').notNull(),
    /** Local calendar date `YYYY-MM-DD`. */
    date: text('date').notNull(),
    /** Ordered, non-overlapping; empty when the doctor is closed that day. */
    hours: text('hours', { mode: 'json' }).$type<DayInterval[]>().notNull(),
    reason: text('reason'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [uniqueIndex('special_hours_doctor_date_idx').on(t.doctorId, t.date)],
);

/**
 * Claimed time: one row per 5-minute unit a live booking or unexpired hold covers (plus its buffer),
 * unique on provider + unit. The provider is a doctor (appointments, holds) or a caregiver (care
 * sessions), by user id in `doctor_id`: one engine keeps both from double booking. Bookings insert their units in the same db.batch as the appointment, so
 * two overlapping bookings cannot both commit, whatever their lengths. Slot computation reads it.
 */
export const slotClaims = sqliteTable(
  'slot_claims',
  {
    doctorId: text('doctor_id').notNull(),
    /** UTC ms, a multiple of 5 minutes. */
    unitStart: integer('unit_start').notNull(),
    ownerType: text('owner_type', { enum: ['hold', 'appointment', 'care-session'] }).notNull(),
    ownerId: text('owner_id').notNull(),
    /** For holds: the claim is ignored once this passes, even before a sweep deletes it. */
    expiresAt: integer('expires_at'),
  },
  (t) => [primaryKey({ columns: [t.doctorId, t.unitStart] }), index('slot_claims_owner_idx').on(t.ownerId)],
);

export type DoctorProfileRow = typeof doctorProfiles.$inferSelect;
export type DoctorServiceRow = typeof doctorServices.$inferSelect;
export type WeeklyHoursRow = typeof weeklyHours.$inferSelect;
export type TimeOffRow = typeof timeOff.$inferSelect;
export type SpecialHoursRow = typeof specialHours.$inferSelect;
