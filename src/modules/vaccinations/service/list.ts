import { and, asc, count, eq, gte, isNull, lte, type SQL } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { vaccineSchedules } from '../../../db/schema';
import { page } from '../../../lib/envelope';
import { getOwnedDependent } from '../../dependents/dependents.service';
import type { VaccineScheduleQueryInput, VaccineScheduleView } from '../vaccinations.schemas';
import { joinedView, selectWithContext, viewOf } from './views';

/**
 * The caller's doses (their own and their dependents'), soonest due first.
 * @throws AppError NOT_FOUND (`person` is not one of the caller's dependents)
 */
export async function listSchedules(ctx: AuthedContext, query: VaccineScheduleQueryInput) {
  const ownerId = ctx.actor.id;
  const filters: SQL[] = [eq(vaccineSchedules.ownerId, ownerId)];
  if (query.person === 'self') filters.push(isNull(vaccineSchedules.dependentId));
  else if (query.person) {
    const dependent = await getOwnedDependent(ctx, query.person);
    filters.push(eq(vaccineSchedules.dependentId, dependent.id));
  }
  if (query.from) filters.push(gte(vaccineSchedules.dueDate, query.from));
  if (query.to) filters.push(lte(vaccineSchedules.dueDate, query.to));
  if (query.vaccineId) filters.push(eq(vaccineSchedules.vaccineId, query.vaccineId));
  if (query.status) filters.push(eq(vaccineSchedules.status, query.status));
  if (query.active !== undefined) filters.push(eq(vaccineSchedules.active, query.active));
  const where = and(...filters);
  const [rows, [total]] = await ctx.db.batch([
    selectWithContext(ctx)
      .where(where)
      .orderBy(asc(vaccineSchedules.dueDate), asc(vaccineSchedules.doseNumber), asc(vaccineSchedules.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    ctx.db.select({ n: count() }).from(vaccineSchedules).where(where),
  ]);
  return page(rows.map(joinedView), total?.n ?? 0, query);
}

/** @throws AppError NOT_FOUND */
export async function getSchedule(ctx: AuthedContext, id: string): Promise<VaccineScheduleView> {
  return viewOf(ctx, id);
}
