import { eq } from 'drizzle-orm';
import { consumeCode } from '../../../access/one-time-codes';
import type { AuthedContext, ServiceContext } from '../../../context';
import { type UserRow, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { type AddressRule, hitRateLimits, type RateRule } from '../../../platform/rate-limit';
import { auditInsert, recordAudit } from '../../audit/audit.service';
import { type EnableableFactor, type FactorState, factorState } from '../sign-in.service';
import type { FreshFactor } from '../two-factor.schemas';
import { freshRecoveryCodes, useRecoveryCode } from './recovery-codes';
import { acceptTotp } from './totp';

/** What the two-factor verbs share: limits, the caller's row, fresh-factor proofs and finishing an enable. */

const MINUTE = 60_000;

/**
 * Limits on guessing second factors. Each challenge already dies after 5 wrong answers; these also cap
 * guesses spread over many challenges (per account) and over many accounts (per address: wrong answers
 * only, under a high ceiling on all, so people answering right from one shared address are never refused).
 */
export const TWO_FACTOR_LIMITS = {
  verifyIp: {
    failures: { name: '2fa-verify-failures:ip', limit: 30, windowMs: 15 * MINUTE },
    ceiling: { name: '2fa-verify:ip', limit: 600, windowMs: 15 * MINUTE },
  },
  verifyAccount: { name: '2fa-verify:account', limit: 10, windowMs: 15 * MINUTE },
  /** Fresh-factor proofs of signed-in users (disable, regenerate recovery codes). */
  factorAccount: { name: '2fa-factor:account', limit: 10, windowMs: 15 * MINUTE },
} satisfies Record<string, RateRule | AddressRule>;

/**
 * The signed-in caller's row.
 * @throws AppError UNAUTHENTICATED without a caller, TOKEN_REVOKED when the account is gone
 */
export async function currentUser(ctx: AuthedContext): Promise<UserRow> {
  const row = await ctx.db.select().from(users).where(eq(users.id, ctx.actor.id)).get();
  if (!row) throw new AppError('TOKEN_REVOKED', 'This account no longer exists');
  return row;
}

/** Audits a refused second factor (outcome `failure`) on the user. */
export const auditFailure = (ctx: ServiceContext, action: string, userId: string, metadata: Record<string, unknown>) =>
  recordAudit(ctx, { action, resourceType: 'user', resourceId: userId, outcome: 'failure', metadata });

/**
 * Proves a second factor again before a change that weakens the account.
 * @throws AppError VALIDATION_FAILED (that factor is not on), OTP_INVALID / OTP_EXPIRED / OTP_MAX_ATTEMPTS, RATE_LIMITED
 */
export async function proveFreshFactor(
  ctx: ServiceContext,
  user: UserRow,
  state: FactorState,
  factor: FreshFactor,
  action: string,
): Promise<void> {
  await hitRateLimits(ctx, [[TWO_FACTOR_LIMITS.factorAccount, user.id]]);
  const usable =
    factor.type === 'recovery' ? state.recoveryRemaining > 0 && state.on.length > 0 : state.on.includes(factor.type);
  if (!usable) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'factor.type', message: 'This factor is not on for your account' }],
    });
  }
  if (factor.type === 'email') {
    try {
      await consumeCode(ctx, { purpose: 'email-2fa-setup', target: user.id, code: factor.code });
      return;
    } catch (error) {
      await auditFailure(ctx, action, user.id, { factor: factor.type });
      throw error;
    }
  }
  const ok =
    factor.type === 'totp'
      ? await acceptTotp(ctx, user.id, factor.code, 'enabled')
      : await useRecoveryCode(ctx, user.id, factor.code);
  if (!ok) {
    await auditFailure(ctx, action, user.id, { factor: factor.type });
    throw new AppError('OTP_INVALID', 'The code is not valid');
  }
}

/**
 * The account's verified email address, where email codes go.
 * @throws AppError CONFLICT when the account has no verified email
 */
export function verifiedEmailOf(user: UserRow): string {
  if (!user.email || !user.emailVerifiedAt) {
    throw new AppError('CONFLICT', 'Verify an email address on the account before using email codes');
  }
  return user.email;
}

/**
 * After a factor was turned on (TOTP, email or passkey): audits it and, when the account has no unused
 * recovery codes, issues a set, returned once as `recoveryCodes`.
 */
export async function finishEnable(ctx: ServiceContext, userId: string, factor: EnableableFactor) {
  const { recoveryRemaining } = await factorState(ctx, userId);
  const fresh = recoveryRemaining ? null : await freshRecoveryCodes(ctx, userId);
  await ctx.db.batch([
    auditInsert(ctx, {
      action: 'auth.2fa_enable',
      resourceType: 'user',
      resourceId: userId,
      metadata: { factor, recoveryCodesIssued: Boolean(fresh) },
    }),
    ...(fresh?.statements ?? []),
  ]);
  return fresh ? { recoveryCodes: fresh.codes } : {};
}
