import { and, count, desc, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { paginate } from '../../../db/paginate';
import { passkeys, userMfa } from '../../../db/schema';
import { AppError, notFound } from '../../../lib/errors';
import { auditInsert } from '../../audit/audit.service';
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
 * Deletes one of the caller's passkeys; another user's is NOT_FOUND.
 * @throws AppError CONFLICT for the last passkey while passkeys are a second factor: turning that off
 *   goes through POST /2fa/disable, which asks for a fresh second factor (a stolen access token alone
 *   must not be able to strip 2FA).
 */
export async function deletePasskey(ctx: AuthedContext, id: string): Promise<void> {
  const userId = ctx.actor.id;
  const [[row], [owned], [mfa]] = await ctx.db.batch([
    ctx.db
      .select({ id: passkeys.id })
      .from(passkeys)
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
    ctx.db.select({ enabledAt: userMfa.passkeyEnabledAt }).from(userMfa).where(eq(userMfa.userId, userId)),
  ]);
  if (!row) throw notFound('Passkey');
  if ((owned?.n ?? 0) <= 1 && mfa?.enabledAt) {
    throw new AppError(
      'CONFLICT',
      'This is your last passkey and it is a second factor: turn passkey two-factor off first',
    );
  }
  await ctx.db.batch([
    ctx.db.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    auditInsert(ctx, { action: 'auth.passkey_delete', resourceType: 'passkey', resourceId: id }),
  ]);
}
