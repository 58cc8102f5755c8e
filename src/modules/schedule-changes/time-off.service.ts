import { sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { runBatch } from '../../db/batch';
import { notFound } from '../../lib/errors';
import {
  affectedPageOf,
  affectedPageQueries,
  awaitingRebookingQuery,
  awaitingReminderFactsQuery,
  movableAppointmentsQuery,
  notifyAffected,
} from '../appointments/affected';
import type { AppointmentView } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import type { CreateTimeOffInput, TimeOffView } from '../availability/availability.schemas';
import {
  stageTimeOff,
  timeOffDelete,
  timeOffQuery,
  toTimeOffView,
  upcomingChangesQueries,
} from '../availability/availability.service';
import { announceTimeFreed } from '../availability/time-freed';
import { assertPracticeOpen, ensureDoctorProfile, managedDoctor } from '../doctors/doctor-access';
import { planRebooking } from './rebooking-flags';
import { anyZoneWindow, remainingCauses, timeOffCause } from './schedule-changes.policy';

/**
 * Adds time off (any kind) and takes the time of the bookings inside it, in two round trips: the doctor
 * and their movable appointments around the period are read together (a superset: whole local days
 * are bounded before the zone is known), then one batch writes the time off, flags the pending or
 * confirmed appointments it overlaps that are not over yet (each with a `needs-rebooking` history event)
 * and the audit row. Patients are told after the response. The answer is the time off with `affected`:
 * every appointment inside it that now waits to be rebooked (also those an earlier change flagged).
 * @throws AppError NOT_FOUND (no such doctor, or another's practice), CONFLICT (blocked or removed account),
 *   VALIDATION_FAILED (an emergency starting now that does not end after now)
 */
export async function createTimeOff(
  ctx: AuthedContext,
  doctorId: string,
  input: CreateTimeOffInput,
): Promise<TimeOffView & { affected: AppointmentView[] }> {
  const now = ctx.clock.now().getTime();
  const window = input.startDate
    ? anyZoneWindow(input.startDate, input.endDate ?? input.startDate)
    : { start: input.startsAt === undefined ? now : Date.parse(input.startsAt), end: Date.parse(input.endsAt!) };
  const { user, profile, reads } = await managedDoctor(ctx, doctorId, {
    movable: movableAppointmentsQuery(ctx, doctorId, window),
  });
  assertPracticeOpen(user);
  const { row, statement } = stageTimeOff(ctx, profile, input);
  const plan = planRebooking(ctx, { cause: timeOffCause(row), movable: reads.movable, remaining: [] });
  const head = [ensureDoctorProfile(ctx, doctorId), statement];
  const results = await runBatch(ctx.db, [
    ...head,
    ...plan.statements,
    auditInsert(ctx, {
      action: 'doctor.timeOff.create',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { timeOffId: row.id, kind: row.kind },
    }),
  ]);
  const outcome = plan.outcome(results, head.length);
  notifyAffected(ctx, { flagged: outcome.flagged });
  return { ...toTimeOffView(row), affected: outcome.affected };
}

/**
 * Removes time off. The appointments it flagged that still wait to be rebooked are linked to another
 * time off or special hours that still takes their time, or else restored: they keep their time, wait
 * no more (a `rebooking-cleared` event), get their reminders again and their patients are told. Those already rebooked or
 * cancelled stay as they are. Two round trips: the time off, what it flagged and the doctor's upcoming
 * time off and special hours are read together, then one batch writes it all.
 * @throws AppError NOT_FOUND (no such doctor, or no such time off of theirs)
 */
export async function deleteTimeOff(
  ctx: AuthedContext,
  doctorId: string,
  timeOffId: string,
): Promise<{ id: string; restored: AppointmentView[] }> {
  const { profile, reads } = await managedDoctor(ctx, doctorId, {
    existing: timeOffQuery(ctx, doctorId, timeOffId),
    flagged: awaitingRebookingQuery(ctx, doctorId, timeOffId),
    reminderFacts: awaitingReminderFactsQuery(ctx, doctorId),
    ...upcomingChangesQueries(ctx, doctorId),
  });
  if (!reads.existing[0]) throw notFound('Time off');
  const plan = planRebooking(ctx, {
    undone: { id: timeOffId, flagged: reads.flagged, facts: reads.reminderFacts },
    remaining: remainingCauses(
      reads.upcomingTimeOff.filter((t) => t.id !== timeOffId),
      reads.upcomingSpecialHours,
      profile.timeZone,
    ),
  });
  const results = await runBatch(ctx.db, [
    ensureDoctorProfile(ctx, doctorId),
    timeOffDelete(ctx, doctorId, timeOffId),
    ...plan.statements,
    auditInsert(ctx, {
      action: 'doctor.timeOff.delete',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { timeOffId },
    }),
  ]);
  const { restored } = plan.outcome(results, 2);
  notifyAffected(ctx, { restored });
  announceTimeFreed(ctx, doctorId);
  return { id: timeOffId, restored };
}

/**
 * The appointments one time off of the doctor flagged, whatever became of them since (`needsRebooking`
 * says which still wait), soonest first, in one round trip with the audit row of the read.
 * @throws AppError NOT_FOUND (no such doctor, or no such time off of theirs)
 */
export async function timeOffAffected(
  ctx: AuthedContext,
  doctorId: string,
  timeOffId: string,
  query: { page: number; limit: number },
) {
  const theirs = timeOffQuery(ctx, doctorId, timeOffId);
  const { reads } = await managedDoctor(ctx, doctorId, {
    timeOff: theirs,
    ...affectedPageQueries(ctx, { doctorId, causeId: timeOffId }, query, {
      as: ctx.actor.id === doctorId ? 'doctor' : 'staff',
      guard: sql`exists ${theirs}`,
    }),
  });
  if (!reads.timeOff[0]) throw notFound('Time off');
  return affectedPageOf(reads, query);
}
