import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { appointmentsErasure } from '../appointments/appointments.erasure';
import { auditInsert } from '../audit/audit.service';
import { authErasure } from '../auth/auth.erasure';
import { availabilityErasure } from '../availability/availability.erasure';
import { caregiversErasure } from '../caregivers/caregivers.erasure';
import { dependentsErasure } from '../dependents/dependents.erasure';
import { doctorsErasure } from '../doctors/doctors.erasure';
import { filesErasure } from '../files/files.erasure';
import { schedulesErasure } from '../schedules/schedules.erasure';
import { usersErasure } from '../users/users.erasure';
import { vaccinationsErasure } from '../vaccinations/vaccinations.erasure';

/** One module's part of an account erasure (see src/db/erasure.ts). */
export type AccountErasure = (ctx: ServiceContext, userId: string, mode: EraseMode) => Erasure | Promise<Erasure>;

/**
 * Every module holding data keyed by a user, in batch order. Appointments come before files (their
 * attachment links are found through the account's files) and users come last (the user row).
 * Records the law or accounting requires (audit events, the stock ledger) are kept and carry only ids;
 * test/modules/account-deletion/erasure-schema-walk.test.ts fails when a table with a user id is missing here.
 */
export const ACCOUNT_ERASURES: readonly AccountErasure[] = [
  appointmentsErasure,
  caregiversErasure,
  doctorsErasure,
  availabilityErasure,
  schedulesErasure,
  vaccinationsErasure,
  dependentsErasure,
  authErasure,
  filesErasure,
  usersErasure,
];

/**
 * Erases an account's personal data and files in one atomic batch composed of every module's part
 * (ACCOUNT_ERASURES) plus a `user.anonymize` or `user.purge` audit event, then deletes the stored
 * objects.
 * - `anonymize` (self-deletion): the user row stays as a tombstone (`removed`, name "Deleted user", no
 *   email, number, password or Google link) so ids in kept records (audit, appointments) still resolve.
 * - `purge` (admin permanent delete): the user row goes too.
 * Every access token dies at once: the row is gone or its token version is bumped and its sessions deleted.
 * @returns how many stored files were deleted
 */
export async function eraseAccount(
  ctx: ServiceContext,
  userId: string,
  mode: EraseMode,
  reason: string | null = null,
): Promise<{ filesDeleted: number }> {
  const parts = await Promise.all(ACCOUNT_ERASURES.map((erase) => erase(ctx, userId, mode)));
  const counts: Record<string, number> = Object.assign({}, ...parts.map((part) => part.counts));
  await ctx.db.batch([
    ...parts.flatMap((part) => part.statements),
    auditInsert(ctx, {
      action: mode === 'purge' ? 'user.purge' : 'user.anonymize',
      resourceType: 'user',
      resourceId: userId,
      reason,
      metadata: counts,
    }),
  ] as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  for (const part of parts) await part.afterCommit?.();
  return { filesDeleted: counts.files ?? 0 };
}
