import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { appointments, doses, wellnessGoals } from '../../db/schema';
import { qualified } from '../../db/sql';
import { DAY_MS, iso } from '../../lib/time';
import { appointmentDetails, detailView } from '../appointments/appointment-access';
import { adherenceOf, todaysDoses, todaysDosesQueries } from '../schedules/dose-reads.service';
import { DOSE_GRACE_MS } from '../schedules/doses.service';
import { filterOnly } from './query-hints';

/** The adherence windows, in days back from now. */
export const ADHERENCE_DAYS = [7, 30] as const;

/**
 * The dose counts of the caller's doses due in [now − days, now], each with its status as of now (a
 * pending dose past its grace counts as missed), as one row.
 */
function adherenceQuery(ctx: AuthedContext, now: number, days: number) {
  const status = qualified(doses.status);
  const overdue = sql`${qualified(doses.scheduledAt)} <= ${now - DOSE_GRACE_MS}`;
  return ctx.db
    .select({
      taken: sql<number>`coalesce(sum(${status} = 'taken'), 0)`,
      skipped: sql<number>`coalesce(sum(${status} = 'skipped'), 0)`,
      missed: sql<number>`coalesce(sum(${status} = 'missed' or (${status} = 'pending' and ${overdue})), 0)`,
      pending: sql<number>`coalesce(sum(${status} = 'pending' and not (${overdue})), 0)`,
    })
    .from(doses)
    .where(
      and(eq(doses.ownerId, ctx.actor.id), gte(doses.scheduledAt, now - days * DAY_MS), lt(doses.scheduledAt, now + 1)),
    );
}

/**
 * The calling patient's dashboard: their next appointment (pending or confirmed, not started yet),
 * today's doses in their zone (as GET /doses lists them, computed doses included), their adherence
 * over the last 7 and 30 days (taken ÷ (taken + missed + skipped), as GET /doses/history counts it;
 * `due` is that denominator) and their active goals with their progress.
 *
 * One D1 round trip; writes nothing.
 */
export async function patientDashboard(ctx: AuthedContext) {
  const me = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  const read = await batchOf(ctx.db, {
    next: appointmentDetails(ctx)
      .where(
        and(
          eq(appointments.patientId, me),
          filterOnly(appointments.status, ['pending', 'confirmed']),
          gte(appointments.startsAt, now),
        ),
      )
      .orderBy(asc(appointments.startsAt), asc(appointments.id))
      .limit(1),
    ...todaysDosesQueries(ctx, me),
    week: adherenceQuery(ctx, now, ADHERENCE_DAYS[0]),
    month: adherenceQuery(ctx, now, ADHERENCE_DAYS[1]),
    goals: ctx.db
      .select()
      .from(wellnessGoals)
      .where(and(eq(wellnessGoals.userId, me), eq(wellnessGoals.status, 'active')))
      .orderBy(asc(wellnessGoals.createdAt), asc(wellnessGoals.id)),
  });
  const adherence = (days: number, row: (typeof read.week)[number] | undefined) => {
    const summary = adherenceOf({
      taken: row?.taken ?? 0,
      missed: row?.missed ?? 0,
      skipped: row?.skipped ?? 0,
      pending: row?.pending ?? 0,
    });
    return { days, due: summary.taken + summary.missed + summary.skipped, ...summary };
  };
  const next = read.next[0];
  return {
    nextAppointment: next ? detailView(next) : null,
    doses: todaysDoses(ctx, read),
    adherence: { last7Days: adherence(7, read.week[0]), last30Days: adherence(30, read.month[0]) },
    goals: read.goals.map((g) => ({
      id: g.id,
      title: g.title,
      category: g.category,
      targetValue: g.targetValue,
      unit: g.unit,
      progress: g.progress,
      percent: g.targetValue > 0 ? Math.min(100, Math.round((g.progress / g.targetValue) * 1000) / 10) : 100,
      dueDate: g.dueDate,
      createdAt: iso(g.createdAt),
    })),
  };
}
