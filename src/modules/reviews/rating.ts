import { type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { doctorRatings, reviews } from '../../db/schema';

/**
 * The statement that recomputes the rating of the doctors `doctorIds` selects (one id, or SQL yielding
 * a `doctor_id` column) from their published reviews, for the batch of every change that affects it
 * (create, edit, hide, restore, release from held, erasure): so the rating is never stale and a failed
 * batch leaves the old one. `exclude` leaves out reviews a later statement of the batch deletes.
 *
 * The aggregation: the plain average of `rating` over the doctor's published reviews, and of each
 * category over the published reviews that rated it (null when none did); `review_count` counts the
 * published reviews. No recency weight: a doctor's rating moves with each review alike. A doctor whose
 * last review went keeps a row with count 0. (`where true`: SQLite's upsert after a SELECT needs a WHERE to parse.)
 */
export function recomputeRating(ctx: ServiceContext, doctorIds: string | SQL, exclude?: SQL) {
  const now = ctx.clock.now().getTime();
  const ids = typeof doctorIds === 'string' ? sql`select ${doctorIds} as doctor_id` : doctorIds;
  const counted = exclude ? sql` and not (${exclude})` : sql``;
  return ctx.db.run(sql`
    insert into ${doctorRatings} (doctor_id, review_count, average, punctuality, bedside_manner, communication, wait_time, updated_at)
    select d.doctor_id, count(r.id), avg(r.rating), avg(r.punctuality), avg(r.bedside_manner), avg(r.communication), avg(r.wait_time), ${now}
    from (${ids}) d
    left join ${reviews} r on r.doctor_id = d.doctor_id and r.status = 'published'${counted}
    where true
    group by d.doctor_id
    on conflict (doctor_id) do update set
      review_count = excluded.review_count, average = excluded.average, punctuality = excluded.punctuality,
      bedside_manner = excluded.bedside_manner, communication = excluded.communication,
      wait_time = excluded.wait_time, updated_at = excluded.updated_at`);
}
