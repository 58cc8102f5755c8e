import { and, asc, desc, eq, gte, lt, notInArray, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type CareSessionStatus,
  careAlerts,
  caregiverLinks,
  caregiverSchedules,
  careReports,
  careSessions,
  userProfiles,
  users,
} from '../../db/schema';
import { qualified } from '../../db/sql';
import { DAY_MS, iso } from '../../lib/time';
import { sessionDetails, toCareSessionView } from '../care-sessions/care-session-access';
import { anyZoneWindow, dayOf, zoneOr } from './local-days';
import { filterOnly } from './query-hints';

/** Sessions that never take place. */
const OFF_SCHEDULE: CareSessionStatus[] = ['declined', 'cancelled'];
/** Sessions still ahead: requested (awaiting the caregiver's answer) or confirmed. */
const UPCOMING: CareSessionStatus[] = ['requested', 'confirmed'];
/** Sessions that make the caregiver one of the patient's carers (with the active links). */
const CARING: CareSessionStatus[] = ['confirmed', 'in-progress', 'completed'];
/** At most this many upcoming sessions, open alerts and sessions awaiting a report are listed. */
export const LISTED = 20;
/** Completed sessions this recent without a care report are listed as reports to file. */
export const REPORT_DUE_DAYS = 30;

/**
 * The calling caregiver's dashboard, in their zone (their schedule's, else their profile's, else UTC):
 * today's sessions, the upcoming ones (after today; with how many still await their answer), the open
 * alerts of their patients (patients they have a confirmed, in-progress or completed session with, or
 * an active link to) and their completed sessions of the last 30 days with no care report filed yet.
 * Alerts show ids, severity and times only (no report content).
 *
 * One D1 round trip; writes nothing.
 */
export async function caregiverDashboard(ctx: AuthedContext) {
  const me = ctx.actor.id;
  const now = ctx.clock.now().getTime();
  const window = anyZoneWindow(now, 1);
  const mine = eq(careSessions.caregiverId, me);
  const myPatients = sql`(select ${qualified(careSessions.patientId)} from ${careSessions} where ${qualified(careSessions.caregiverId)} = ${me} and ${filterOnly(careSessions.status, CARING)} union select ${qualified(caregiverLinks.patientId)} from ${caregiverLinks} where ${qualified(caregiverLinks.caregiverId)} = ${me} and ${qualified(caregiverLinks.endedAt)} is null)`;
  const openAlerts = and(eq(careAlerts.status, 'open'), sql`${qualified(careAlerts.patientId)} in ${myPatients}`);
  const noReport = sql`not exists (select 1 from ${careReports} where ${qualified(careReports.patientId)} = ${qualified(careSessions.patientId)} and ${qualified(careReports.sessionId)} = ${qualified(careSessions.id)})`;
  const reportsDue = and(
    mine,
    filterOnly(careSessions.status, ['completed']),
    gte(careSessions.startsAt, now - REPORT_DUE_DAYS * DAY_MS),
    noReport,
  );
  const read = await batchOf(ctx.db, {
    zone: ctx.db
      .select({ schedule: caregiverSchedules.timeZone, profile: userProfiles.timeZone })
      .from(users)
      .leftJoin(caregiverSchedules, eq(caregiverSchedules.caregiverId, users.id))
      .leftJoin(userProfiles, eq(userProfiles.userId, users.id))
      .where(eq(users.id, me)),
    around: sessionDetails(ctx)
      .where(
        and(
          mine,
          gte(careSessions.startsAt, window.low),
          lt(careSessions.startsAt, window.high),
          notInArray(careSessions.status, OFF_SCHEDULE),
        ),
      )
      .orderBy(asc(careSessions.startsAt), asc(careSessions.id)),
    upcoming: sessionDetails(ctx)
      .where(and(mine, gte(careSessions.startsAt, now), filterOnly(careSessions.status, UPCOMING)))
      .orderBy(asc(careSessions.startsAt), asc(careSessions.id))
      // Sessions later today come first; a day holds few.
      .limit(LISTED * 3),
    awaitingAnswer: ctx.db
      .select({ n: sql<number>`count(*)` })
      .from(careSessions)
      .where(and(mine, filterOnly(careSessions.status, ['requested']), gte(careSessions.startsAt, now))),
    alertCount: ctx.db.select({ n: sql<number>`count(*)` }).from(careAlerts).where(openAlerts),
    alerts: ctx.db
      .select({
        id: careAlerts.id,
        patientId: careAlerts.patientId,
        patientName: users.name,
        reportId: careAlerts.reportId,
        severity: careAlerts.severity,
        createdAt: careAlerts.createdAt,
      })
      .from(careAlerts)
      .leftJoin(users, eq(users.id, careAlerts.patientId))
      .where(openAlerts)
      .orderBy(desc(careAlerts.createdAt), desc(careAlerts.id))
      .limit(LISTED),
    reportsDueCount: ctx.db.select({ n: sql<number>`count(*)` }).from(careSessions).where(reportsDue),
    reportsDue: sessionDetails(ctx)
      .where(reportsDue)
      .orderBy(desc(careSessions.startsAt), desc(careSessions.id))
      .limit(LISTED),
  });
  const zone = zoneOr(read.zone[0]?.schedule, read.zone[0]?.profile);
  const today = dayOf(now, zone);
  const view = (row: Parameters<typeof toCareSessionView>[0]) => toCareSessionView(row);
  const upcoming = read.upcoming.filter((row) => dayOf(row.startsAt, zone) > today);
  return {
    timeZone: zone,
    today: { date: today, sessions: read.around.filter((row) => dayOf(row.startsAt, zone) === today).map(view) },
    upcoming: { awaitingAnswer: read.awaitingAnswer[0]?.n ?? 0, sessions: upcoming.slice(0, LISTED).map(view) },
    openAlerts: {
      count: read.alertCount[0]?.n ?? 0,
      alerts: read.alerts.map((a) => ({ ...a, createdAt: iso(a.createdAt) })),
    },
    reportsDue: { count: read.reportsDueCount[0]?.n ?? 0, sessions: read.reportsDue.map(view) },
  };
}
