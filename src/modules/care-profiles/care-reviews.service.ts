import { and, count, desc, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type CareSessionReviewRow, caregiverProfiles, careSessionReviews, careSessions, users } from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import type { CreateSessionReviewInput, SessionReviewView } from './care-profiles.schemas';
import { LISTED_CAREGIVER } from './search.service';

/**
 * The statement that recomputes `ratingAverage`/`ratingCount` of the caregivers `caregiverIds` names
 * (ids, or a subquery of ids) from their session reviews, for the batch of every change that affects
 * them (a new review, an erasure): a failed batch leaves the old rating. `exclude` leaves out reviews a
 * later statement of the batch deletes. The plain mean of every review; null and 0 when none is left.
 * The profile's `updatedAt` stays: a rating is not a change of the profile.
 */
export function recomputeCaregiverRating(ctx: ServiceContext, caregiverIds: string[] | SQLWrapper, exclude?: SQL) {
  const counted = and(eq(careSessionReviews.caregiverId, caregiverProfiles.userId), exclude);
  return ctx.db
    .update(caregiverProfiles)
    .set({
      ratingAverage: sql`(select avg(${careSessionReviews.rating}) from ${careSessionReviews} where ${counted})`,
      ratingCount: sql`(select count(*) from ${careSessionReviews} where ${counted})`,
    })
    .where(inArray(caregiverProfiles.userId, caregiverIds));
}

const alreadyReviewed = () => new AppError('CONFLICT', 'This care session is already reviewed');

function toSessionReviewView(row: CareSessionReviewRow): SessionReviewView {
  return {
    id: row.id,
    sessionId: row.sessionId,
    caregiverId: row.caregiverId,
    rating: row.rating,
    comment: row.comment,
    createdAt: iso(row.createdAt),
  };
}

/**
 * The calling patient's review of their completed care session, once; the caregiver's rating is
 * recomputed from the reviews in the same batch. Two round trips: the session and an existing review
 * in one read; the review, the rating and the audit event in one write.
 * @throws AppError NOT_FOUND (not the caller's session as patient), INVALID_TRANSITION (not
 *   completed), CONFLICT (already reviewed)
 */
export async function createSessionReview(
  ctx: AuthedContext,
  sessionId: string,
  input: CreateSessionReviewInput,
): Promise<SessionReviewView> {
  const read = await batchOf(ctx.db, {
    session: ctx.db
      .select({
        id: careSessions.id,
        patientId: careSessions.patientId,
        caregiverId: careSessions.caregiverId,
        status: careSessions.status,
      })
      .from(careSessions)
      .where(and(eq(careSessions.id, sessionId), eq(careSessions.patientId, ctx.actor.id))),
    existing: ctx.db
      .select({ id: careSessionReviews.id })
      .from(careSessionReviews)
      .where(eq(careSessionReviews.sessionId, sessionId)),
  });
  const session = read.session[0];
  if (!session) throw notFound('Care session');
  if (session.status !== 'completed') {
    throw new AppError(
      'INVALID_TRANSITION',
      `Only a completed care session can be reviewed; this one is ${session.status}`,
      {
        details: { status: session.status },
      },
    );
  }
  if (read.existing.length) throw alreadyReviewed();
  const now = ctx.clock.now().getTime();
  const row: CareSessionReviewRow = {
    id: ctx.ids.id('csr'),
    sessionId: session.id,
    patientId: session.patientId,
    caregiverId: session.caregiverId,
    rating: input.rating,
    comment: input.comment ?? null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await ctx.db.batch([
      ctx.db.insert(careSessionReviews).values(row),
      recomputeCaregiverRating(ctx, [row.caregiverId]),
      // Ids only in the audit trail: never the review's text.
      auditInsert(ctx, {
        action: 'careSession.review.create',
        resourceType: 'care-session-review',
        resourceId: row.id,
        patientId: row.patientId,
        metadata: { sessionId: row.sessionId, caregiverId: row.caregiverId, rating: row.rating },
      }),
    ]);
  } catch (err) {
    // Another request reviewed the same session between the read and the write.
    if (isUniqueViolation(err, careSessionReviews.sessionId)) throw alreadyReviewed();
    throw err;
  }
  return toSessionReviewView(row);
}

/**
 * A listed caregiver's session reviews, newest first, without their authors (a home-care review
 * tells who receives care). One round trip: the caregiver, the page and its total in one batch.
 * @throws AppError NOT_FOUND (no such listed caregiver)
 */
export async function listCaregiverReviews(
  ctx: ServiceContext,
  caregiverId: string,
  query: { page: number; limit: number },
) {
  const where = eq(careSessionReviews.caregiverId, caregiverId);
  const { caregiver, rows, total } = await batchOf(ctx.db, {
    caregiver: ctx.db
      .select({ id: users.id })
      .from(users)
      .innerJoin(caregiverProfiles, eq(caregiverProfiles.userId, users.id))
      .where(and(eq(users.id, caregiverId), LISTED_CAREGIVER)),
    rows: ctx.db
      .select({
        id: careSessionReviews.id,
        rating: careSessionReviews.rating,
        comment: careSessionReviews.comment,
        createdAt: careSessionReviews.createdAt,
      })
      .from(careSessionReviews)
      .where(where)
      .orderBy(desc(careSessionReviews.createdAt), desc(careSessionReviews.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(careSessionReviews).where(where),
  });
  if (!caregiver[0]) throw notFound('Caregiver');
  return page(
    rows.map((r) => ({ ...r, createdAt: iso(r.createdAt) })),
    total[0]?.n ?? 0,
    query,
  );
}
