import { codeEmail } from '../../../access/code-messages';
import { issueCode } from '../../../access/one-time-codes';
import type { ServiceContext } from '../../../context';
import { AppError } from '../../../lib/errors';
import { hitRateLimits } from '../../../platform/rate-limit';
import { AUTH_LIMITS, CODE_SENT } from '../auth.service';
import { verifyPasskeyForChallenge } from '../passkeys/second-factor';
import {
  enabledSecondFactors,
  failChallenge,
  type LiveChallenge,
  loadChallenge,
  passChallenge,
  type SecondFactor,
  type SignInResult,
} from '../sign-in.service';
import type { VerifyInput } from '../two-factor.schemas';
import { useRecoveryCode } from './recovery-codes';
import { acceptEmailCode, TWO_FACTOR_LIMITS, verifiedEmailOf } from './shared';
import { acceptTotp } from './totp';

/** Answering a pending sign-in's TWO_FACTOR_REQUIRED challenge with a second factor (public). */

async function assertFactorOn(ctx: ServiceContext, challenge: LiveChallenge, factor: SecondFactor) {
  const methods = await enabledSecondFactors(ctx, challenge.user.id);
  if (!methods.includes(factor)) {
    throw new AppError('CONFLICT', `This account does not use ${factor} as a second factor`, {
      details: { methods },
    });
  }
}

/**
 * Emails a code for a pending sign-in challenge of an account with email 2FA on.
 * @throws AppError TOKEN_INVALID / TOKEN_EXPIRED / OTP_MAX_ATTEMPTS (challenge), CONFLICT, RATE_LIMITED
 */
export async function sendTwoFactorEmail(ctx: ServiceContext, challengeId: string) {
  await hitRateLimits(ctx, [[AUTH_LIMITS.otpSendIp, ctx.ip]]);
  const challenge = await loadChallenge(ctx, challengeId);
  await assertFactorOn(ctx, challenge, 'email');
  const email = verifiedEmailOf(challenge.user);
  await hitRateLimits(ctx, [[AUTH_LIMITS.otpSendTarget, email]]);
  const code = await issueCode(ctx, { purpose: 'two-factor', target: challenge.id, userId: challenge.user.id });
  await ctx.ports.mailer.send({ to: email, ...codeEmail('two-factor', code, ctx.env.APP_NAME) });
  return CODE_SENT;
}

/**
 * Answers a sign-in challenge with a second factor and, when right, starts the session.
 * @throws AppError TOKEN_INVALID / TOKEN_EXPIRED (challenge), CONFLICT (factor not on), OTP_INVALID,
 * OTP_MAX_ATTEMPTS, RATE_LIMITED
 */
export async function verifyTwoFactor(ctx: ServiceContext, input: VerifyInput): Promise<SignInResult> {
  await hitRateLimits(ctx, [[TWO_FACTOR_LIMITS.verifyIp, ctx.ip]]);
  const challenge = await loadChallenge(ctx, input.challengeId);
  const userId = challenge.user.id;
  await hitRateLimits(ctx, [[TWO_FACTOR_LIMITS.verifyAccount, userId]]);
  await assertFactorOn(ctx, challenge, input.method);
  const code = input.code ?? '';
  let ok: boolean;
  switch (input.method) {
    case 'totp':
      ok = await acceptTotp(ctx, userId, code, 'enabled');
      break;
    case 'email':
      ok = await acceptEmailCode(ctx, { purpose: 'two-factor', target: challenge.id, code });
      break;
    case 'recovery':
      ok = await useRecoveryCode(ctx, userId, code);
      break;
    case 'passkey':
      // Options come from POST /auth/2fa/passkey/options; the assertion must answer one of those.
      ok = await verifyPasskeyForChallenge(ctx, challenge, input.response);
      break;
  }
  if (!ok) return failChallenge(ctx, challenge, input.method);
  return passChallenge(ctx, challenge, input.method);
}
