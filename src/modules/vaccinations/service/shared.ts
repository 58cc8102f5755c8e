import { and, eq, isNull, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { runBatch, type Statements } from '../../../db/batch';
import { type VaccineScheduleRow, vaccineSchedules } from '../../../db/schema';
import { AppError, type FieldError } from '../../../lib/errors';
import { auditGuardTripped, auditInsert } from '../../audit/audit.service';

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

/**
 * Refuses a date before the person's birth.
 * @throws AppError VALIDATION_FAILED naming `field`
 */
export function assertNotBeforeBirth(field: string, date: string, born: string | null): void {
  if (born && date < born) throw invalid([{ field, message: `Must not be before the person's date of birth` }]);
}

/**
 * Runs a batch whose writes are each followed by their `auditOf` guarded by `'one-row-changed'`; its
 * results, or undefined when a guard aborted it (a row changed since it was read: the caller re-reads
 * and decides again).
 */
export async function runGuarded(ctx: ServiceContext, statements: Statements): Promise<unknown[] | undefined> {
  try {
    return await runBatch(ctx.db, statements);
  } catch (err) {
    if (auditGuardTripped(err)) return undefined;
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

/**
 * The audit insert of a change to `row`, for the batch that makes it. Put right after the write of that
 * one row (`guarded`): unless the write changed exactly one row (the row changed state since it was
 * read), the batch rolls back and `runGuarded` answers undefined.
 */
export function auditOf(
  ctx: ServiceContext,
  action: string,
  row: VaccineScheduleRow,
  metadata: Record<string, unknown> = {},
  guarded = true,
) {
  return auditInsert(
    ctx,
    {
      action: `vaccine_schedule.${action}`,
      resourceType: RESOURCE,
      resourceId: row.id,
      patientId: row.ownerId,
      metadata: { dependentId: row.dependentId, vaccineId: row.vaccineId, ...metadata },
    },
    guarded ? { guard: 'one-row-changed' } : {},
  );
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
