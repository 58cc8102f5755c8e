import { eq, inArray, ne, or, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { doctorRatings, reviewFlags, reviews } from '../../db/schema';
import { recomputeRating } from './rating';

/**
 * The reviews module's part of an account erasure, the same in both modes. A review is the patient's
 * own words about a visit, so an erased patient's reviews are removed, not anonymised (an anonymous
 * review still reads as theirs to the doctor), and the rating of every doctor they reviewed is
 * recomputed without them first, in the same batch. An erased doctor's reviews and rating row go. The
 * account's flags are removed (the counts on the flagged reviews drop), as are all flags on the
 * removed reviews; an erased admin's id leaves the reviews they moderated (the reason stays).
 */
export function reviewsErasure(ctx: ServiceContext, userId: string, _mode: EraseMode): Erasure {
  const db = ctx.db;
  const gone = or(eq(reviews.patientId, userId), eq(reviews.doctorId, userId));
  const goneIds = db.select({ id: reviews.id }).from(reviews).where(gone);
  return {
    statements: [
      recomputeRating(
        ctx,
        db.selectDistinct({ id: reviews.doctorId }).from(reviews).where(eq(reviews.patientId, userId)),
        ne(reviews.patientId, userId),
      ),
      db
        .update(reviews)
        .set({
          flagCount: sql`${reviews.flagCount} - (select count(*) from ${reviewFlags} where ${reviewFlags.reviewId} = ${reviews.id} and ${reviewFlags.userId} = ${userId})`,
        })
        .where(
          inArray(
            reviews.id,
            db.select({ id: reviewFlags.reviewId }).from(reviewFlags).where(eq(reviewFlags.userId, userId)),
          ),
        ),
      db.delete(reviewFlags).where(eq(reviewFlags.userId, userId)),
      db.delete(reviewFlags).where(inArray(reviewFlags.reviewId, goneIds)),
      db.delete(reviews).where(gone),
      db.update(reviews).set({ moderatedBy: null }).where(eq(reviews.moderatedBy, userId)),
      db.delete(doctorRatings).where(eq(doctorRatings.doctorId, userId)),
    ],
  };
}
