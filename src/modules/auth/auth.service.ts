import { and, eq, or, sql } from 'drizzle-orm';
import { checkCode, codeSent, invalidCode, newestCodeQuery } from '../../access/one-time-codes';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import { abortUnlessOneRowChanged, decideAgainOnLostRace, oneRowGuardTripped } from '../../db/row-guard';
import { type UserRow, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { hashPassword, needsRehash, verifyPassword } from '../../lib/password';
import { e164OrNull, toE164 } from '../../lib/phone';
import {
  type AddressRule,
  type RateHit,
  type RateRule,
  rateLimitCounters,
  refundRateLimit,
} from '../../platform/rate-limit';
import { auditInsert, recordAudit } from '../audit/audit.service';
import { codeTtlMs } from '../settings/lifetimes';
import { phoneRegionFor, primeSettings, settingsQuery } from '../settings/settings.service';
import { newAccount, registerAccountStatements } from '../users/new-account';
import { toUserView } from '../users/users.service';
import { answerCode, refuseCode, storeAndMailCode } from './code-answers';
import { passwordProblems } from './password.policy';
import { type DeviceInfo, prepareSession, revokeAllStatements, revokeSession } from './sessions.service';
import { completeSignIn, factorStateQueries, type SignInResult, toFactorState } from './sign-in.service';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * Rate limits of the public auth endpoints. Per account, per number and per code every attempt counts.
 * Per address they never lock out people who share one (a clinic's network, a carrier's NAT) for doing
 * things right: guesses count only when wrong (`AddressRule`), codes count until they are used (a
 * refund), and a high ceiling on every attempt still bounds one address (docs/identity.md).
 */
export const AUTH_LIMITS = {
  /** Registrations refused because the email or number is taken (probing), and all registrations. */
  registerIp: {
    failures: { name: 'register-failures:ip', limit: 10, windowMs: HOUR },
    ceiling: { name: 'register:ip', limit: 60, windowMs: HOUR },
  },
  /** Wrong passwords (any account) and all password sign-ins. */
  loginIp: {
    failures: { name: 'login-failures:ip', limit: 30, windowMs: 15 * MINUTE },
    ceiling: { name: 'login:ip', limit: 600, windowMs: 15 * MINUTE },
  },
  loginAccount: { name: 'login:account', limit: 10, windowMs: 15 * MINUTE },
  /** Codes sent from the address and not used yet: a code used (signed in with) is given back. */
  otpSendIp: { name: 'otp-send:ip', limit: 20, windowMs: HOUR },
  /** Every code sent from the address, used or not. */
  otpSendIpCeiling: { name: 'otp-send-all:ip', limit: 200, windowMs: HOUR },
  otpSendTarget: { name: 'otp-send:target', limit: 5, windowMs: HOUR },
  /** Wrong, expired or spent codes (any target) and all code checks. */
  otpVerifyIp: {
    failures: { name: 'otp-verify-failures:ip', limit: 30, windowMs: 15 * MINUTE },
    ceiling: { name: 'otp-verify:ip', limit: 600, windowMs: 15 * MINUTE },
  },
  otpVerifyTarget: { name: 'otp-verify:target', limit: 10, windowMs: 15 * MINUTE },
  /** Reset codes asked for from the address and not used yet (a reset done gives it back), and all of them. */
  forgotIp: { name: 'forgot:ip', limit: 10, windowMs: HOUR },
  forgotIpCeiling: { name: 'forgot-all:ip', limit: 100, windowMs: HOUR },
  forgotAccount: { name: 'forgot:account', limit: 3, windowMs: HOUR },
  passwordChangeAccount: { name: 'password-change:account', limit: 5, windowMs: 15 * MINUTE },
} satisfies Record<string, RateRule | AddressRule>;

/**
 * The send limits of one code, ceiling first (a send refused for its unused codes still counts under
 * the ceiling): every code from the address, the address's unused codes, and the target's own.
 */
export function codeSendLimits(ip: string | null, target: string | null): RateHit[] {
  return [
    [AUTH_LIMITS.otpSendIpCeiling, ip],
    [AUTH_LIMITS.otpSendIp, ip],
    [AUTH_LIMITS.otpSendTarget, target],
  ];
}

/**
 * Gives the address back the send a code cost, once the code was used (a statement for the sign-in's
 * write batch): a finished sign-in never counts against the people sharing the address.
 */
export function codeUsedStatements(ctx: ServiceContext, rule: RateRule = AUTH_LIMITS.otpSendIp): Statements {
  return ctx.ip ? [refundRateLimit(ctx, rule, ctx.ip)] : [];
}

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

/** The account with `email` (no row when none), for a caller's batch. */
export const userByEmailQuery = (ctx: ServiceContext, email: string) =>
  ctx.db.select().from(users).where(eq(users.email, email));

/** SQL: the id of the account with `email` (NULL when none), so its other rows join the same read batch. */
export const idOfEmail = (email: string) => sql`(select ${users.id} from ${users} where ${users.email} = ${email})`;

async function userById(ctx: ServiceContext, id: string): Promise<UserRow> {
  const row = await ctx.db.select().from(users).where(eq(users.id, id)).get();
  if (!row) throw new AppError('TOKEN_REVOKED', 'This account no longer exists');
  return row;
}

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
 * One read batch (the limits, a holder of the email or number, the newest code), one write batch.
 * @throws AppError VALIDATION_FAILED (weak password, bad number), CONFLICT (email or number taken), RATE_LIMITED
 */
export async function register(ctx: ServiceContext, input: RegisterInput) {
  // An invalid number is refused after the limit counted the attempt; until then it matches nobody. A
  // national number reads the region first (one more round trip): the number keys the read batch.
  const region = await phoneRegionFor(ctx, input.mobileNumber);
  const parsedNumber = input.mobileNumber ? e164OrNull(input.mobileNumber, region) : null;
  const limits = rateLimitCounters(ctx, [], { address: [AUTH_LIMITS.registerIp, ctx.ip] });
  const { taken, newest, settings, ...counts } = await batchOf(ctx.db, {
    taken: ctx.db
      .select({ id: users.id })
      .from(users)
      .where(
        parsedNumber
          ? or(eq(users.email, input.email), eq(users.mobileNumber, parsedNumber))
          : eq(users.email, input.email),
      )
      .limit(1),
    newest: newestCodeQuery(ctx, 'verify-email', input.email),
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  limits.check(counts);
  assertStrong(input.password, input.email);
  const mobileNumber = input.mobileNumber ? toE164(input.mobileNumber, { region }) : null;
  // A taken email or number is what a prober learns from: it counts against the address.
  const conflict = async (): Promise<never> => {
    await runBatch(ctx.db, limits.failed());
    throw new AppError('CONFLICT', 'An account with this email or mobile number already exists');
  };
  if (taken.length) return conflict();
  // Nothing is proved yet: the emailed code proves the address, an admin the credentials.
  const user = newAccount(ctx, {
    role: input.role,
    name: input.name,
    email: input.email,
    mobileNumber,
    passwordHash: await hashPassword(input.password),
  });
  // One write batch: the account, its audit row and its code. A concurrent sign-up that took the email
  // or number since the read leaves the insert without effect, and the guard rolls the rest back.
  const ttlMs = await codeTtlMs(ctx);
  try {
    await storeAndMailCode(
      ctx,
      'verify-email',
      user.email!,
      user,
      { newest: newest[0], ttlMs },
      registerAccountStatements(ctx, user, { role: user.role }),
    );
  } catch (err) {
    if (oneRowGuardTripped(err)) return conflict();
    throw err;
  }
  return { user: toUserView(user), verification: codeSent(ttlMs) };
}

/** The limits of answering a code: the address's wrong codes and ceiling, and the target's answers. */
const codeAnswerLimits = (ctx: ServiceContext, target: string) =>
  rateLimitCounters(ctx, [[AUTH_LIMITS.otpVerifyTarget, target]], { address: [AUTH_LIMITS.otpVerifyIp, ctx.ip] });

/**
 * Confirms the email with its code and signs the user in: one read batch (the limits, the newest code,
 * the account and its second factors), one write batch.
 * @throws AppError OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, USER_BLOCKED, TWO_FACTOR_REQUIRED, RATE_LIMITED
 */
export async function verifyEmail(ctx: ServiceContext, input: { email: string; otp: string }, device: DeviceInfo) {
  const limits = codeAnswerLimits(ctx, input.email);
  return answerCode(ctx, 'verify-email', async (first) => {
    const { newest, found, mfa, recovery, settings, ...counts } = await batchOf(ctx.db, {
      newest: newestCodeQuery(ctx, 'verify-email', input.email),
      found: userByEmailQuery(ctx, input.email),
      ...factorStateQueries(ctx, idOfEmail(input.email)),
      // The new session's token lifetimes.
      settings: settingsQuery(ctx),
      ...(first ? limits.statements : {}),
    });
    primeSettings(ctx, settings);
    limits.check(counts);
    const check = await checkCode(ctx, { purpose: 'verify-email', target: input.email, code: input.otp }, newest[0]);
    if (!check.ok) return refuseCode(ctx, 'verify-email', check, limits.failed());
    const user = found[0];
    if (!user) {
      await runBatch(ctx.db, [...check.statements, ...limits.failed()]);
      throw invalidCode();
    }
    const now = ctx.clock.now().getTime();
    const verified = { ...user, emailVerifiedAt: user.emailVerifiedAt ?? now, updatedAt: now };
    return completeSignIn(ctx, verified, 'verify-email', device, {
      factors: toFactorState(mfa, recovery),
      writes: [
        ...check.statements,
        ctx.db
          .update(users)
          .set({ emailVerifiedAt: verified.emailVerifiedAt, updatedAt: now })
          .where(eq(users.id, user.id)),
        auditInsert(ctx, {
          actorId: user.id,
          action: 'auth.email_verified',
          resourceType: 'user',
          resourceId: user.id,
        }),
      ],
    });
  });
}

/** Sends a new verification code to an unverified account; answers the same for any address. */
export async function resendVerification(ctx: ServiceContext, email: string) {
  const limits = rateLimitCounters(ctx, codeSendLimits(ctx.ip, email));
  const { found, newest, settings, ...counts } = await batchOf(ctx.db, {
    found: userByEmailQuery(ctx, email),
    newest: newestCodeQuery(ctx, 'verify-email', email),
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  limits.check(counts);
  const user = found[0];
  const ttlMs = await codeTtlMs(ctx);
  await storeAndMailCode(ctx, 'verify-email', email, user && !user.emailVerifiedAt ? user : undefined, {
    newest: newest[0],
    ttlMs,
  });
  return codeSent(ttlMs);
}

/**
 * Email + password sign-in. Wrong email and wrong password fail alike (same message, same work). One
 * read batch (the limits' counters and the address's failures, the account and its second factors),
 * then one write batch: the session or the 2FA challenge, or a failure's audit row and its count
 * against the address.
 * @throws AppError UNAUTHENTICATED, EMAIL_NOT_VERIFIED, USER_BLOCKED, USER_INACTIVE, TWO_FACTOR_REQUIRED, RATE_LIMITED
 */
export async function login(
  ctx: ServiceContext,
  input: { email: string; password: string },
  device: DeviceInfo,
): Promise<SignInResult> {
  const limits = rateLimitCounters(ctx, [[AUTH_LIMITS.loginAccount, input.email]], {
    address: [AUTH_LIMITS.loginIp, ctx.ip],
  });
  const { found, mfa, recovery, settings, ...counts } = await batchOf(ctx.db, {
    found: userByEmailQuery(ctx, input.email),
    ...factorStateQueries(ctx, idOfEmail(input.email)),
    // The new session's token lifetimes.
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  limits.check(counts);
  const user = found[0];
  let ok = false;
  if (user?.passwordHash) ok = await verifyPassword(input.password, user.passwordHash);
  else await burnPasswordCheck(input.password);
  if (!user || !ok || user.status === 'removed') {
    await runBatch(ctx.db, [
      ...limits.failed(),
      auditInsert(ctx, {
        actorId: user?.id ?? null,
        action: 'auth.login',
        resourceType: 'user',
        resourceId: user?.id ?? null,
        outcome: 'failure',
        metadata: { method: 'password' },
      }),
    ]);
    throw new AppError('UNAUTHENTICATED', INVALID_LOGIN);
  }
  if (!user.emailVerifiedAt) throw new AppError('EMAIL_NOT_VERIFIED', 'Verify your email before signing in');
  // One write batch: the rehashed password (when due) with the session or the 2FA challenge.
  const writes = needsRehash(user.passwordHash!)
    ? [
        ctx.db
          .update(users)
          .set({ passwordHash: await hashPassword(input.password) })
          .where(eq(users.id, user.id)),
      ]
    : [];
  return completeSignIn(ctx, user, 'password', device, { factors: toFactorState(mfa, recovery), writes });
}

/** Emails a password-reset code when the account exists; answers the same either way. */
export async function forgotPassword(ctx: ServiceContext, email: string) {
  const limits = rateLimitCounters(ctx, [
    [AUTH_LIMITS.forgotIpCeiling, ctx.ip],
    [AUTH_LIMITS.forgotIp, ctx.ip],
    [AUTH_LIMITS.forgotAccount, email],
  ]);
  const { found, newest, settings, ...counts } = await batchOf(ctx.db, {
    found: userByEmailQuery(ctx, email),
    newest: newestCodeQuery(ctx, 'password-reset', email),
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  limits.check(counts);
  const user = found[0];
  const ttlMs = await codeTtlMs(ctx);
  await storeAndMailCode(ctx, 'password-reset', email, user?.status === 'removed' ? undefined : user, {
    newest: newest[0],
    ttlMs,
  });
  return codeSent(ttlMs);
}

/**
 * Sets a new password with a reset code, then ends every session and access token of the account:
 * one read batch, one write batch.
 * @throws AppError VALIDATION_FAILED (weak password), OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, RATE_LIMITED
 */
export async function resetPassword(ctx: ServiceContext, input: { email: string; otp: string; newPassword: string }) {
  const limits = codeAnswerLimits(ctx, input.email);
  await answerCode(ctx, 'password-reset', async (first) => {
    const { newest, found, ...counts } = await batchOf(ctx.db, {
      newest: newestCodeQuery(ctx, 'password-reset', input.email),
      found: userByEmailQuery(ctx, input.email),
      ...(first ? limits.statements : {}),
    });
    limits.check(counts);
    assertStrong(input.newPassword, input.email, 'newPassword');
    const check = await checkCode(ctx, { purpose: 'password-reset', target: input.email, code: input.otp }, newest[0]);
    if (!check.ok) return refuseCode(ctx, 'password-reset', check, limits.failed());
    const user = found[0];
    if (!user) {
      await runBatch(ctx.db, [...check.statements, ...limits.failed()]);
      throw invalidCode();
    }
    const now = ctx.clock.now().getTime();
    await runBatch(ctx.db, [
      ...check.statements,
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
      // The reset code is used: the address gets back the request it cost.
      ...codeUsedStatements(ctx, AUTH_LIMITS.forgotIp),
    ]);
  });
}

/**
 * Changes the caller's password (the current one is required), signs out every other device and
 * token, and returns a fresh token pair for this device: one read batch (the account and the limit's
 * counter), one write batch (the password, every other session ended, the new session). The new
 * access token carries the token version the batch leaves; when something else bumped it since the
 * read, the batch aborts and the change is decided again on fresh reads, without counting again.
 * @throws AppError VALIDATION_FAILED (wrong current password, weak new one), CONFLICT (no password yet), RATE_LIMITED
 */
export async function changePassword(
  ctx: AuthedContext,
  input: { currentPassword: string; newPassword: string },
  device: DeviceInfo,
) {
  const id = ctx.actor.id;
  const limits = rateLimitCounters(ctx, [[AUTH_LIMITS.passwordChangeAccount, id]]);
  return decideAgainOnLostRace(
    async (first) => {
      const { found, settings, ...counts } = await batchOf(ctx.db, {
        found: ctx.db.select().from(users).where(eq(users.id, id)),
        // The new session's token lifetimes.
        settings: settingsQuery(ctx),
        ...(first ? limits.statements : {}),
      });
      primeSettings(ctx, settings);
      const user = found[0];
      if (!user) throw new AppError('TOKEN_REVOKED', 'This account no longer exists');
      limits.check(counts);
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
      const passwordHash = await hashPassword(input.newPassword);
      // The row as the batch leaves it: revokeAllStatements bumps the token version once.
      const fresh: UserRow = { ...user, passwordHash, tokenVersion: user.tokenVersion + 1, updatedAt: now };
      const session = await prepareSession(ctx, fresh, 'password', device);
      await runBatch(ctx.db, [
        ctx.db
          .update(users)
          .set({ passwordHash, updatedAt: now })
          .where(and(eq(users.id, user.id), eq(users.tokenVersion, user.tokenVersion))),
        abortUnlessOneRowChanged(ctx.db),
        ...revokeAllStatements(ctx, user.id, 'password-change'),
        auditInsert(ctx, { action: 'auth.password_change', resourceType: 'user', resourceId: user.id }),
        ...session.statements,
      ]);
      return { user: toUserView(fresh), tokens: session.tokens };
    },
    () => {
      throw new AppError('CONFLICT', 'The account changed meanwhile; try again');
    },
  );
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
