import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/**
 * Where a review stands: `published` (public, counted in the doctor's rating), `held` (the automatic
 * filter found flagged words or contact details; waits for an admin), `hidden` (an admin took it down).
 */
export const REVIEW_STATUSES = ['published', 'held', 'hidden'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** The optional category ratings a review may carry, 1–5 each. */
export const REVIEW_CATEGORIES = ['punctuality', 'bedsideManner', 'communication', 'waitTime'] as const;
export type ReviewCategory = (typeof REVIEW_CATEGORIES)[number];

/**
 * A patient's review of a completed appointment: one per appointment (unique), owned by the reviews
 * module. No foreign keys: the account erasure removes a patient's reviews and their flags itself.
 */
export const reviews = sqliteTable(
  'reviews',
  {
    id: text('id').primaryKey(),
    appointmentId: text('appointment_id').notNull(),
    patientId: text('patient_id').notNull(),
    doctorId: text('doctor_id').notNull(),
    /** Overall rating, 1–5. */
    rating: integer('rating').notNull(),
    punctuality: integer('punctuality'),
    bedsideManner: integer('bedside_manner'),
    communication: integer('communication'),
    waitTime: integer('wait_time'),
    comment: text('comment'),
    /** An image of the patient's (files, purpose `content`). */
    photoFileId: text('photo_file_id'),
    /** Shown to the public without the patient's name. */
    anonymous: integer('anonymous', { mode: 'boolean' }).notNull().default(false),
    status: text('status', { enum: REVIEW_STATUSES }).notNull(),
    /** Why the filter held it (`contact-details`, `flagged-words`), while held. */
    heldReason: text('held_reason'),
    /** The admin's reason for the last hide or restore. */
    moderationReason: text('moderation_reason'),
    moderatedBy: text('moderated_by'),
    moderatedAt: integer('moderated_at'),
    /** How many users flagged it (rows of review_flags). */
    flagCount: integer('flag_count').notNull().default(0),
    reply: text('reply'),
    repliedAt: integer('replied_at'),
    appeal: text('appeal'),
    appealedAt: integer('appealed_at'),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('reviews_appointment_idx').on(t.appointmentId),
    index('reviews_doctor_idx').on(t.doctorId, t.status, t.createdAt),
    index('reviews_patient_idx').on(t.patientId),
    index('reviews_status_idx').on(t.status, t.createdAt),
  ],
);

export type ReviewRow = typeof reviews.$inferSelect;

/** One user's flag on a review: at most one per user and review. */
export const reviewFlags = sqliteTable(
  'review_flags',
  {
    reviewId: text('review_id').notNull(),
    userId: text('user_id').notNull(),
    reason: text('reason').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.reviewId, t.userId] }), index('review_flags_user_idx').on(t.userId)],
);

/**
 * A doctor's rating, recomputed from their published reviews in the same batch as every change that
 * affects it (src/modules/reviews/rating.ts): plain averages, each category over the reviews that rated it.
 * The directory joins it; whether it is shown depends on `reviews.minCountToShow`.
 */
export const doctorRatings = sqliteTable('doctor_ratings', {
  doctorId: text('doctor_id').primaryKey(),
  reviewCount: integer('review_count').notNull(),
  average: real('average'),
  punctuality: real('punctuality'),
  bedsideManner: real('bedside_manner'),
  communication: real('communication'),
  waitTime: real('wait_time'),
  updatedAt: integer('updated_at').notNull(),
});

export type DoctorRatingRow = typeof doctorRatings.$inferSelect;
