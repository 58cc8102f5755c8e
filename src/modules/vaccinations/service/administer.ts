import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { isFutureDate } from '../../users/profile.policy';
import type { AdministerInput, VaccineScheduleView } from '../vaccinations.schemas';
import { cancelVaccineReminders } from '../vaccine-reminders';
import { assertNotBeforeBirth, auditOf, invalid, refuseChange, retrying, runGuarded } from './shared';
import { bornOf, type JoinedRow, joinedView, onlyRow, viewsQuery } from './views';

/**
 * Records that a scheduled dose was given: when (not in the future), where and which lot.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (future date, before birth), INVALID_TRANSITION
 *   (already administered, cancelled)
 */
export async function administerSchedule(
  ctx: AuthedContext,
  id: string,
  input: AdministerInput,
): Promise<VaccineScheduleView> {
  if (isFutureDate(input.administeredOn, ctx.clock.now())) {
    throw invalid([{ field: 'administeredOn', message: 'Must not be in the future' }]);
  }
  return retrying(async () => {
    const read = onlyRow(await viewsQuery(ctx, [id]).all());
    const { row } = read;
    if (row.status === 'administered') throw new AppError('INVALID_TRANSITION', 'This dose is already administered');
    if (row.status !== 'scheduled') refuseChange(row, 'administered');
    assertNotBeforeBirth('administeredOn', input.administeredOn, bornOf(read));
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({
          status: 'administered',
          administeredOn: input.administeredOn,
          administeredPlace: input.place,
          lotNumber: input.lotNumber,
          ...(input.notes !== undefined ? { notes: input.notes } : {}),
          updatedAt: ctx.clock.now().getTime(),
        })
        .where(and(eq(vaccineSchedules.id, row.id), eq(vaccineSchedules.status, 'scheduled'))),
      auditOf(ctx, 'administer', row, { doseNumber: row.doseNumber }),
      cancelVaccineReminders(ctx, row.id),
      viewsQuery(ctx, [id]),
    ]);
    return done && joinedView(onlyRow(done.at(-1) as JoinedRow[]));
  });
}
