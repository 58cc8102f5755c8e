import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { EraseMode, Erasure } from '../../db/erasure';
import { deviceTokens, emergencyContacts, notificationPreferences, userProfiles, users } from '../../db/schema';

/**
 * The users module's part of an account erasure: the profile, emergency contacts, push devices and
 * notification preferences go, then the user row. It must run last among the parts.
 * - `anonymize`: the row stays as a tombstone (`removed`, name "Deleted user", no email, number,
 *   password, Google or Facebook link, token version bumped so every access token dies at once), so
 *   ids in kept records (audit, appointments) still resolve.
 * - `purge`: the row goes too.
 */
export function usersErasure(ctx: ServiceContext, userId: string, mode: EraseMode): Erasure {
  const db = ctx.db;
  const now = ctx.clock.now().getTime();
  return {
    statements: [
      db.delete(userProfiles).where(eq(userProfiles.userId, userId)),
      db.delete(emergencyContacts).where(eq(emergencyContacts.userId, userId)),
      db.delete(deviceTokens).where(eq(deviceTokens.userId, userId)),
      db.delete(notificationPreferences).where(eq(notificationPreferences.userId, userId)),
      mode === 'purge'
        ? db.delete(users).where(eq(users.id, userId))
        : db
            .update(users)
            .set({
              email: null,
              mobileNumber: null,
              name: 'Deleted user',
              passwordHash: null,
              googleSub: null,
              facebookId: null,
              subRoles: [],
              status: 'removed',
              statusReason: null,
              deletedAt: now,
              tokenVersion: sql`${users.tokenVersion} + 1`,
              updatedAt: now,
            })
            .where(eq(users.id, userId)),
    ],
  };
}
