import { eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { recoveryCodes, userMfa } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { auditInsert } from '../../audit/audit.service';
import { type EnableableFactor, factorState } from '../sign-in.service';
import type { FreshFactor } from '../two-factor.schemas';
import { currentUser, proveFreshFactor } from './shared';
import { twoFactorStatus } from './status';

/**
 * Turns one factor (or all) off after a fresh second factor. Turning off the last factor also deletes
 * the recovery codes. Passkeys stay registered for passwordless sign-in; they just stop being a
 * second factor.
 * @throws AppError CONFLICT (that factor is not on), VALIDATION_FAILED, OTP_INVALID, RATE_LIMITED
 */
export async function disableTwoFactor(
  ctx: AuthedContext,
  input: { method: EnableableFactor | 'all'; factor: FreshFactor },
) {
  const user = await currentUser(ctx);
  const state = await factorState(ctx, user.id);
  const off = input.method === 'all' ? state.on : state.on.filter((m) => m === input.method);
  if (!off.length) {
    throw new AppError(
      'CONFLICT',
      input.method === 'all' ? 'Two-factor authentication is not on' : `Two-factor by ${input.method} is not on`,
    );
  }
  await proveFreshFactor(ctx, user, state, input.factor, 'auth.2fa_disable');
  const remaining = state.on.filter((m) => !off.includes(m));
  const now = ctx.clock.now().getTime();
  const clearTotp = off.includes('totp') || !remaining.length;
  await ctx.db.batch([
    ctx.db
      .update(userMfa)
      .set({
        ...(clearTotp ? { totpSecretEncrypted: null, totpEnabledAt: null } : {}),
        ...(off.includes('email') ? { emailOtpEnabledAt: null } : {}),
        ...(off.includes('passkey') ? { passkeyEnabledAt: null } : {}),
        updatedAt: now,
      })
      .where(eq(userMfa.userId, user.id)),
    auditInsert(ctx, {
      action: 'auth.2fa_disable',
      resourceType: 'user',
      resourceId: user.id,
      metadata: { methods: off, factor: input.factor.type, recoveryCodesDeleted: !remaining.length },
    }),
    ...(remaining.length ? [] : [ctx.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id))]),
  ]);
  return twoFactorStatus(ctx);
}
