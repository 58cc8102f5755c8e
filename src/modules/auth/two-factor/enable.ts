import { count, eq, isNull } from 'drizzle-orm';
import { Secret } from 'otpauth';
import { codeEmail } from '../../../access/code-messages';
import { consumeCode, issueCode } from '../../../access/one-time-codes';
import type { AuthedContext } from '../../../context';
import { passkeys, userMfa } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { fromBase64Url } from '../../../lib/ids';
import { iso } from '../../../lib/time';
import { hitRateLimits } from '../../../platform/rate-limit';
import { AUTH_LIMITS, CODE_SENT } from '../auth.service';
import { factorState } from '../sign-in.service';
import { auditFailure, currentUser, finishEnable, verifiedEmailOf } from './shared';
import { acceptTotp, sealTotp, TOTP_SECRET_BYTES, totpOf } from './totp';

/** Turning a second factor on: TOTP and email codes (set up, then confirmed) and passkeys. */

/**
 * Creates a TOTP secret (pending until confirmed by POST /2fa/totp/enable); a pending one is replaced.
 * @throws AppError CONFLICT when TOTP is already on
 */
export async function setupTotp(ctx: AuthedContext) {
  const user = await currentUser(ctx);
  const secret = new Secret({ buffer: fromBase64Url(ctx.ids.token(TOTP_SECRET_BYTES)).buffer as ArrayBuffer });
  const sealed = await sealTotp(ctx, { v: 1, secret: secret.base32, lastStep: null });
  const now = ctx.clock.now().getTime();
  // Only a pending (or absent) secret may be replaced, decided atomically by the upsert.
  const saved = await ctx.db
    .insert(userMfa)
    .values({ userId: user.id, totpSecretEncrypted: sealed, updatedAt: now })
    .onConflictDoUpdate({
      target: userMfa.userId,
      set: { totpSecretEncrypted: sealed, updatedAt: now },
      setWhere: isNull(userMfa.totpEnabledAt),
    })
    .returning({ userId: userMfa.userId });
  if (!saved.length) throw new AppError('CONFLICT', 'TOTP is already on; turn it off before setting up a new one');
  const label = user.email ?? user.mobileNumber ?? user.id;
  return { secret: secret.base32, otpauthUrl: totpOf(secret, label).toString() };
}

/**
 * Turns TOTP on with a code from the authenticator. Issues recovery codes (returned once) if the
 * account has none.
 * @throws AppError CONFLICT (already on, or nothing set up), OTP_INVALID
 */
export async function enableTotp(ctx: AuthedContext, code: string) {
  const user = await currentUser(ctx);
  const { mfa } = await factorState(ctx, user.id);
  if (mfa?.totpEnabledAt) throw new AppError('CONFLICT', 'TOTP is already on');
  if (!mfa?.totpSecretEncrypted) throw new AppError('CONFLICT', 'Set up TOTP first (POST /auth/2fa/totp/setup)');
  if (!(await acceptTotp(ctx, user.id, code, 'pending'))) {
    await auditFailure(ctx, 'auth.2fa_enable', user.id, { factor: 'totp' });
    throw new AppError('OTP_INVALID', 'The code is not valid');
  }
  return finishEnable(ctx, user.id, 'totp');
}

/**
 * Emails a code to the account's verified address. It confirms POST /2fa/email/enable, and while
 * email 2FA is on it is also the fresh email factor of POST /2fa/disable and /2fa/recovery-codes.
 * @throws AppError CONFLICT (no verified email), RATE_LIMITED (once a minute; hourly caps)
 */
export async function setupEmail(ctx: AuthedContext) {
  const user = await currentUser(ctx);
  const email = verifiedEmailOf(user);
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.otpSendIp, ctx.ip],
    [AUTH_LIMITS.otpSendTarget, email],
  ]);
  const code = await issueCode(ctx, { purpose: 'email-2fa-setup', target: user.id, userId: user.id });
  await ctx.ports.mailer.send({ to: email, ...codeEmail('email-2fa-setup', code, ctx.env.APP_NAME) });
  return CODE_SENT;
}

/**
 * Turns email codes on as a second factor, with the code from POST /2fa/email/setup.
 * @throws AppError CONFLICT (already on, no verified email), OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS
 */
export async function enableEmail(ctx: AuthedContext, code: string) {
  const user = await currentUser(ctx);
  verifiedEmailOf(user);
  const { mfa } = await factorState(ctx, user.id);
  if (mfa?.emailOtpEnabledAt) throw new AppError('CONFLICT', 'Email two-factor is already on');
  try {
    await consumeCode(ctx, { purpose: 'email-2fa-setup', target: user.id, code });
  } catch (error) {
    await auditFailure(ctx, 'auth.2fa_enable', user.id, { factor: 'email' });
    throw error;
  }
  const now = ctx.clock.now().getTime();
  const flipped = await ctx.db
    .insert(userMfa)
    .values({ userId: user.id, emailOtpEnabledAt: now, updatedAt: now })
    .onConflictDoUpdate({
      target: userMfa.userId,
      set: { emailOtpEnabledAt: now, updatedAt: now },
      setWhere: isNull(userMfa.emailOtpEnabledAt),
    })
    .returning({ userId: userMfa.userId });
  if (!flipped.length) throw new AppError('CONFLICT', 'Email two-factor is already on');
  return finishEnable(ctx, user.id, 'email');
}

/**

/**
 * Turns on passkeys as a second factor and, when the account has no recovery codes yet, issues them
 * (returned once), so a passkey-only account can still prove a fresh factor or recover.
 * @throws AppError CONFLICT when the caller has no passkey yet or passkey 2FA is already on
 */
export async function enablePasskeyTwoFactor(ctx: AuthedContext) {
  const userId = ctx.actor.id;
  const [[owned], [mfa]] = await ctx.db.batch([
    ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
    ctx.db.select({ enabledAt: userMfa.passkeyEnabledAt }).from(userMfa).where(eq(userMfa.userId, userId)),
  ]);
  if (!owned?.n) throw new AppError('CONFLICT', 'Register a passkey before using it as a second factor');
  if (mfa?.enabledAt) throw new AppError('CONFLICT', 'Passkeys are already a second factor');
  const now = ctx.clock.now().getTime();
  await ctx.db
    .insert(userMfa)
    .values({ userId, passkeyEnabledAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: userMfa.userId, set: { passkeyEnabledAt: now, updatedAt: now } });
  const issued = await finishEnable(ctx, userId, 'passkey');
  return { factor: 'passkey' as const, enabledAt: iso(now), ...issued };
}
