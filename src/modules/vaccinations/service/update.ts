import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import type { UpdateVaccineScheduleInput, VaccineScheduleView } from '../vaccinations.schemas';
import { syncVaccineReminders } from '../vaccine-reminders';
import { assertNotBeforeBirth, auditOf, invalid, refuseChange, retrying, runGuarded } from './shared';
import { bornOf, type JoinedRow, joinedView, onlyRow, reminderContextOf, viewsQuery } from './views';

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
  return retrying(async () => {
    const read = onlyRow(await viewsQuery(ctx, [id]).all());
    const { row } = read;
    if (row.status !== 'scheduled') refuseChange(row, 'changed');
    if (changes.dueDate) assertNotBeforeBirth('dueDate', changes.dueDate, bornOf(read));
    const now = ctx.clock.now().getTime();
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({ ...changes, updatedAt: now })
        .where(and(eq(vaccineSchedules.id, row.id), eq(vaccineSchedules.status, 'scheduled'))),
      auditOf(ctx, 'update', row, { fields }),
      // Moved with the due date (and timed in the owner's zone as it is now).
      ...syncVaccineReminders(ctx, { ...row, ...changes }, reminderContextOf(read), now),
      viewsQuery(ctx, [id]),
    ]);
    return done && joinedView(onlyRow(done.at(-1) as JoinedRow[]));
  });
}
