import type { AuthedContext } from '../../context';
import { runBatch } from '../../db/batch';
import type { SpecialHoursRow } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { awaitingReminderFactsQuery, movableAppointmentsQuery, notifyAffected } from '../appointments/affected';
import type { AppointmentDetail, AppointmentView } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import type { SetSpecialHoursInput } from '../availability/availability.schemas';
import {
  specialHoursDelete,
  specialHoursOnQuery,
  stageSpecialHours,
  toSpecialHoursView,
  upcomingChangesQueries,
} from '../availability/availability.service';
import { announceTimeFreed } from '../availability/time-freed';
import { assertPracticeOpen, ensureDoctorProfile, managedDoctor } from '../doctors/doctor-access';
import { planRebooking } from './rebooking-flags';
import { anyZoneWindow, type Cause, remainingCauses, specialHoursCause } from './schedule-changes.policy';
import type { SpecialHoursChangeView } from './schedule-changes.schemas';

/** The doctor, the date's special hours, their movable bookings around it and what else may take time. */
function readDate(ctx: AuthedContext, doctorId: string, date: string) {
  return managedDoctor(ctx, doctorId, {
    existing: specialHoursOnQuery(ctx, doctorId, date),
    movable: movableAppointmentsQuery(ctx, doctorId, anyZoneWindow(date)),
    reminderFacts: awaitingReminderFactsQuery(ctx, doctorId),
    ...upcomingChangesQueries(ctx, doctorId),
  });
}

/** The bookings the date's special hours flagged (their movable bookings carry the flag's cause). */
const flaggedBy = (existing: SpecialHoursRow | undefined, movable: AppointmentDetail[]) =>
  existing ? movable.filter((a) => a.needsRebooking && a.affectedById === existing.id) : [];

/** Every other time off and date that may still take bookings' time, in the doctor's zone. */
function othersThan(
  date: string,
  zone: string,
  reads: { upcomingTimeOff: Parameters<typeof remainingCauses>[0]; upcomingSpecialHours: SpecialHoursRow[] },
): Cause[] {
  return remainingCauses(
    reads.upcomingTimeOff,
    reads.upcomingSpecialHours.filter((s) => s.date !== date),
    zone,
  );
}

/**
 * Sets a doctor's hours on one local date (replacing that date's weekly hours, or an earlier setting
 * of the date) and acts on the bookings it changes, in two round trips: the doctor, the date's current
 * setting, their movable appointments around it and their upcoming time off and special hours are read
 * together, then one batch writes it all with the audit row. In the doctor's zone (DST-correct):
 * - the pending or confirmed appointments, not yet over, that the new hours leave outside the date's
 *   hours wait to be rebooked (flagged, history event, patients told after the response), unless
 *   something flagged them already; all of them are `affected` in the answer;
 * - those the date's earlier setting flagged that now fit its hours are `restored` (or linked to time
 *   off that still takes their time).
 * @throws AppError NOT_FOUND (no such doctor, or another's practice), CONFLICT (blocked or removed account),
 *   VALIDATION_FAILED (date before the doctor's today or too far ahead)
 */
export async function setSpecialHours(
  ctx: AuthedContext,
  doctorId: string,
  date: string,
  input: SetSpecialHoursInput,
): Promise<SpecialHoursChangeView> {
  const { user, profile, reads } = await readDate(ctx, doctorId, date);
  assertPracticeOpen(user);
  const existing = reads.existing[0];
  const { row, statement } = stageSpecialHours(ctx, profile, date, input, existing);
  const plan = planRebooking(ctx, {
    cause: specialHoursCause(row, profile.timeZone),
    movable: reads.movable,
    undone: existing
      ? { id: existing.id, flagged: flaggedBy(existing, reads.movable), facts: reads.reminderFacts }
      : undefined,
    remaining: othersThan(date, profile.timeZone, reads),
  });
  const results = await runBatch(ctx.db, [
    ensureDoctorProfile(ctx, doctorId),
    statement,
    ...plan.statements,
    auditInsert(ctx, {
      action: 'doctor.specialHours.set',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { specialHoursId: row.id, date, intervals: row.hours.length },
    }),
  ]);
  const { affected, flagged, restored } = plan.outcome(results, 2);
  notifyAffected(ctx, { flagged, restored });
  announceTimeFreed(ctx, doctorId);
  const stored = (results[1] as SpecialHoursRow[])[0] ?? row;
  return { specialHours: toSpecialHoursView(stored), affected, restored };
}

/**
 * Removes a doctor's special hours of one date: the weekly hours apply to it again. The bookings they
 * flagged that still wait are linked to time off that still takes their time, or else restored.
 * @throws AppError NOT_FOUND (no such doctor, another's practice, or no special hours on that date)
 */
export async function deleteSpecialHours(
  ctx: AuthedContext,
  doctorId: string,
  date: string,
): Promise<{ id: string; date: string; restored: AppointmentView[] }> {
  const { profile, reads } = await readDate(ctx, doctorId, date);
  const existing = reads.existing[0];
  if (!existing) throw notFound('Special hours');
  const plan = planRebooking(ctx, {
    undone: { id: existing.id, flagged: flaggedBy(existing, reads.movable), facts: reads.reminderFacts },
    remaining: othersThan(date, profile.timeZone, reads),
  });
  const results = await runBatch(ctx.db, [
    ensureDoctorProfile(ctx, doctorId),
    specialHoursDelete(ctx, doctorId, date),
    ...plan.statements,
    auditInsert(ctx, {
      action: 'doctor.specialHours.delete',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { specialHoursId: existing.id, date },
    }),
  ]);
  const { restored } = plan.outcome(results, 2);
  notifyAffected(ctx, { restored });
  announceTimeFreed(ctx, doctorId);
  return { id: existing.id, date, restored };
}
