import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { isFutureDate } from '../../users/profile.policy';
import type { AdministerInput, VaccineScheduleView } from '../vaccinations.schemas';
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
  await retrying(async () => {
    const row = await ownedRow(ctx, id);
    if (row.status === 'administered') throw new AppError('INVALID_TRANSITION', 'This dose is already administered');
    if (row.status !== 'scheduled') refuseChange(row, 'administered');
    assertNotBeforeBirth('administeredOn', input.administeredOn, await birthDateOf(ctx, row.ownerId, row.dependentId));
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
      expectChanges(ctx, 1),
      auditOf(ctx, 'administer', row, { doseNumber: row.doseNumber }),
    ]);
    return done || undefined;
  });
  return viewOf(ctx, id);
}
