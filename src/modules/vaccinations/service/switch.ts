import { and, eq, inArray, ne } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { type VaccineScheduleRow, vaccineSchedules } from '../../../db/schema';
import type { PlanSwitchInput, VaccineScheduleView } from '../vaccinations.schemas';
import { auditOf, expectChanges, ownedRow, refuseChange, retrying, runGuarded, samePerson } from './shared';
import { viewsOf } from './views';

/**
 * Switches a dose, or with `plan: true` every not-administered dose of the same person and vaccine,
 * on or off. Doses already in that state are left alone (idempotent: 200 with `changed: 0`).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (a single administered dose)
 */
export async function switchSchedule(
  ctx: AuthedContext,
  id: string,
  active: boolean,
  input: PlanSwitchInput | undefined,
): Promise<{ active: boolean; changed: number; items: VaccineScheduleView[] }> {
  const plan = input?.plan === true;
  const action = active ? 'activate' : 'deactivate';
  const { scope, changed } = await retrying(async () => {
    const row = await ownedRow(ctx, id);
    let scope: VaccineScheduleRow[];
    if (plan) {
      scope = await ctx.db
        .select()
        .from(vaccineSchedules)
        .where(
          and(
            samePerson(row.ownerId, row.dependentId),
            eq(vaccineSchedules.vaccineId, row.vaccineId),
            ne(vaccineSchedules.status, 'administered'),
          ),
        )
        .all();
    } else {
      if (row.status === 'administered') refuseChange(row, active ? 'activated' : 'deactivated');
      scope = [row];
    }
    const toChange = scope.filter((r) => r.active !== active);
    if (!toChange.length) return { scope, changed: 0 };
    const done = await runGuarded(ctx, [
      ctx.db
        .update(vaccineSchedules)
        .set({ active, updatedAt: ctx.clock.now().getTime() })
        .where(
          and(
            inArray(
              vaccineSchedules.id,
              toChange.map((r) => r.id),
            ),
            ne(vaccineSchedules.active, active),
            ne(vaccineSchedules.status, 'administered'),
          ),
        ),
      expectChanges(ctx, toChange.length),
      ...toChange.map((r) => auditOf(ctx, action, r, { plan })),
    ]);
    return done ? { scope, changed: toChange.length } : undefined;
  });
  return {
    active,
    changed,
    items: await viewsOf(
      ctx,
      scope.map((r) => r.id),
    ),
  };
}
