import { and, eq, ne } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import { auditOf, expectChanges, ownedRow, refuseChange, retrying, runGuarded } from './shared';

/**
 * Removes a dose that was not administered (administered ones are the person's vaccination history).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (administered)
 */
export async function deleteSchedule(ctx: AuthedContext, id: string): Promise<void> {
  await retrying(async () => {
    const row = await ownedRow(ctx, id);
    if (row.status === 'administered') refuseChange(row, 'deleted');
    const done = await runGuarded(ctx, [
      ctx.db
        .delete(vaccineSchedules)
        .where(and(eq(vaccineSchedules.id, row.id), ne(vaccineSchedules.status, 'administered'))),
      expectChanges(ctx, 1),
      auditOf(ctx, 'delete', row, { doseNumber: row.doseNumber }),
    ]);
    return done || undefined;
  });
}
