import type { ServiceContext } from '../../context';
import type { SpecialHoursRow } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { DAY_MS } from '../../lib/time';
import { movableAppointmentsQuery } from '../appointments/affected';
import { detailView } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import type { SetSpecialHoursInput } from '../availability/availability.schemas';
import {
  specialHoursDelete,
  specialHoursOnQuery,
  stageSpecialHours,
  toSpecialHoursView,
} from '../availability/availability.service';
import { localDaySpan, localIntervals } from '../availability/slots';
import { assertPracticeOpen, ensureDoctorProfile, managedDoctor } from '../doctors/doctor-access';
import { outsideHours } from './schedule-changes.policy';
import type { SpecialHoursChangeView } from './schedule-changes.schemas';

/**
 * Every instant of a local date lies within a day either side of its UTC midnight (offsets are at most
 * ±14 h), so this UTC window holds the date in any zone: the read batch needs no zone to bound it.
 */
function anyZoneWindow(date: string) {
  const midnight = Date.parse(`${date}T00:00:00Z`);
  return { start: midnight - DAY_MS, end: midnight + 2 * DAY_MS };
}

/**
 * Sets a doctor's hours on one local date (replacing that date's weekly hours, or an earlier setting
 * of the date), in two round trips: the doctor, the date's current setting and their movable
 * appointments around it are read together, then one batch writes the setting and its audit row. The
 * answer lists the pending or confirmed appointments, not yet over, that the new hours leave outside
 * the doctor's hours on that date (in the doctor's zone, DST-correct): they keep their time until
 * someone moves or cancels them.
 * @throws AppError NOT_FOUND (no such doctor, or another's practice), CONFLICT (blocked or removed account),
 *   VALIDATION_FAILED (date before the doctor's today or too far ahead)
 */
export async function setSpecialHours(
  ctx: ServiceContext,
  doctorId: string,
  date: string,
  input: SetSpecialHoursInput,
): Promise<SpecialHoursChangeView> {
  const { user, profile, reads } = await managedDoctor(ctx, doctorId, {
    existing: specialHoursOnQuery(ctx, doctorId, date),
    appointments: movableAppointmentsQuery(ctx, doctorId, anyZoneWindow(date)),
  });
  assertPracticeOpen(user);
  const { row, statement } = stageSpecialHours(ctx, profile, date, input, reads.existing[0]);
  const zone = profile.timeZone;
  const day = localDaySpan(date, zone);
  const open = localIntervals(date, row.hours, zone);
  const affected = reads.appointments.filter((a) => outsideHours({ start: a.startsAt, end: a.endsAt }, day, open));

  const [, stored] = await ctx.db.batch([
    ensureDoctorProfile(ctx, doctorId),
    statement,
    auditInsert(ctx, {
      action: 'doctor.specialHours.set',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { specialHoursId: row.id, date, intervals: row.hours.length, affected: affected.length },
    }),
  ]);
  return {
    specialHours: toSpecialHoursView((stored as SpecialHoursRow[])[0] ?? row),
    affected: affected.map((a) => detailView(a)),
  };
}

/**
 * Removes a doctor's special hours of one date: the weekly hours apply to it again.
 * @throws AppError NOT_FOUND (no such doctor, another's practice, or no special hours on that date)
 */
export async function deleteSpecialHours(
  ctx: ServiceContext,
  doctorId: string,
  date: string,
): Promise<{ id: string; date: string }> {
  const { reads } = await managedDoctor(ctx, doctorId, { existing: specialHoursOnQuery(ctx, doctorId, date) });
  const existing = reads.existing[0];
  if (!existing) throw notFound('Special hours');
  await ctx.db.batch([
    ensureDoctorProfile(ctx, doctorId),
    specialHoursDelete(ctx, doctorId, date),
    auditInsert(ctx, {
      action: 'doctor.specialHours.delete',
      resourceType: 'doctor',
      resourceId: doctorId,
      metadata: { specialHoursId: existing.id, date },
    }),
  ]);
  return { id: existing.id, date };
}
