import { eq, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import {
  dependents,
  deviceTokens,
  doses,
  emergencyContacts,
  files,
  loginChallenges,
  notificationPreferences,
  oneTimeCodes,
  passkeys,
  recoveryCodes,
  refreshTokens,
  schedules,
  sessions,
  userMfa,
  userProfiles,
  users,
  vaccineSchedules,
  webauthnChallenges,
} from '../../db/schema';
import { auditInsert } from '../audit/audit.service';

export type EraseMode = 'anonymize' | 'purge';

/**
 * Statements deleting everything personal that hangs off an account. Modules that add personal data
 * keyed by user (schedules, appointments, care reports…) add their statements here, so account
 * deletion stays complete. Records the law or accounting requires (audit events, payments) are kept
 * and carry only ids.
 */
function personalDataStatements(ctx: ServiceContext, userId: string): BatchItem<'sqlite'>[] {
  const db = ctx.db;
  return [
    db.delete(userProfiles).where(eq(userProfiles.userId, userId)),
    db.delete(emergencyContacts).where(eq(emergencyContacts.userId, userId)),
    db.delete(doses).where(eq(doses.ownerId, userId)),
    db.delete(schedules).where(eq(schedules.ownerId, userId)),
    db.delete(vaccineSchedules).where(eq(vaccineSchedules.ownerId, userId)),
    db.delete(dependents).where(eq(dependents.userId, userId)),
    db.delete(deviceTokens).where(eq(deviceTokens.userId, userId)),
    db.delete(notificationPreferences).where(eq(notificationPreferences.userId, userId)),
    db.delete(passkeys).where(eq(passkeys.userId, userId)),
    db.delete(userMfa).where(eq(userMfa.userId, userId)),
    db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
    db.delete(oneTimeCodes).where(eq(oneTimeCodes.userId, userId)),
    db.delete(loginChallenges).where(eq(loginChallenges.userId, userId)),
    db.delete(webauthnChallenges).where(eq(webauthnChallenges.userId, userId)),
    db.delete(refreshTokens).where(eq(refreshTokens.userId, userId)),
    db.delete(sessions).where(eq(sessions.userId, userId)),
    db.delete(files).where(eq(files.ownerId, userId)),
  ];
}

/**
 * Erases an account's personal data and files in one atomic batch, then deletes the stored objects.
 * - `anonymize` (self-deletion): the user row stays as a tombstone (`removed`, name "Deleted user", no
 *   email, number, password or Google link) so ids in kept records (audit, payments) still resolve.
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
  const keys = await ctx.db.select({ key: files.storageKey }).from(files).where(eq(files.ownerId, userId)).all();
  const now = ctx.clock.now().getTime();
  const userStatement =
    mode === 'purge'
      ? ctx.db.delete(users).where(eq(users.id, userId))
      : ctx.db
          .update(users)
          .set({
            email: null,
            mobileNumber: null,
            name: 'Deleted user',
            passwordHash: null,
            googleSub: null,
            subRoles: [],
            status: 'removed',
            statusReason: null,
            deletedAt: now,
            tokenVersion: sql`${users.tokenVersion} + 1`,
            updatedAt: now,
          })
          .where(eq(users.id, userId));
  await ctx.db.batch([
    ...personalDataStatements(ctx, userId),
    userStatement,
    auditInsert(ctx, {
      action: mode === 'purge' ? 'user.purge' : 'user.anonymize',
      resourceType: 'user',
      resourceId: userId,
      reason,
      metadata: { files: keys.length },
    }),
  ] as unknown as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
  // Objects go after the rows: a failure here leaves unreachable bytes under random keys, never a row
  // pointing at nothing. The cron can sweep orphans later.
  for (const { key } of keys) await ctx.ports.storage.delete(key);
  return { filesDeleted: keys.length };
}
