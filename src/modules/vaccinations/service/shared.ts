import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../../context';
import { dependents, userProfiles, type VaccineScheduleRow, vaccineSchedules } from '../../../db/schema';
import { isNotNullViolation } from '../../../db/sql';
import { AppError, type FieldError, notFound } from '../../../lib/errors';
import { auditInsert } from '../../audit/audit.service';

/**
 * What the vaccine-schedule verbs share: the caller's rows, birth-date checks, audit events and the
 * guarded batches that retry when a row changed between the read and the write.
 */

const RESOURCE = 'vaccine-schedule';
export const SCHEDULE = 'Vaccine schedule';
/** Attempts of a guarded write that lost a race before giving up with CONFLICT. */
const MAX_ATTEMPTS = 3;

/** A VALIDATION_FAILED error with these field errors. */
export const invalid = (fields: FieldError[]) => new AppError('VALIDATION_FAILED', 'Validation failed', { fields });

/** Rows of the same person (owner + dependent or self). */
export function samePerson(ownerId: string, dependentId: string | null): SQL {
  return and(
    eq(vaccineSchedules.ownerId, ownerId),
    dependentId === null ? isNull(vaccineSchedules.dependentId) : eq(vaccineSchedules.dependentId, dependentId),
  )!;
}

/** One of the caller's schedule rows; another user's is NOT_FOUND, as if it did not exist. */
export async function ownedRow(ctx: AuthedContext, id: string): Promise<VaccineScheduleRow> {
  const row = await ctx.db
    .select()
    .from(vaccineSchedules)
    .where(and(eq(vaccineSchedules.id, id), eq(vaccineSchedules.ownerId, ctx.actor.id)))
    .get();
  if (!row) throw notFound(SCHEDULE);
  return row;
}

/** The birth date of the person a row is for (null when the owner never gave theirs). */
export async function birthDateOf(
  ctx: ServiceContext,
  ownerId: string,
  dependentId: string | null,
): Promise<string | null> {
  if (dependentId) {
    const dependent = await ctx.db
      .select({ dateOfBirth: dependents.dateOfBirth })
      .from(dependents)
      .where(and(eq(dependents.id, dependentId), eq(dependents.userId, ownerId)))
      .get();
    return dependent?.dateOfBirth ?? null;
  }
  const profile = await ctx.db
    .select({ dateOfBirth: userProfiles.dateOfBirth })
    .from(userProfiles)
    .where(eq(userProfiles.userId, ownerId))
    .get();
  return profile?.dateOfBirth ?? null;
}

/**
 * Refuses a date before the person's birth.
 * @throws AppError VALIDATION_FAILED naming `field`
 */
export function assertNotBeforeBirth(field: string, date: string, born: string | null): void {
  if (born && date < born) throw invalid([{ field, message: `Must not be before the person's date of birth` }]);
}

/**
 * A statement that aborts its batch (rolling back every write in it) unless the statement just before
 * it changed exactly `expected` rows: a NULL id breaks the NOT NULL constraint. It turns "the row was
 * deleted or changed state since we read it" into a failed batch instead of a half-true audit trail.
 */
export function expectChanges(ctx: ServiceContext, expected: number) {
  // Inlined (an integer): drizzle's D1 batch cannot bind parameters of raw statements.
  const n = sql.raw(String(Math.trunc(expected)));
  return ctx.db.run(sql`insert into ${vaccineSchedules} (id) select null where changes() <> ${n}`);
}

type Statements = [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];

/** Runs a guarded batch; false when a guard aborted it (the caller re-reads and decides again). */
export async function runGuarded(ctx: ServiceContext, statements: Statements): Promise<boolean> {
  try {
    await ctx.db.batch(statements);
    return true;
  } catch (err) {
    if (isNotNullViolation(err, vaccineSchedules)) return false;
    throw err;
  }
}

/** Re-runs `attempt` while its guarded write loses a race (it returns undefined), then gives up. */
export async function retrying<T>(attempt: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < MAX_ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== undefined) return result;
  }
  throw new AppError('CONFLICT', 'The vaccine schedule changed while saving; try again');
}

/** The audit insert of a change to `row`, for the batch that makes it. */
export function auditOf(
  ctx: ServiceContext,
  action: string,
  row: VaccineScheduleRow,
  metadata: Record<string, unknown> = {},
) {
  return auditInsert(ctx, {
    action: `vaccine_schedule.${action}`,
    resourceType: RESOURCE,
    resourceId: row.id,
    patientId: row.ownerId,
    metadata: { dependentId: row.dependentId, vaccineId: row.vaccineId, ...metadata },
  });
}

/**
 * Refuses to change a dose that is no longer scheduled.
 * @throws AppError INVALID_TRANSITION (administered or cancelled)
 */
export function refuseChange(row: VaccineScheduleRow, what: string): never {
  if (row.status === 'administered') {
    throw new AppError(
      'INVALID_TRANSITION',
      `An administered dose is part of the vaccination history and cannot be ${what}`,
    );
  }
  throw new AppError('INVALID_TRANSITION', `A cancelled dose cannot be ${what}`);
}
