import { and, count, eq, inArray, type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { doctorRatings, reviews, users } from '../../db/schema';

const excluded = (column: string) => sql.raw(`excluded.${column}`);

/**
 * The statement that recomputes the rating of the doctors `doctorIds` names (ids, or a subquery of
 * ids) from their published reviews, for the batch of every change that affects it (create, edit,
 * hide, restore, release from held, erasure): so the rating is never stale and a failed batch leaves
 * the old one. `exclude` leaves out reviews a later statement of the batch deletes.
 *
 * The aggregation: the plain average of `rating` over the doctor's published reviews, and of each
 * category over the published reviews that rated it (null when none did); `review_count` counts the
 * published reviews. No recency weight: a doctor's rating moves with each review alike. A doctor whose
 * last review went keeps a row with count 0.
 */
export function recomputeRating(ctx: ServiceContext, doctorIds: string[] | SQLWrapper, exclude?: SQL) {
  const db = ctx.db;
  const now = ctx.clock.now().getTime();
  const counted = and(eq(reviews.doctorId, users.id), eq(reviews.status, 'published'), exclude);
  return db
    .insert(doctorRatings)
    .select(
      db
        .select({
          doctorId: users.id,
          reviewCount: count(reviews.id).as('review_count'),
          average: sql<number | null>`avg(${reviews.rating})`.as('average'),
          punctuality: sql<number | null>`avg(${reviews.punctuality})`.as('punctuality'),
          bedsideManner: sql<number | null>`avg(${reviews.bedsideManner})`.as('bedside_manner'),
          communication: sql<number | null>`avg(${reviews.communication})`.as('communication'),
          waitTime: sql<number | null>`avg(${reviews.waitTime})`.as('wait_time'),
          updatedAt: sql<number>`${now}`.as('updated_at'),
        })
        .from(users)
        .leftJoin(reviews, counted)
        .where(inArray(users.id, doctorIds))
        .groupBy(users.id),
    )
    .onConflictDoUpdate({
      target: doctorRatings.doctorId,
      set: {
        reviewCount: excluded('review_count'),
        average: excluded('average'),
        punctuality: excluded('punctuality'),
        bedsideManner: excluded('bedside_manner'),
        communication: excluded('communication'),
        waitTime: excluded('wait_time'),
        updatedAt: excluded('updated_at'),
      },
    });
}
