import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type AppointmentStatus, appointments, userProfiles } from '../../db/schema';
import { appointmentDetails, detailView } from '../appointments/appointment-access';
import { anyZoneWindow, dayOf, zoneOr } from './local-days';

/** At most this many appointments awaiting confirmation are listed (all are counted). */
export const AWAITING_LISTED = 50;

/** The day's visits at the front desk: expected (confirmed), arrived (in progress), seen, missed. */
const ARRIVAL_STATUSES: AppointmentStatus[] = ['confirmed', 'in-progress', 'completed', 'no-show'];

/**
 * The front desk's dashboard. Receptionists are staff and see every appointment (as
 * `appointment-access` scopes them), so it covers the whole practice: the requests awaiting
 * confirmation (pending, not started yet), soonest first, and today's arrivals in the receptionist's
 * zone (their profile's, else UTC): confirmed visits still expected, in-progress ones (the patient has
 * arrived and the visit started), completed and no-show, with counts of each.
 *
 * One D1 round trip (the zone is read beside a window holding today in any zone); writes nothing.
 */
export async function receptionistDashboard(ctx: AuthedContext) {
  const now = ctx.clock.now().getTime();
  const window = anyZoneWindow(now, 1);
  const awaiting = and(eq(appointments.status, 'pending'), gte(appointments.startsAt, now));
  const read = await batchOf(ctx.db, {
    zone: ctx.db
      .select({ timeZone: userProfiles.timeZone })
      .from(userProfiles)
      .where(eq(userProfiles.userId, ctx.actor.id)),
    awaitingCount: ctx.db.select({ n: sql<number>`count(*)` }).from(appointments).where(awaiting),
    awaiting: appointmentDetails(ctx)
      .where(awaiting)
      .orderBy(asc(appointments.startsAt), asc(appointments.id))
      .limit(AWAITING_LISTED),
    arrivals: appointmentDetails(ctx)
      .where(
        and(
          inArray(appointments.status, ARRIVAL_STATUSES),
          gte(appointments.startsAt, window.low),
          lt(appointments.startsAt, window.high),
        ),
      )
      .orderBy(asc(appointments.startsAt), asc(appointments.id)),
  });
  const zone = zoneOr(read.zone[0]?.timeZone);
  const today = dayOf(now, zone);
  const arrivals = read.arrivals.filter((row) => dayOf(row.startsAt, zone) === today);
  const countOf = (status: AppointmentStatus) => arrivals.filter((row) => row.status === status).length;
  return {
    timeZone: zone,
    awaitingConfirmation: {
      count: read.awaitingCount[0]?.n ?? 0,
      appointments: read.awaiting.map((r) => detailView(r)),
    },
    arrivals: {
      date: today,
      expected: countOf('confirmed'),
      arrived: countOf('in-progress'),
      completed: countOf('completed'),
      noShow: countOf('no-show'),
      appointments: arrivals.map((r) => detailView(r)),
    },
  };
}
