import { and, eq, inArray } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { type VaccineScheduleRow, vaccineSchedules, vaccines } from '../../../db/schema';
import { isUniqueViolation } from '../../../db/sql';
import { AppError, notFound } from '../../../lib/errors';
import { addDays } from '../../../lib/time';
import { getOwnedDependent } from '../../dependents/dependents.service';
import type { CreateVaccineScheduleInput, VaccineScheduleView } from '../vaccinations.schemas';
import { assertNotBeforeBirth, auditOf, birthDateOf, invalid, samePerson } from './shared';
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
  const vaccine = await ctx.db.select().from(vaccines).where(eq(vaccines.id, input.vaccineId)).get();
  if (!vaccine) throw notFound('Vaccine');
  const dependent = input.dependentId ? await getOwnedDependent(ctx, input.dependentId) : null;
  const dependentId = dependent?.id ?? null;
  const born = dependent ? dependent.dateOfBirth : await birthDateOf(ctx, ownerId, null);

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

  const taken = await ctx.db
    .select({ doseNumber: vaccineSchedules.doseNumber })
    .from(vaccineSchedules)
    .where(
      and(
        samePerson(ownerId, dependentId),
        eq(vaccineSchedules.vaccineId, vaccine.id),
        inArray(
          vaccineSchedules.doseNumber,
          doses.map((d) => d.doseNumber),
        ),
      ),
    )
    .all();
  const duplicate = () =>
    new AppError('CONFLICT', 'This dose of this vaccine is already scheduled for this person', {
      details: { doseNumbers: taken.map((t) => t.doseNumber).sort((a, b) => a - b) },
    });
  if (taken.length) throw duplicate();

  const now = ctx.clock.now().getTime();
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
      ...rows.map((row) => auditOf(ctx, 'create', row, { doseNumber: row.doseNumber, series: Boolean(input.series) })),
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
