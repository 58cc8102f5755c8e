import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { dependents, userProfiles, type VaccineScheduleRow, vaccineSchedules, vaccines } from '../../../db/schema';
import { isUniqueViolation } from '../../../db/sql';
import { AppError, notFound } from '../../../lib/errors';
import { addDays } from '../../../lib/time';
import type { CreateVaccineScheduleInput, VaccineScheduleView } from '../vaccinations.schemas';
import { syncVaccineReminders } from '../vaccine-reminders';
import { assertNotBeforeBirth, auditOf, invalid, samePerson } from './shared';
import { type ScheduleContext, toScheduleView } from './views';

/**
 * Schedules one dose, or with `series: true` every dose of the vaccine's series (dose 1 on
 * `firstDueDate`, then every `intervalDays`), all in one batch with their audit events. Ages outside
 * the vaccine's range only warn.
 * @throws AppError NOT_FOUND (vaccine, or not the caller's dependent), VALIDATION_FAILED (dose number
 *   beyond the series, date before birth), CONFLICT (a dose already scheduled for the person)
 */
export async function createSchedules(
  ctx: AuthedContext,
  input: CreateVaccineScheduleInput,
): Promise<{ items: VaccineScheduleView[]; warnings: string[] }> {
  const ownerId = ctx.actor.id;
  const dependentId = input.dependentId ?? null;
  // The vaccine, the person and the doses of it they already have, issued together: one round trip
  // (every dose number of the vaccine, a superset of the ones asked for, kept to those below).
  const [vaccineRows, dependentRows, profileRows, existing] = await Promise.all([
    ctx.db.select().from(vaccines).where(eq(vaccines.id, input.vaccineId)).all(),
    dependentId
      ? ctx.db
          .select()
          .from(dependents)
          .where(and(eq(dependents.id, dependentId), eq(dependents.userId, ownerId)))
          .all()
      : undefined,
    // The birth date (for the owner's own dose) and the zone their reminders are timed in.
    ctx.db
      .select({ dateOfBirth: userProfiles.dateOfBirth, timeZone: userProfiles.timeZone })
      .from(userProfiles)
      .where(eq(userProfiles.userId, ownerId))
      .all(),
    ctx.db
      .select({ doseNumber: vaccineSchedules.doseNumber })
      .from(vaccineSchedules)
      .where(and(samePerson(ownerId, dependentId), eq(vaccineSchedules.vaccineId, input.vaccineId)))
      .all(),
  ]);
  const read = { vaccine: vaccineRows, dependent: dependentRows, profile: profileRows, existing };
  const vaccine = read.vaccine[0];
  if (!vaccine) throw notFound('Vaccine');
  const dependent = read.dependent?.[0] ?? null;
  if (dependentId && !dependent) throw notFound('Dependent');
  const born = dependent ? dependent.dateOfBirth : (read.profile[0]?.dateOfBirth ?? null);

  let doses: { doseNumber: number; dueDate: string }[];
  if (input.series) {
    assertNotBeforeBirth('firstDueDate', input.firstDueDate, born);
    doses = Array.from({ length: vaccine.dosesInSeries }, (_, i) => ({
      doseNumber: i + 1,
      dueDate: addDays(input.firstDueDate, i * vaccine.intervalDays),
    }));
  } else {
    if (input.doseNumber > vaccine.dosesInSeries) {
      throw invalid([
        { field: 'doseNumber', message: `This vaccine has ${vaccine.dosesInSeries} dose(s) in its series` },
      ]);
    }
    assertNotBeforeBirth('dueDate', input.dueDate, born);
    doses = [{ doseNumber: input.doseNumber, dueDate: input.dueDate }];
  }

  const asked = new Set(doses.map((d) => d.doseNumber));
  const taken = read.existing.filter((t) => asked.has(t.doseNumber));
  const duplicate = () =>
    new AppError('CONFLICT', 'This dose of this vaccine is already scheduled for this person', {
      details: { doseNumbers: taken.map((t) => t.doseNumber).sort((a, b) => a - b) },
    });
  if (taken.length) throw duplicate();

  const now = ctx.clock.now().getTime();
  const reminderContext = {
    vaccineName: vaccine.name,
    forName: dependent?.name ?? null,
    timeZone: read.profile[0]?.timeZone ?? null,
  };
  const rows: VaccineScheduleRow[] = doses.map((d) => ({
    id: ctx.ids.id('vsc'),
    ownerId,
    dependentId,
    vaccineId: vaccine.id,
    doseNumber: d.doseNumber,
    dueDate: d.dueDate,
    status: 'scheduled',
    active: true,
    administeredOn: null,
    administeredPlace: null,
    lotNumber: null,
    notes: input.notes ?? null,
    createdAt: now,
    updatedAt: now,
  }));
  try {
    await ctx.db.batch([
      ctx.db.insert(vaccineSchedules).values(rows),
      ...rows.map((row) =>
        auditOf(ctx, 'create', row, { doseNumber: row.doseNumber, series: Boolean(input.series) }, false),
      ),
      ...rows.flatMap((row) => syncVaccineReminders(ctx, row, reminderContext, now)),
    ]);
  } catch (err) {
    // A parallel request scheduled the same dose between the check and the write.
    if (isUniqueViolation(err)) throw new AppError('CONFLICT', duplicate().message);
    throw err;
  }
  const extra: ScheduleContext = { vaccine, dependentName: dependent?.name ?? null, dateOfBirth: born };
  const items = rows.map((row) => toScheduleView(row, extra));
  return { items, warnings: [...new Set(items.flatMap((i) => i.warnings))] };
}
