import { and, desc, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { batchOf } from '../../../db/batch';
import { paginate } from '../../../db/paginate';
import { passkeys, userMfa, users } from '../../../db/schema';
import { AppError, notFound } from '../../../lib/errors';
import { auditInsert } from '../../audit/audit.service';
import { primeSettings, settingsQuery } from '../../settings/settings.service';
import { lastSignInMethod, passkeyCountQuery, passwordlessMethodsOf } from '../password-removal.service';
import { toPasskeyView } from './shared';

/** The signed-in caller's own passkeys: listing and deleting them. */

/** The caller's passkeys, newest first. */
export async function listPasskeys(ctx: AuthedContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, passkeys, {
    where: eq(passkeys.userId, ctx.actor.id),
    orderBy: [desc(passkeys.createdAt), desc(passkeys.id)],
    page: query.page,
    limit: query.limit,
    map: toPasskeyView,
  });
}

/**
 * Deletes one of the caller's passkeys; another user's is NOT_FOUND. One read batch (the passkey, how
 * many the caller has, passkey 2FA, the account and the sign-in flags), one write batch.
 * @throws AppError CONFLICT for the last passkey while passkeys are a second factor: turning that off
 *   goes through POST /2fa/disable, which asks for a fresh second factor (a stolen access token alone
 *   must not be able to strip 2FA); CONFLICT (`details.reason` `last-sign-in-method`) for the passkey
 *   without which an account with no password could no longer sign in.
 */
export async function deletePasskey(ctx: AuthedContext, id: string): Promise<void> {
  const userId = ctx.actor.id;
  const read = await batchOf(ctx.db, {
    found: ctx.db
      .select({ id: passkeys.id })
      .from(passkeys)
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    owned: passkeyCountQuery(ctx, userId),
    mfa: ctx.db.select({ enabledAt: userMfa.passkeyEnabledAt }).from(userMfa).where(eq(userMfa.userId, userId)),
    account: ctx.db.select().from(users).where(eq(users.id, userId)),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  if (!read.found[0]) throw notFound('Passkey');
  const owned = read.owned[0]?.n ?? 0;
  if (owned <= 1 && read.mfa[0]?.enabledAt) {
    throw new AppError(
      'CONFLICT',
      'This is your last passkey and it is a second factor: turn passkey two-factor off first',
    );
  }
  const account = read.account[0];
  if (account && !account.passwordHash) {
    const remaining = await passwordlessMethodsOf(ctx, { ...account, passkeys: owned - 1 });
    if (!remaining.length) {
      throw lastSignInMethod(
        'This passkey is your only way to sign in: verify your email or set a password (POST /auth/password/set) first',
      );
    }
  }
  await ctx.db.batch([
    ctx.db.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    auditInsert(ctx, { action: 'auth.passkey_delete', resourceType: 'passkey', resourceId: id }),
  ]);
}
