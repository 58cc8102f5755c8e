import { and, count, desc, eq, inArray, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import {
  type DependentRow,
  DOSE_SUBJECT,
  dependents,
  doses,
  schedules,
  VACCINE_SCHEDULE_SUBJECT,
  vaccineSchedules,
} from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { cancelRemindersOf } from '../notifications/reminders';
import type { CreateDependentInput, DependentView, UpdateDependentInput } from './dependents.schemas';

/** Dependents one account may hold. */
export const MAX_DEPENDENTS_PER_USER = 20;

/**
 * The latest calendar date it is anywhere on Earth (UTC+14), so a baby born "today" in any time zone
 * is accepted while tomorrow everywhere is not.
 */
function latestToday(ctx: ServiceContext): string {
  return new Date(ctx.clock.now().getTime() + 14 * 3600_000).toISOString().slice(0, 10);
}

function assertBornByNow(ctx: ServiceContext, dateOfBirth: string | undefined): void {
  if (dateOfBirth !== undefined && dateOfBirth > latestToday(ctx)) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'dateOfBirth', message: 'Must not be in the future' }],
    });
  }
}

export function toDependentView(row: DependentRow): DependentView {
  return {
    id: row.id,
    name: row.name,
    dateOfBirth: row.dateOfBirth,
    relationship: row.relationship,
    gender: row.gender,
    notes: row.notes,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/**
 * One of the caller's dependents. Another account's dependent is NOT_FOUND, as if it did not exist;
 * modules acting for a dependent (vaccine and medicine schedules) start here, or read it in their own
 * batch with `ownedDependentQuery`.
 * @throws AppError NOT_FOUND
 */
export async function getOwnedDependent(ctx: AuthedContext, dependentId: string): Promise<DependentRow> {
  return ownedDependentOf(await ownedDependentQuery(ctx, dependentId).all());
}

/**
 * `getOwnedDependent` as a statement, for a module's read batch (one round trip with its other reads);
 * `ownedDependentOf` turns its answer into the row.
 */
export function ownedDependentQuery(ctx: AuthedContext, dependentId: string) {
  return ctx.db
    .select()
    .from(dependents)
    .where(and(eq(dependents.id, dependentId), eq(dependents.userId, ctx.actor.id)));
}

/**
 * The dependent an `ownedDependentQuery` read.
 * @throws AppError NOT_FOUND (not the caller's, or gone)
 */
export function ownedDependentOf(rows: DependentRow[]): DependentRow {
  const [row] = rows;
  if (!row) throw notFound('Dependent');
  return row;
}

export async function listDependents(ctx: AuthedContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, dependents, {
    where: eq(dependents.userId, ctx.actor.id),
    orderBy: [desc(dependents.createdAt), desc(dependents.id)],
    page: query.page,
    limit: query.limit,
    map: toDependentView,
  });
}

export async function getDependent(ctx: AuthedContext, id: string): Promise<DependentView> {
  return toDependentView(await getOwnedDependent(ctx, id));
}

async function dependentCount(ctx: ServiceContext, userId: string): Promise<number> {
  const [row] = await ctx.db.select({ n: count() }).from(dependents).where(eq(dependents.userId, userId));
  return row?.n ?? 0;
}

/**
 * Adds a dependent for the caller and audits it, atomically.
 * @throws AppError VALIDATION_FAILED (born in the future), CONFLICT (MAX_DEPENDENTS_PER_USER reached)
 */
export async function createDependent(ctx: AuthedContext, input: CreateDependentInput): Promise<DependentView> {
  const userId = ctx.actor.id;
  assertBornByNow(ctx, input.dateOfBirth);
  const now = ctx.clock.now().getTime();
  const row: DependentRow = {
    id: ctx.ids.id('dep'),
    userId,
    name: input.name,
    dateOfBirth: input.dateOfBirth,
    relationship: input.relationship,
    gender: input.gender ?? null,
    notes: input.notes ?? null,
    createdAt: now,
    updatedAt: now,
  };
  // The cap is checked inside the write, so parallel requests cannot overshoot it: at the cap the id
  // is NULL, the NOT NULL constraint fails, and the whole batch (audit included) rolls back.
  const cappedId = sql`case when (select count(*) from ${dependents} where ${dependents.userId} = ${userId}) < ${MAX_DEPENDENTS_PER_USER} then ${row.id} end`;
  try {
    await ctx.db.batch([
      ctx.db.insert(dependents).values({ ...row, id: cappedId }),
      auditInsert(ctx, { action: 'dependent.create', resourceType: 'dependent', resourceId: row.id }),
    ]);
  } catch (err) {
    if ((await dependentCount(ctx, userId)) >= MAX_DEPENDENTS_PER_USER) {
      throw new AppError('CONFLICT', `You can have at most ${MAX_DEPENDENTS_PER_USER} dependents; remove one first`);
    }
    throw err;
  }
  return toDependentView(row);
}

/**
 * Changes the given fields of one of the caller's dependents and audits which fields changed (names
 * of fields only, never values).
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (nothing to change, born in the future)
 */
export async function updateDependent(
  ctx: AuthedContext,
  id: string,
  input: UpdateDependentInput,
): Promise<DependentView> {
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as UpdateDependentInput;
  const fields = Object.keys(changes);
  if (!fields.length) {
    throw new AppError('VALIDATION_FAILED', 'Give at least one field to change', {
      fields: [{ field: 'body', message: 'Give at least one of name, dateOfBirth, relationship, gender, notes' }],
    });
  }
  assertBornByNow(ctx, changes.dateOfBirth);
  const current = await getOwnedDependent(ctx, id);
  const updatedAt = ctx.clock.now().getTime();
  const [[updated]] = await ctx.db.batch([
    ctx.db
      .update(dependents)
      .set({ ...changes, updatedAt })
      .where(and(eq(dependents.id, current.id), eq(dependents.userId, current.userId)))
      .returning(),
    auditInsert(ctx, {
      action: 'dependent.update',
      resourceType: 'dependent',
      resourceId: current.id,
      metadata: { fields },
    }),
  ]);
  if (!updated) throw notFound('Dependent');
  return toDependentView(updated);
}

/**
 * Removes one of the caller's dependents and audits it, atomically.
 * @throws AppError NOT_FOUND
 */
export async function deleteDependent(ctx: AuthedContext, id: string): Promise<void> {
  const current = await getOwnedDependent(ctx, id);
  // The person leaves the account with their vaccination plan and history, and their medicine and
  // supplement schedules with every dose and pending reminder: nothing may point at a dependent that
  // no longer exists.
  const theirSchedules = ctx.db
    .select({ id: schedules.id })
    .from(schedules)
    .where(and(eq(schedules.ownerId, current.userId), eq(schedules.dependentId, current.id)));
  await ctx.db.batch([
    cancelRemindersOf(
      ctx,
      DOSE_SUBJECT,
      sql`${ctx.db
        .select({ id: doses.id })
        .from(doses)
        .where(and(eq(doses.ownerId, current.userId), inArray(doses.scheduleId, theirSchedules)))}`,
    ),
    ctx.db.delete(doses).where(and(eq(doses.ownerId, current.userId), inArray(doses.scheduleId, theirSchedules))),
    ctx.db.delete(schedules).where(and(eq(schedules.ownerId, current.userId), eq(schedules.dependentId, current.id))),
    cancelRemindersOf(
      ctx,
      VACCINE_SCHEDULE_SUBJECT,
      sql`${ctx.db
        .select({ id: vaccineSchedules.id })
        .from(vaccineSchedules)
        .where(and(eq(vaccineSchedules.ownerId, current.userId), eq(vaccineSchedules.dependentId, current.id)))}`,
    ),
    ctx.db
      .delete(vaccineSchedules)
      .where(and(eq(vaccineSchedules.dependentId, current.id), eq(vaccineSchedules.ownerId, current.userId))),
    ctx.db.delete(dependents).where(and(eq(dependents.id, current.id), eq(dependents.userId, current.userId))),
    auditInsert(ctx, { action: 'dependent.delete', resourceType: 'dependent', resourceId: current.id }),
  ]);
}
