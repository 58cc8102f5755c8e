import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import type { UpdateVaccineScheduleInput, VaccineScheduleView } from '../vaccinations.schemas';
import {
  assertNotBeforeBirth,
  auditOf,
  birthDateOf,
  expectChanges,
  invalid,
  ownedRow,
  refuseChange,
  retrying,
  runGuarded,
} from './shared';
import { viewOf } from './views';

/**
 * Moves the due date or changes the notes of a dose that is still scheduled.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change, date before birth),
 *   INVALID_TRANSITION (administered or cancelled)
 */
export async function updateSchedule(
  ctx: AuthedContext,
  id: string,
  input: UpdateVaccineScheduleInput,
): Promise<VaccineScheduleView> {
  const changes = Object.fromEntries(
    Object.entries(input).filter(([, v]) => v !== undefined),
  ) as UpdateVaccineScheduleInput;
  const fields = Object.keys(changes);
  if (!fields.length) {
    throw invalid([{ field: 'body', message: 'Give at least one of dueDate, notes' }]);
  }
  await retrying(async () => {
    const row = await ownedRow(ctx, id);
    if (row.status !== 'scheduled') refuseChange(row, 'changed');
    if (changes.dueDate) {
      assertNotBeforeBirth('dueDate', changes.dueDate, await birthDateOf(ctx, row.ownerId, row.dependentId));
    }
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({ ...changes, updatedAt: ctx.clock.now().getTime() })
        .where(and(eq(vaccineSchedules.id, row.id), eq(vaccineSchedules.status, 'scheduled'))),
      expectChanges(ctx, 1),
      auditOf(ctx, 'update', row, { fields }),
    ]);
    return done || undefined;
  });
  return viewOf(ctx, id);
}
