import { and, count, desc, eq, gt, isNotNull, like, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { appointments, files, type ReviewRow, reviewFlags, reviews, users } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { seenBy } from '../appointments/appointment-access';
import { auditGuardTripped, auditInsert } from '../audit/audit.service';
import { bookableDoctorQuery, bookableOrNotFound } from '../doctors/doctor-access';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { heldReasonOf } from './moderation.policy';
import { recomputeRating } from './rating';
import type { AdminReviewQueryInput, CreateReviewInput, ReviewView, UpdateReviewInput } from './reviews.schemas';

const DAY_MS = 86_400_000;

/** The image purposes a review photo may come from (the patient's own uploads). */
const PHOTO_PURPOSE = 'content';

const invalidTransition = (message: string, details?: Record<string, unknown>) =>
  new AppError('INVALID_TRANSITION', message, details ? { details } : undefined);

const badPhoto = () =>
  new AppError('VALIDATION_FAILED', 'Validation failed', {
    fields: [{ field: 'photoFileId', message: 'Must be one of my uploaded images with purpose content' }],
  });

/** The author's own image of a photo purpose, for a read batch; undefined when no photo is given. */
function photoQuery(ctx: AuthedContext, fileId: string | null | undefined) {
  if (!fileId) return undefined;
  return ctx.db
    .select({ id: files.id })
    .from(files)
    .where(
      and(
        eq(files.id, fileId),
        eq(files.ownerId, ctx.actor.id),
        eq(files.purpose, PHOTO_PURPOSE),
        like(files.contentType, 'image/%'),
      ),
    );
}

function categoriesOf(row: Pick<ReviewRow, 'punctuality' | 'bedsideManner' | 'communication' | 'waitTime'>) {
  return {
    punctuality: row.punctuality,
    bedsideManner: row.bedsideManner,
    communication: row.communication,
    waitTime: row.waitTime,
  };
}

/** The full view of a review, for its author, its doctor and admins. */
export function toReviewView(row: ReviewRow, editWindowDays: number): ReviewView {
  return {
    id: row.id,
    appointmentId: row.appointmentId,
    patientId: row.patientId,
    doctorId: row.doctorId,
    rating: row.rating,
    categories: categoriesOf(row),
    comment: row.comment,
    photoFileId: row.photoFileId,
    anonymous: row.anonymous,
    status: row.status,
    heldReason: row.heldReason,
    moderation:
      row.moderatedAt === null ? null : { reason: row.moderationReason, by: row.moderatedBy, at: iso(row.moderatedAt) },
    flagCount: row.flagCount,
    reply: row.reply === null || row.repliedAt === null ? null : { text: row.reply, at: iso(row.repliedAt) },
    appeal: row.appeal === null || row.appealedAt === null ? null : { text: row.appeal, at: iso(row.appealedAt) },
    editableUntil: iso(row.createdAt + editWindowDays * DAY_MS),
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

/** Ids only in the audit trail: never the review's text. */
const reviewAudit = (
  ctx: ServiceContext,
  row: Pick<ReviewRow, 'id' | 'doctorId' | 'status'>,
  action: string,
  reason?: string,
) =>
  auditInsert(ctx, {
    action,
    resourceType: 'review',
    resourceId: row.id,
    reason: reason ?? null,
    metadata: { doctorId: row.doctorId, status: row.status },
  });

/**
 * The calling patient's review of their completed appointment. The filter (moderation.policy.ts)
 * decides whether it is published at once or held for an admin; the doctor's rating is recomputed in
 * the same batch. Two round trips: the appointment, an existing review, the photo and the settings in
 * one read; the review, the rating and the audit event in one write.
 * @throws AppError NOT_FOUND (not the caller's appointment as patient), INVALID_TRANSITION (not
 *   completed), CONFLICT (already reviewed), VALIDATION_FAILED (unusable photo)
 */
export async function createReview(
  ctx: AuthedContext,
  appointmentId: string,
  input: CreateReviewInput,
): Promise<ReviewView> {
  const read = await batchOf(ctx.db, {
    appointment: ctx.db
      .select({
        id: appointments.id,
        patientId: appointments.patientId,
        doctorId: appointments.doctorId,
        status: appointments.status,
      })
      .from(appointments)
      .where(eq(appointments.id, appointmentId)),
    existing: ctx.db.select({ id: reviews.id }).from(reviews).where(eq(reviews.appointmentId, appointmentId)),
    photo: photoQuery(ctx, input.photoFileId),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const { row: appointment } = seenBy(ctx, read.appointment[0], ['patient']);
  if (appointment.status !== 'completed') {
    throw invalidTransition(`Only a completed appointment can be reviewed; this one is ${appointment.status}`, {
      status: appointment.status,
    });
  }
  if (read.existing.length) throw new AppError('CONFLICT', 'This appointment is already reviewed');
  if (input.photoFileId && !read.photo?.length) throw badPhoto();
  const now = ctx.clock.now().getTime();
  const heldReason = heldReasonOf(input.comment);
  const row: ReviewRow = {
    id: ctx.ids.id('rev'),
    appointmentId: appointment.id,
    patientId: appointment.patientId,
    doctorId: appointment.doctorId,
    rating: input.rating,
    punctuality: input.categories?.punctuality ?? null,
    bedsideManner: input.categories?.bedsideManner ?? null,
    communication: input.categories?.communication ?? null,
    waitTime: input.categories?.waitTime ?? null,
    comment: input.comment ?? null,
    photoFileId: input.photoFileId ?? null,
    anonymous: input.anonymous,
    status: heldReason ? 'held' : 'published',
    heldReason,
    moderationReason: null,
    moderatedBy: null,
    moderatedAt: null,
    flagCount: 0,
    reply: null,
    repliedAt: null,
    appeal: null,
    appealedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(reviews).values(row),
      recomputeRating(ctx, [row.doctorId]),
      reviewAudit(ctx, row, 'review.create'),
    ]);
  } catch (err) {
    // Another request reviewed the same appointment between the read and the write.
    if (isUniqueViolation(err, reviews.appointmentId))
      throw new AppError('CONFLICT', 'This appointment is already reviewed');
    throw err;
  }
  return toReviewView(row, await getSetting(ctx, 'reviews.editWindowDays'));
}

/** A review and the settings, read together; the review only when `mine` holds for it. */
async function readReview(
  ctx: AuthedContext,
  id: string,
  mine: SQL | undefined,
  extra?: { photo?: ReturnType<typeof photoQuery> },
) {
  const read = await batchOf(ctx.db, {
    review: ctx.db
      .select()
      .from(reviews)
      .where(and(eq(reviews.id, id), mine)),
    photo: extra?.photo,
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const row = read.review[0];
  if (!row) throw notFound('Review');
  return { row, photo: read.photo, editWindowDays: await getSetting(ctx, 'reviews.editWindowDays') };
}

/**
 * The author changes their review within `reviews.editWindowDays` of writing it. The edited text
 * passes the filter again: a published review may become held, a held one published (released); the
 * rating is recomputed in the same batch. Two round trips.
 * @throws AppError NOT_FOUND (not the caller's review), INVALID_TRANSITION (past the window, or
 *   hidden), VALIDATION_FAILED (nothing to change, unusable photo)
 */
export async function updateReview(ctx: AuthedContext, id: string, input: UpdateReviewInput): Promise<ReviewView> {
  const fields = Object.keys(input).filter((k) => input[k as keyof UpdateReviewInput] !== undefined);
  if (!fields.length) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'body', message: 'Give at least one field to change' }],
    });
  }
  const { row, photo, editWindowDays } = await readReview(ctx, id, eq(reviews.patientId, ctx.actor.id), {
    photo: photoQuery(ctx, input.photoFileId),
  });
  const now = ctx.clock.now().getTime();
  if (now > row.createdAt + editWindowDays * DAY_MS) {
    throw invalidTransition(`A review can be edited for ${editWindowDays} days after it was written`, {
      editableUntil: iso(row.createdAt + editWindowDays * DAY_MS),
    });
  }
  if (row.status === 'hidden') throw invalidTransition('A hidden review cannot be edited; appeal instead');
  if (input.photoFileId && !photo?.length) throw badPhoto();
  const categories = input.categories ?? {};
  const pick = <T>(given: T | null | undefined, old: T | null) => (given === undefined ? old : given);
  const comment = input.comment === undefined ? row.comment : input.comment;
  const heldReason = heldReasonOf(comment);
  const changes = {
    rating: input.rating ?? row.rating,
    punctuality: pick(categories.punctuality, row.punctuality),
    bedsideManner: pick(categories.bedsideManner, row.bedsideManner),
    communication: pick(categories.communication, row.communication),
    waitTime: pick(categories.waitTime, row.waitTime),
    comment,
    photoFileId: input.photoFileId === undefined ? row.photoFileId : input.photoFileId,
    anonymous: input.anonymous ?? row.anonymous,
    status: heldReason ? ('held' as const) : ('published' as const),
    heldReason,
    updatedAt: now,
  };
  const updated: ReviewRow = { ...row, ...changes };
  await ctx.db.batch([
    ctx.db
      .update(reviews)
      .set(changes)
      .where(and(eq(reviews.id, row.id), eq(reviews.patientId, ctx.actor.id))),
    recomputeRating(ctx, [row.doctorId]),
    auditInsert(ctx, {
      action: 'review.update',
      resourceType: 'review',
      resourceId: row.id,
      metadata: { doctorId: row.doctorId, status: updated.status, fields },
    }),
  ]);
  return toReviewView(updated, editWindowDays);
}

/**
 * The caller flags a published review for the admins, once. Two round trips.
 * @throws AppError NOT_FOUND (no such published review), CONFLICT (already flagged by the caller)
 */
export async function flagReview(ctx: AuthedContext, id: string, reason: string) {
  const read = await batchOf(ctx.db, {
    review: ctx.db
      .select({ id: reviews.id, doctorId: reviews.doctorId, status: reviews.status })
      .from(reviews)
      .where(and(eq(reviews.id, id), eq(reviews.status, 'published'))),
    mine: ctx.db
      .select({ reviewId: reviewFlags.reviewId })
      .from(reviewFlags)
      .where(and(eq(reviewFlags.reviewId, id), eq(reviewFlags.userId, ctx.actor.id))),
  });
  const row = read.review[0];
  if (!row) throw notFound('Review');
  const already = () => new AppError('CONFLICT', 'You have already flagged this review');
  if (read.mine.length) throw already();
  try {
    await ctx.db.batch([
      ctx.db
        .insert(reviewFlags)
        .values({ reviewId: id, userId: ctx.actor.id, reason, createdAt: ctx.clock.now().getTime() }),
      ctx.db
        .update(reviews)
        .set({ flagCount: sql`${reviews.flagCount} + 1` })
        .where(eq(reviews.id, id)),
      reviewAudit(ctx, row, 'review.flag', reason),
    ]);
  } catch (err) {
    if (isUniqueViolation(err)) throw already();
    throw err;
  }
  return { reviewId: id, flagged: true as const };
}

/**
 * An admin hides a published or held review with a reason (it leaves the public list and the rating),
 * or restores a hidden or held one (held: releases it); the rating is recomputed in the same batch.
 * Two round trips.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (already hidden; restoring a published review)
 */
export async function moderateReview(
  ctx: AuthedContext,
  id: string,
  action: 'hide' | 'restore',
  reason: string,
): Promise<ReviewView> {
  const { row, editWindowDays } = await readReview(ctx, id, undefined);
  const to = action === 'hide' ? ('hidden' as const) : ('published' as const);
  if (row.status === to) throw invalidTransition(`The review is already ${to}`, { status: row.status });
  const now = ctx.clock.now().getTime();
  const changes = {
    status: to,
    heldReason: null,
    moderationReason: reason,
    moderatedBy: ctx.actor.id,
    moderatedAt: now,
    updatedAt: now,
  };
  const updated: ReviewRow = { ...row, ...changes };
  const audited = action === 'restore' && row.status === 'held' ? 'review.release' : `review.${action}`;
  await ctx.db
    .batch([
      // Only from the status read: a concurrent moderation makes this change nothing and the audit fail.
      ctx.db
        .update(reviews)
        .set(changes)
        .where(and(eq(reviews.id, id), eq(reviews.status, row.status))),
      auditInsert(
        ctx,
        {
          action: audited,
          resourceType: 'review',
          resourceId: id,
          reason,
          metadata: { doctorId: row.doctorId, from: row.status, to },
        },
        { guard: 'one-row-changed' },
      ),
      recomputeRating(ctx, [row.doctorId]),
    ])
    .catch((err) => {
      if (auditGuardTripped(err)) throw invalidTransition('The review was moderated meanwhile; read it again');
      throw err;
    });
  return toReviewView(updated, editWindowDays);
}

/**
 * The author appeals the hiding of their review, once; admins find it under `status=appealed`. Two
 * round trips.
 * @throws AppError NOT_FOUND (not the caller's review), INVALID_TRANSITION (not hidden), CONFLICT
 *   (already appealed)
 */
export async function appealReview(ctx: AuthedContext, id: string, text: string): Promise<ReviewView> {
  const { row, editWindowDays } = await readReview(ctx, id, eq(reviews.patientId, ctx.actor.id));
  if (row.status !== 'hidden') throw invalidTransition('Only a hidden review can be appealed', { status: row.status });
  if (row.appeal !== null) throw new AppError('CONFLICT', 'This review has already been appealed');
  const now = ctx.clock.now().getTime();
  const changes = { appeal: text, appealedAt: now, updatedAt: now };
  await ctx.db.batch([
    ctx.db
      .update(reviews)
      .set(changes)
      .where(and(eq(reviews.id, id), sql`${reviews.appeal} is null`)),
    reviewAudit(ctx, row, 'review.appeal'),
  ]);
  return toReviewView({ ...row, ...changes }, editWindowDays);
}

/**
 * The reviewed doctor replies publicly to a published review, once. Two round trips.
 * @throws AppError NOT_FOUND (not a review of the caller's), INVALID_TRANSITION (not published),
 *   CONFLICT (already replied)
 */
export async function replyToReview(ctx: AuthedContext, id: string, text: string): Promise<ReviewView> {
  const { row, editWindowDays } = await readReview(ctx, id, eq(reviews.doctorId, ctx.actor.id));
  if (row.status !== 'published') {
    throw invalidTransition('Only a published review can be replied to', { status: row.status });
  }
  if (row.reply !== null) throw new AppError('CONFLICT', 'This review already has a reply');
  const now = ctx.clock.now().getTime();
  const changes = { reply: text, repliedAt: now, updatedAt: now };
  await ctx.db.batch([
    ctx.db
      .update(reviews)
      .set(changes)
      .where(and(eq(reviews.id, id), sql`${reviews.reply} is null`)),
    reviewAudit(ctx, row, 'review.reply'),
  ]);
  return toReviewView({ ...row, ...changes }, editWindowDays);
}

const ADMIN_WHERE: Record<AdminReviewQueryInput['status'], SQL> = {
  held: eq(reviews.status, 'held'),
  hidden: eq(reviews.status, 'hidden'),
  published: eq(reviews.status, 'published'),
  flagged: and(eq(reviews.status, 'published'), gt(reviews.flagCount, 0))!,
  appealed: and(eq(reviews.status, 'hidden'), isNotNull(reviews.appeal))!,
};

/** Reviews for the admins' moderation queue, newest first. One round trip. */
export async function listForModeration(ctx: AuthedContext, query: AdminReviewQueryInput) {
  const where = ADMIN_WHERE[query.status];
  const { rows, total, settings } = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(reviews)
      .where(where)
      .orderBy(desc(reviews.createdAt), desc(reviews.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(reviews).where(where),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const days = await getSetting(ctx, 'reviews.editWindowDays');
  return page(
    rows.map((r) => toReviewView(r, days)),
    total[0]?.n ?? 0,
    query,
  );
}

/**
 * A listed doctor's published reviews, newest first; an anonymous one without its author. One round
 * trip (the doctor, the page and its total in one batch).
 * @throws AppError NOT_FOUND (no such listed doctor)
 */
export async function listDoctorReviews(ctx: ServiceContext, doctorId: string, query: { page: number; limit: number }) {
  const where = and(eq(reviews.doctorId, doctorId), eq(reviews.status, 'published'));
  const { doctor, rows, total } = await batchOf(ctx.db, {
    doctor: bookableDoctorQuery(ctx, doctorId),
    rows: ctx.db
      .select({ review: reviews, authorName: sql<string | null>`${users.name}`.as('author_name') })
      .from(reviews)
      .leftJoin(users, eq(users.id, reviews.patientId))
      .where(where)
      .orderBy(desc(reviews.createdAt), desc(reviews.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(reviews).where(where),
  });
  bookableOrNotFound(doctor[0]);
  return page(
    rows.map(({ review, authorName }) => ({
      id: review.id,
      rating: review.rating,
      categories: categoriesOf(review),
      comment: review.comment,
      photoFileId: review.photoFileId,
      author: review.anonymous ? null : { name: authorName },
      reply:
        review.reply === null || review.repliedAt === null ? null : { text: review.reply, at: iso(review.repliedAt) },
      createdAt: iso(review.createdAt),
      updatedAt: iso(review.updatedAt),
    })),
    total[0]?.n ?? 0,
    query,
  );
}

/**
 * The photo of a published review, for anyone (the public review list links it): its bytes when the
 * review is published and its photo is an image still stored. A held or hidden review's photo, a
 * review without one, or a file that is not an image is NOT_FOUND. One read.
 * @throws AppError NOT_FOUND
 */
export async function readReviewPhoto(ctx: ServiceContext, id: string) {
  const found = await ctx.db
    .select({ contentType: files.contentType, size: files.size, storageKey: files.storageKey })
    .from(reviews)
    .innerJoin(files, eq(files.id, reviews.photoFileId))
    .where(and(eq(reviews.id, id), eq(reviews.status, 'published'), like(files.contentType, 'image/%')))
    .get();
  const object = found ? await ctx.ports.storage.get(found.storageKey) : null;
  if (!found || !object) throw notFound('Review photo');
  return { file: { contentType: found.contentType, size: found.size }, body: object.body };
}
