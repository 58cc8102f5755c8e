import { and, eq, isNull, type SQL } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import type { Statements } from '../../db/batch';
import { careDeaths, careSessions, schedules, userProfiles, vaccineSchedules } from '../../db/schema';
import { localDateAt } from '../../lib/time';
import { cancelUpcomingOfDeceased } from '../appointments/appointments.erasure';
import { auditInsert } from '../audit/audit.service';
import { cancelLiveSessions } from '../care-sessions/cancel-many';
import { cancelRemindersIn } from '../notifications/reminders';
import { endSchedulesStatements } from '../schedules/schedules.service';
import { VACCINE_SUBJECT } from '../vaccinations/vaccine-reminders';

/**
 * The protocol a `deceased` report starts, once per patient (`care_deaths`, one row each): the account
 * marked; their upcoming appointments cancelled by staff with the policy's refund (in full), and their
 * live care sessions cancelled (billed only at check-out, so nothing to refund); their
 * medicine and supplement schedules ended today (future doses and reminders gone, history kept, as the
 * schedules module ends one); their own vaccine doses not yet given switched off with their reminders
 * (dependents' plans stay: someone else may take them over). The notices (contacts and doctors) are the
 * alerts'. A patient already marked: nothing more.
 */

/** What the protocol reads in the write's read batch. */
export function deceasedQueries(ctx: AuthedContext, patientId: string | SQL) {
  return {
    death: ctx.db.select().from(careDeaths).where(eq(careDeaths.patientId, patientId)),
    zone: ctx.db
      .select({ timeZone: userProfiles.timeZone })
      .from(userProfiles)
      .where(eq(userProfiles.userId, patientId)),
    schedules: ctx.db
      .select({ id: schedules.id, endDate: schedules.endDate })
      .from(schedules)
      .where(eq(schedules.ownerId, patientId)),
  };
}

/** The protocol's statements for the write batch (none when the patient is already marked). */
export function deceasedStatements(
  ctx: AuthedContext,
  input: { patientId: string; reportId: string },
  read: {
    death: unknown[];
    zone: { timeZone: string | null }[];
    schedules: { id: string; endDate: string | null }[];
  },
): Statements {
  if (read.death.length) return [];
  const { patientId, reportId } = input;
  const now = ctx.clock.now().getTime();
  const today = localDateAt(now, read.zone[0]?.timeZone ?? 'UTC');
  const running = read.schedules.filter((s) => s.endDate === null || s.endDate > today).map((s) => s.id);
  const vaccineDoses = and(
    eq(vaccineSchedules.ownerId, patientId),
    isNull(vaccineSchedules.dependentId),
    eq(vaccineSchedules.status, 'scheduled'),
    eq(vaccineSchedules.active, true),
  );
  return [
    ctx.db.insert(careDeaths).values({ patientId, reportId, reportedBy: ctx.actor.id, at: now }).onConflictDoNothing(),
    ...cancelUpcomingOfDeceased(ctx, patientId, ctx.actor.id),
    ...cancelLiveSessions(ctx, eq(careSessions.patientId, patientId), ctx.actor, 'The patient has passed away'),
    ...endSchedulesStatements(ctx, patientId, running, today, now),
    // Reminders first: they are found by the doses the next statement switches off.
    cancelRemindersIn(
      ctx,
      VACCINE_SUBJECT,
      ctx.db.select({ id: vaccineSchedules.id }).from(vaccineSchedules).where(vaccineDoses),
    ),
    ctx.db.update(vaccineSchedules).set({ active: false, updatedAt: now }).where(vaccineDoses),
    auditInsert(ctx, {
      action: 'care_report.deceased_protocol',
      resourceType: 'care_report',
      resourceId: reportId,
      patientId,
      metadata: { schedulesEnded: running.length },
    }),
  ];
}
