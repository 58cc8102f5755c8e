import { eq } from 'drizzle-orm';
import { codeEmail, codeSms } from '../../access/code-messages';
import { consumeCode, issueCode, OTP_RESEND_COOLDOWN_MS, OTP_TTL_MS } from '../../access/one-time-codes';
import type { AuthedContext, ServiceContext } from '../../context';
import { type OtpPurpose, type UserRow, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/password';
import { toE164 } from '../../lib/phone';
import { hitRateLimits, type RateRule } from '../../platform/rate-limit';
import { auditInsert, recordAudit } from '../audit/audit.service';
import { assertFlagOn } from '../settings/settings.service';
import { newAccount } from '../users/new-account';
import { toUserView } from '../users/users.service';
import { passwordProblems } from './password.policy';
import { type DeviceInfo, revokeAllStatements, revokeSession, startSession } from './sessions.service';
import { completeSignIn, type SignInResult } from './sign-in.service';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Rate limits of the public auth endpoints, per IP and per account or number. */
export const AUTH_LIMITS = {
  registerIp: { name: 'register:ip', limit: 10, windowMs: HOUR },
  loginIp: { name: 'login:ip', limit: 30, windowMs: 15 * MINUTE },
  loginAccount: { name: 'login:account', limit: 10, windowMs: 15 * MINUTE },
  otpSendIp: { name: 'otp-send:ip', limit: 20, windowMs: HOUR },
  otpSendTarget: { name: 'otp-send:target', limit: 5, windowMs: HOUR },
  otpVerifyIp: { name: 'otp-verify:ip', limit: 30, windowMs: 15 * MINUTE },
  otpVerifyTarget: { name: 'otp-verify:target', limit: 10, windowMs: 15 * MINUTE },
  forgotIp: { name: 'forgot:ip', limit: 10, windowMs: HOUR },
  forgotAccount: { name: 'forgot:account', limit: 3, windowMs: HOUR },
  passwordChangeAccount: { name: 'password-change:account', limit: 5, windowMs: 15 * MINUTE },
} satisfies Record<string, RateRule>;

const INVALID_LOGIN = 'Email or password is incorrect';

let dummyHash: Promise<string> | undefined;
/** Verifying against a throwaway hash keeps "no such account" as slow as "wrong password". */
function burnPasswordCheck(password: string): Promise<boolean> {
  dummyHash ??= hashPassword(crypto.randomUUID());
  return dummyHash.then((hash) => verifyPassword(password, hash));
}

function assertStrong(password: string, email: string | null, field = 'password'): void {
  const fields = passwordProblems(password, email, field);
  if (fields.length) throw new AppError('VALIDATION_FAILED', 'Choose a stronger password', { fields });
}

async function userByEmail(ctx: ServiceContext, email: string): Promise<UserRow | undefined> {
  return ctx.db.select().from(users).where(eq(users.email, email)).get();
}

async function userById(ctx: ServiceContext, id: string): Promise<UserRow> {
  const row = await ctx.db.select().from(users).where(eq(users.id, id)).get();
  if (!row) throw new AppError('TOKEN_REVOKED', 'This account no longer exists');
  return row;
}

/**
 * Issues a code for an email flow and mails it when the account exists. For an unknown address the
 * code is still recorded (never sent), so cooldowns and answers are the same and reveal nothing.
 */
async function sendEmailCode(ctx: ServiceContext, purpose: OtpPurpose, email: string, user: UserRow | undefined) {
  const code = await issueCode(ctx, { purpose, target: email, userId: user?.id ?? null });
  if (user) await ctx.ports.mailer.send({ to: email, ...codeEmail(purpose, code, ctx.env.APP_NAME) });
}

/** Consumes a sign-in code, auditing a failed attempt (wrong, expired or exhausted code) before rethrowing. */
async function consumeAudited(ctx: ServiceContext, purpose: OtpPurpose, target: string, code: string) {
  try {
    return await consumeCode(ctx, { purpose, target, code });
  } catch (err) {
    if (err instanceof AppError) {
      await recordAudit(ctx, {
        action: 'auth.otp_verify',
        resourceType: 'one-time-code',
        outcome: 'failure',
        metadata: { purpose, code: err.code },
      });
    }
    throw err;
  }
}

export const CODE_SENT = { expiresIn: OTP_TTL_MS / 1000, resendAfter: OTP_RESEND_COOLDOWN_MS / 1000 };

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  mobileNumber?: string;
  role: 'user' | 'doctor' | 'caregiver';
}

/**
 * Creates an account and emails a verification code. Patients start active; doctors and caregivers
 * start pending until an admin verifies them. Nobody can sign in with a password before verifying.
 * @throws AppError VALIDATION_FAILED (weak password, bad number), CONFLICT (email or number taken), RATE_LIMITED
 */
export async function register(ctx: ServiceContext, input: RegisterInput) {
  await hitRateLimits(ctx, [[AUTH_LIMITS.registerIp, ctx.ip]]);
  assertStrong(input.password, input.email);
  const mobileNumber = input.mobileNumber ? toE164(input.mobileNumber) : null;
  // Nothing is proved yet: the emailed code proves the address, an admin the credentials.
  const user = newAccount(ctx, {
    role: input.role,
    name: input.name,
    email: input.email,
    mobileNumber,
    passwordHash: await hashPassword(input.password),
  });
  const inserted = await ctx.db.insert(users).values(user).onConflictDoNothing().returning({ id: users.id });
  if (!inserted.length) throw new AppError('CONFLICT', 'An account with this email or mobile number already exists');
  await recordAudit(ctx, {
    actorId: user.id,
    action: 'auth.register',
    resourceType: 'user',
    resourceId: user.id,
    metadata: { role: user.role },
  });
  await sendEmailCode(ctx, 'verify-email', user.email!, user);
  return { user: toUserView(user), verification: CODE_SENT };
}

/** Confirms the email with its code and signs the user in. */
export async function verifyEmail(ctx: ServiceContext, input: { email: string; otp: string }, device: DeviceInfo) {
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.otpVerifyIp, ctx.ip],
    [AUTH_LIMITS.otpVerifyTarget, input.email],
  ]);
  await consumeAudited(ctx, 'verify-email', input.email, input.otp);
  const user = await userByEmail(ctx, input.email);
  if (!user) throw new AppError('OTP_INVALID', 'The code is not valid');
  const now = ctx.clock.now().getTime();
  const verified = { ...user, emailVerifiedAt: user.emailVerifiedAt ?? now, updatedAt: now };
  await ctx.db.batch([
    ctx.db
      .update(users)
      .set({ emailVerifiedAt: verified.emailVerifiedAt, updatedAt: now })
      .where(eq(users.id, user.id)),
    auditInsert(ctx, { actorId: user.id, action: 'auth.email_verified', resourceType: 'user', resourceId: user.id }),
  ]);
  return completeSignIn(ctx, verified, 'verify-email', device);
}

/** Sends a new verification code to an unverified account; answers the same for any address. */
export async function resendVerification(ctx: ServiceContext, email: string) {
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.otpSendIp, ctx.ip],
    [AUTH_LIMITS.otpSendTarget, email],
  ]);
  const user = await userByEmail(ctx, email);
  await sendEmailCode(ctx, 'verify-email', email, user && !user.emailVerifiedAt ? user : undefined);
  return CODE_SENT;
}

/**
 * Email + password sign-in. Wrong email and wrong password fail alike (same message, same work).
 * @throws AppError UNAUTHENTICATED, EMAIL_NOT_VERIFIED, USER_BLOCKED, USER_INACTIVE, TWO_FACTOR_REQUIRED, RATE_LIMITED
 */
export async function login(
  ctx: ServiceContext,
  input: { email: string; password: string },
  device: DeviceInfo,
): Promise<SignInResult> {
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.loginIp, ctx.ip],
    [AUTH_LIMITS.loginAccount, input.email],
  ]);
  const user = await userByEmail(ctx, input.email);
  let ok = false;
  if (user?.passwordHash) ok = await verifyPassword(input.password, user.passwordHash);
  else await burnPasswordCheck(input.password);
  if (!user || !ok || user.status === 'removed') {
    await recordAudit(ctx, {
      actorId: user?.id ?? null,
      action: 'auth.login',
      resourceType: 'user',
      resourceId: user?.id ?? null,
      outcome: 'failure',
      metadata: { method: 'password' },
    });
    throw new AppError('UNAUTHENTICATED', INVALID_LOGIN);
  }
  if (!user.emailVerifiedAt) throw new AppError('EMAIL_NOT_VERIFIED', 'Verify your email before signing in');
  if (needsRehash(user.passwordHash!)) {
    await ctx.db
      .update(users)
      .set({ passwordHash: await hashPassword(input.password) })
      .where(eq(users.id, user.id));
  }
  return completeSignIn(ctx, user, 'password', device);
}

export type OtpTarget = { email: string; mobileNumber?: undefined } | { mobileNumber: string; email?: undefined };

const SMS_SIGN_IN_OFF = 'Sign-in by SMS is turned off';

/**
 * Refuses a sign-in code by SMS while `features.smsSignIn` is off. The route runs it before the
 * reCAPTCHA check, so a turned-off channel costs no call to Google either.
 * @throws AppError FORBIDDEN
 */
export async function assertOtpChannelOpen(ctx: ServiceContext, input: OtpTarget): Promise<void> {
  if (!input.email) await assertFlagOn(ctx, 'features.smsSignIn', SMS_SIGN_IN_OFF);
}

/**
 * Sends a one-time sign-in code by email (existing accounts) or SMS (any valid number).
 * @throws AppError FORBIDDEN for a mobile number while `features.smsSignIn` is off (nothing is sent
 * or counted), VALIDATION_FAILED (bad number), RATE_LIMITED
 */
export async function sendSignInCode(ctx: ServiceContext, input: OtpTarget) {
  await assertOtpChannelOpen(ctx, input);
  const target = input.email ?? toE164(input.mobileNumber!);
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.otpSendIp, ctx.ip],
    [AUTH_LIMITS.otpSendTarget, target],
  ]);
  if (input.email) {
    const user = await userByEmail(ctx, input.email);
    await sendEmailCode(ctx, 'login-email', input.email, user?.status === 'removed' ? undefined : user);
    return { channel: 'email' as const, ...CODE_SENT };
  }
  const code = await issueCode(ctx, { purpose: 'login-sms', target });
  await ctx.ports.sms.send({ to: target, body: codeSms(code, ctx.env.APP_NAME) });
  return { channel: 'sms' as const, ...CODE_SENT };
}

async function patientForNumber(ctx: ServiceContext, mobileNumber: string): Promise<UserRow> {
  const existing = await ctx.db.select().from(users).where(eq(users.mobileNumber, mobileNumber)).get();
  if (existing) return existing;
  const fresh = newAccount(ctx, {
    role: 'user',
    name: `Patient ${mobileNumber.slice(-4)}`,
    mobileNumber,
    verified: { mobile: true },
  });
  // Unique on mobile_number: of two concurrent first sign-ins, one inserts and both read that row.
  await ctx.db.insert(users).values(fresh).onConflictDoNothing();
  const row = await ctx.db.select().from(users).where(eq(users.mobileNumber, mobileNumber)).get();
  if (row?.id === fresh.id) {
    await recordAudit(ctx, {
      actorId: fresh.id,
      action: 'auth.register',
      resourceType: 'user',
      resourceId: fresh.id,
      metadata: { method: 'sms-otp' },
    });
  }
  return row!;
}

/**
 * Signs in with a one-time code. An email code also proves the address; an unknown mobile number
 * becomes a new patient account (the Arthomed flow).
 * @throws AppError FORBIDDEN for a mobile number while `features.smsSignIn` is off (no code is consumed,
 * no account created), OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, USER_BLOCKED, TWO_FACTOR_REQUIRED, RATE_LIMITED
 */
export async function verifySignInCode(ctx: ServiceContext, input: OtpTarget & { otp: string }, device: DeviceInfo) {
  if (!input.email) await assertFlagOn(ctx, 'features.smsSignIn', SMS_SIGN_IN_OFF);
  const target = input.email ?? toE164(input.mobileNumber!);
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.otpVerifyIp, ctx.ip],
    [AUTH_LIMITS.otpVerifyTarget, target],
  ]);
  const now = ctx.clock.now().getTime();
  if (input.email) {
    await consumeAudited(ctx, 'login-email', target, input.otp);
    const user = await userByEmail(ctx, target);
    if (!user) throw new AppError('OTP_INVALID', 'The code is not valid');
    if (!user.emailVerifiedAt) await ctx.db.update(users).set({ emailVerifiedAt: now }).where(eq(users.id, user.id));
    return completeSignIn(ctx, { ...user, emailVerifiedAt: user.emailVerifiedAt ?? now }, 'email-otp', device);
  }
  await consumeAudited(ctx, 'login-sms', target, input.otp);
  const user = await patientForNumber(ctx, target);
  if (!user.mobileVerifiedAt) await ctx.db.update(users).set({ mobileVerifiedAt: now }).where(eq(users.id, user.id));
  return completeSignIn(ctx, { ...user, mobileVerifiedAt: user.mobileVerifiedAt ?? now }, 'sms-otp', device);
}

/** Emails a password-reset code when the account exists; answers the same either way. */
export async function forgotPassword(ctx: ServiceContext, email: string) {
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.forgotIp, ctx.ip],
    [AUTH_LIMITS.forgotAccount, email],
  ]);
  const user = await userByEmail(ctx, email);
  await sendEmailCode(ctx, 'password-reset', email, user?.status === 'removed' ? undefined : user);
  return CODE_SENT;
}

/**
 * Sets a new password with a reset code, then ends every session and access token of the account.
 * @throws AppError VALIDATION_FAILED (weak password), OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS
 */
export async function resetPassword(ctx: ServiceContext, input: { email: string; otp: string; newPassword: string }) {
  await hitRateLimits(ctx, [
    [AUTH_LIMITS.otpVerifyIp, ctx.ip],
    [AUTH_LIMITS.otpVerifyTarget, input.email],
  ]);
  assertStrong(input.newPassword, input.email, 'newPassword');
  await consumeAudited(ctx, 'password-reset', input.email, input.otp);
  const user = await userByEmail(ctx, input.email);
  if (!user) throw new AppError('OTP_INVALID', 'The code is not valid');
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db
      .update(users)
      .set({
        passwordHash: await hashPassword(input.newPassword),
        emailVerifiedAt: user.emailVerifiedAt ?? now,
        updatedAt: now,
      })
      .where(eq(users.id, user.id)),
    ...revokeAllStatements(ctx, user.id, 'password-reset'),
    auditInsert(ctx, { actorId: user.id, action: 'auth.password_reset', resourceType: 'user', resourceId: user.id }),
  ]);
}

/**
 * Changes the caller's password (the current one is required), signs out every other device and
 * token, and returns a fresh token pair for this device.
 * @throws AppError VALIDATION_FAILED (wrong current password, weak new one), CONFLICT (no password yet), RATE_LIMITED
 */
export async function changePassword(
  ctx: AuthedContext,
  input: { currentPassword: string; newPassword: string },
  device: DeviceInfo,
) {
  const user = await userById(ctx, ctx.actor.id);
  await hitRateLimits(ctx, [[AUTH_LIMITS.passwordChangeAccount, user.id]]);
  if (!user.passwordHash) throw new AppError('CONFLICT', 'This account has no password yet; set one instead');
  if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
    await recordAudit(ctx, {
      action: 'auth.password_change',
      resourceType: 'user',
      resourceId: user.id,
      outcome: 'failure',
    });
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'currentPassword', message: 'Current password is incorrect' }],
    });
  }
  assertStrong(input.newPassword, user.email, 'newPassword');
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db
      .update(users)
      .set({ passwordHash: await hashPassword(input.newPassword), updatedAt: now })
      .where(eq(users.id, user.id)),
    ...revokeAllStatements(ctx, user.id, 'password-change'),
    auditInsert(ctx, { action: 'auth.password_change', resourceType: 'user', resourceId: user.id }),
  ]);
  const fresh = await userById(ctx, user.id);
  return { user: toUserView(fresh), tokens: await startSession(ctx, fresh, 'password', device) };
}

/**
 * Gives an OTP-only account (mobile or Google sign-up) a password.
 * @throws AppError CONFLICT when it already has one, VALIDATION_FAILED when weak
 */
export async function setPassword(ctx: AuthedContext, newPassword: string) {
  const user = await userById(ctx, ctx.actor.id);
  if (user.passwordHash) throw new AppError('CONFLICT', 'This account already has a password; change it instead');
  assertStrong(newPassword, user.email, 'newPassword');
  const now = ctx.clock.now().getTime();
  await ctx.db.batch([
    ctx.db
      .update(users)
      .set({ passwordHash: await hashPassword(newPassword), updatedAt: now })
      .where(eq(users.id, user.id)),
    auditInsert(ctx, { action: 'auth.password_set', resourceType: 'user', resourceId: user.id }),
  ]);
  return toUserView({ ...user, passwordHash: 'set' });
}

/** Ends the session of the caller's access token. */
export async function logout(ctx: AuthedContext): Promise<void> {
  if (!ctx.actor.sessionId) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  await revokeSession(ctx, ctx.actor.sessionId, 'logout');
}
