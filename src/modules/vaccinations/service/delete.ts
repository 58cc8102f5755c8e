import { and, eq, ne } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import { cancelVaccineReminders } from '../vaccine-reminders';
import { auditOf, refuseChange, retrying, runGuarded } from './shared';
import { onlyRow, viewsQuery } from './views';

/**
 * Removes a dose that was not administered (administered ones are the person's vaccination history).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (administered)
 */
export async function deleteSchedule(ctx: AuthedContext, id: string): Promise<void> {
  await retrying(async () => {
    const { row } = onlyRow(await viewsQuery(ctx, [id]).all());
    if (row.status === 'administered') refuseChange(row, 'deleted');
    const done = await runGuarded(ctx, [
      ctx.db
        .delete(vaccineSchedules)
        .where(and(eq(vaccineSchedules.id, row.id), ne(vaccineSchedules.status, 'administered'))),
      auditOf(ctx, 'delete', row, { doseNumber: row.doseNumber }),
      cancelVaccineReminders(ctx, row.id),
    ]);
    return done && true;
  });
}
