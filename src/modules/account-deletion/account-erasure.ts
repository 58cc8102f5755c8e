import type { ServiceContext } from '../../context';
import { runBatch } from '../../db/batch';
import type { EraseMode, Erasure } from '../../db/erasure';
import { appointmentsErasure } from '../appointments/appointments.erasure';
import { auditInsert } from '../audit/audit.service';
import { authErasure } from '../auth/auth.erasure';
import { availabilityErasure } from '../availability/availability.erasure';
import { botErasure } from '../bot/bot.erasure';
import { callsErasure } from '../calls/calls.erasure';
import { careProfilesErasure } from '../care-profiles/care-profiles.erasure';
import { careReportsErasure } from '../care-reports/care-reports.erasure';
import { careSessionsErasure } from '../care-sessions/care-sessions.erasure';
import { caregiversErasure } from '../caregivers/caregivers.erasure';
import { dependentsErasure } from '../dependents/dependents.erasure';
import { doctorsErasure } from '../doctors/doctors.erasure';
import { filesErasure } from '../files/files.erasure';
import { medicalRecordsErasure } from '../medical-records/medical-records.erasure';
import { notificationsErasure } from '../notifications/notifications.erasure';
import { prescriptionsErasure } from '../prescriptions/prescriptions.erasure';
import { reviewsErasure } from '../reviews/reviews.erasure';
import { schedulesErasure } from '../schedules/schedules.erasure';
import { supportErasure } from '../support/support.erasure';
import { usersErasure } from '../users/users.erasure';
import { vaccinationsErasure } from '../vaccinations/vaccinations.erasure';
import { voiceErasure } from '../voice/voice.erasure';
import { waitlistErasure } from '../waitlist/waitlist.erasure';
import { wellnessErasure } from '../wellness/wellness.erasure';

/** One module's part of an account erasure (see src/db/erasure.ts). */
export type AccountErasure = (ctx: ServiceContext, userId: string, mode: EraseMode) => Erasure | Promise<Erasure>;

/**
 * Every module holding data keyed by a user, in batch order. Appointments come before files (their
 * attachment links are found through the account's files) and users come last (the user row).
 * Records the law or accounting requires (audit events, the stock ledger) are kept and carry only ids;
 * test/modules/account-deletion/erasure-schema-walk.test.ts fails when a table with a user id is missing here.
 */
export const ACCOUNT_ERASURES: readonly AccountErasure[] = [
  reviewsErasure,
  waitlistErasure,
  appointmentsErasure,
  prescriptionsErasure,
  caregiversErasure,
  careProfilesErasure,
  doctorsErasure,
  availabilityErasure,
  schedulesErasure,
  vaccinationsErasure,
  medicalRecordsErasure,
  careReportsErasure,
  careSessionsErasure,
  supportErasure,
  dependentsErasure,
  authErasure,
  notificationsErasure,
  botErasure,
  callsErasure,
  filesErasure,
  voiceErasure,
  wellnessErasure,
  usersErasure,
];

/** An account erasure read and composed, not yet run: what `stageAccountErasure` answers. */
export interface StagedErasure {
  userId: string;
  mode: EraseMode;
  parts: Erasure[];
}

/**
 * Composes every module's part of erasing `userId` (ACCOUNT_ERASURES), running the reads some parts
 * need, concurrently; nothing is written. A caller with its own reads (the target's authorization)
 * issues them beside this one, so the erasure costs one read round trip and one write batch.
 */
export async function stageAccountErasure(
  ctx: ServiceContext,
  userId: string,
  mode: EraseMode,
): Promise<StagedErasure> {
  const parts = await Promise.all(ACCOUNT_ERASURES.map((erase) => erase(ctx, userId, mode)));
  return { userId, mode, parts };
}

/**
 * Runs a staged erasure in one atomic batch, with a `user.anonymize` or `user.purge` audit event, then
 * deletes the stored objects.
 * @returns how many stored files were deleted
 */
export async function commitAccountErasure(
  ctx: ServiceContext,
  { userId, mode, parts }: StagedErasure,
  reason: string | null = null,
): Promise<{ filesDeleted: number }> {
  const counts: Record<string, number> = Object.assign({}, ...parts.map((part) => part.counts));
  await runBatch(ctx.db, [
    ...parts.flatMap((part) => part.statements),
    auditInsert(ctx, {
      action: mode === 'purge' ? 'user.purge' : 'user.anonymize',
      resourceType: 'user',
      resourceId: userId,
      reason,
      metadata: counts,
    }),
  ]);
  for (const part of parts) await part.afterCommit?.();
  return { filesDeleted: counts.files ?? 0 };
}

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
  return commitAccountErasure(ctx, await stageAccountErasure(ctx, userId, mode), reason);
}
