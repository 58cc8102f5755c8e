import { and, asc, eq, ne } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { batchOf } from '../../../db/batch';
import { vaccineSchedules } from '../../../db/schema';
import type { PlanSwitchInput, VaccineScheduleView } from '../vaccinations.schemas';
import { syncVaccineReminders } from '../vaccine-reminders';
import { auditOf, refuseChange, retrying, runGuarded } from './shared';
import { type JoinedRow, joinedView, onlyRow, reminderContextOf, selectWithContext, viewsQuery } from './views';

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
  return retrying(async () => {
    // The dose and, for a plan, every not-administered dose of the caller's with its vaccine: read
    // together (a superset over the caller's people, kept to the dose's person below).
    const read = await batchOf(ctx.db, {
      target: viewsQuery(ctx, [id]),
      family: plan
        ? selectWithContext(ctx)
            .where(
              and(
                eq(vaccineSchedules.ownerId, ctx.actor.id),
                eq(
                  vaccineSchedules.vaccineId,
                  ctx.db
                    .select({ vaccineId: vaccineSchedules.vaccineId })
                    .from(vaccineSchedules)
                    .where(eq(vaccineSchedules.id, id)),
                ),
                ne(vaccineSchedules.status, 'administered'),
              ),
            )
            .orderBy(asc(vaccineSchedules.dueDate), asc(vaccineSchedules.doseNumber), asc(vaccineSchedules.id))
        : undefined,
    });
    const { row } = onlyRow(read.target);
    let scope: JoinedRow[];
    if (read.family) {
      scope = read.family.filter((j) => j.row.dependentId === row.dependentId);
    } else {
      if (row.status === 'administered') refuseChange(row, active ? 'activated' : 'deactivated');
      scope = read.target;
    }
    const toChange = scope.filter((j) => j.row.active !== active);
    if (!toChange.length) return { active, changed: 0, items: scope.map(joinedView) };
    const now = ctx.clock.now().getTime();
    // Each row's audit is guarded by its own update: a row that changed since the read rolls it all back.
    const done = await runGuarded(ctx, [
      ...toChange.flatMap((j) => [
        ctx.db
          .update(vaccineSchedules)
          .set({ active, updatedAt: now })
          .where(
            and(
              eq(vaccineSchedules.id, j.row.id),
              ne(vaccineSchedules.active, active),
              ne(vaccineSchedules.status, 'administered'),
            ),
          ),
        auditOf(ctx, action, j.row, { plan }),
        // Off: its pending reminders go; on again: scheduled anew (those still ahead).
        ...syncVaccineReminders(ctx, { ...j.row, active }, reminderContextOf(j), now),
      ]),
      viewsQuery(
        ctx,
        scope.map((j) => j.row.id),
      ),
    ]);
    if (!done) return undefined;
    return { active, changed: toChange.length, items: (done.at(-1) as JoinedRow[]).map(joinedView) };
  });
}
