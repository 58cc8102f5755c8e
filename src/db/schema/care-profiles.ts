import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * The managed list of home-care specialties (admins curate it; caregivers pick from it). Flat, unlike
 * the doctors' specialization tree. The migration seeds the design's ten with stable ids and slugs.
 */
export const careSpecialties = sqliteTable('care_specialties', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  description: text('description'),
  createdAt: integer('created_at').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

/**
 * A caregiver's professional profile: what the public search shows and filters on. Only caregivers
 * whose account is verified and active are listed. The service location is a point (WGS 84 degrees)
 * and a radius: a caregiver is found from any point within `serviceRadiusKm` of it.
 */
export const caregiverProfiles = sqliteTable(
  'caregiver_profiles',
  {
    userId: text('user_id').primaryKey(),
    bio: text('bio'),
    yearsOfExperience: integer('years_of_experience'),
    /** BCP 47 tags. */
    languages: text('languages', { mode: 'json' }).$type<string[]>().notNull(),
    /** Hourly rate in minor units of `currency` (ISO 4217), e.g. 2500 = 25.00 EUR. */
    hourlyRateCents: integer('hourly_rate_cents'),
    currency: text('currency').notNull().default('EUR'),
    photoFileId: text('photo_file_id'),
    address: text('address'),
    latitude: real('latitude'),
    longitude: real('longitude'),
    serviceRadiusKm: integer('service_radius_km'),
    /** An admin's refusal of the credentials: the reason the caregiver was told; cleared on verification. */
    rejectionReason: text('rejection_reason'),
    rejectedAt: integer('rejected_at'),
    /** The mean of the caregiver's session reviews (null before the first) and how many there are. */
    ratingAverage: real('rating_average'),
    ratingCount: integer('rating_count').notNull().default(0),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('caregiver_profiles_lat_idx').on(t.latitude, t.longitude)],
);

/**
 * A caregiver's credentials (licence, certificate…), each with the files that prove it. A profile
 * write replaces the list; a credential keeps its id (and its expiry notice) while its type and number
 * stay the same.
 */
export const caregiverCredentials = sqliteTable(
  'caregiver_credentials',
  {
    id: text('id').primaryKey(),
    caregiverId: text('caregiver_id').notNull(),
    type: text('type').notNull(),
    number: text('number').notNull(),
    issuer: text('issuer').notNull(),
    /** `YYYY-MM-DD`: the last day it is valid; null when it never expires. */
    expiresAt: text('expires_at'),
    documentFileIds: text('document_file_ids', { mode: 'json' }).$type<string[]>().notNull(),
    /** When the caregiver was told it expires soon (once per credential and expiry date). */
    expiryNoticeAt: integer('expiry_notice_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    index('caregiver_credentials_caregiver_idx').on(t.caregiverId),
    index('caregiver_credentials_expiry_idx').on(t.expiresAt),
  ],
);

export const caregiverSpecialties = sqliteTable(
  'caregiver_specialties',
  {
    caregiverId: text('caregiver_id').notNull(),
    specialtyId: text('specialty_id').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.caregiverId, t.specialtyId] }),
    index('caregiver_specialties_specialty_idx').on(t.specialtyId),
  ],
);

/** A doctor's recommendation of a caregiver to one of their patients, with a note. */
export const caregiverRecommendations = sqliteTable(
  'caregiver_recommendations',
  {
    id: text('id').primaryKey(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    caregiverId: text('caregiver_id').notNull(),
    note: text('note'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('caregiver_recommendations_patient_idx').on(t.patientId, t.createdAt),
    index('caregiver_recommendations_doctor_idx').on(t.doctorId),
    index('caregiver_recommendations_caregiver_idx').on(t.caregiverId),
  ],
);

/**
 * A patient's review of a completed care session (one per session), owned by the care-profiles
 * module: counted in the caregiver's `ratingAverage`/`ratingCount` on their profile, which the public
 * search filters and sorts on.
 */
export const careSessionReviews = sqliteTable(
  'care_session_reviews',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    patientId: text('patient_id').notNull(),
    caregiverId: text('caregiver_id').notNull(),
    /** 1–5. */
    rating: integer('rating').notNull(),
    comment: text('comment'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('care_session_reviews_session_idx').on(t.sessionId),
    index('care_session_reviews_caregiver_idx').on(t.caregiverId, t.createdAt),
    index('care_session_reviews_patient_idx').on(t.patientId),
  ],
);

export type CareSpecialtyRow = typeof careSpecialties.$inferSelect;
export type CaregiverProfileRow = typeof caregiverProfiles.$inferSelect;
export type CaregiverCredentialRow = typeof caregiverCredentials.$inferSelect;
export type CaregiverRecommendationRow = typeof caregiverRecommendations.$inferSelect;
export type CareSessionReviewRow = typeof careSessionReviews.$inferSelect;
