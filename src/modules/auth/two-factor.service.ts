import { and, eq, isNull } from 'drizzle-orm';
import { Secret, TOTP } from 'otpauth';
import type { ServiceContext } from '../../context';
import { recoveryCodes, type UserRow, userMfa, users } from '../../db/schema';
import { decryptSecret, encryptSecret, hmacHex } from '../../lib/crypto';
import { AppError } from '../../lib/errors';
import { fromBase64Url } from '../../lib/ids';
import { hitRateLimits, type RateRule } from '../../platform/rate-limit';
import { auditInsert, recordAudit } from '../audit/audit.service';
import { codeEmail } from './auth.messages';
import { AUTH_LIMITS, CODE_SENT } from './auth.service';
import { consumeCode, issueCode } from './otp.service';
import { verifyPasskeyForChallenge } from './passkeys.service';
import {
  type EnableableFactor,
  enabledSecondFactors,
  type FactorState,
  factorState,
  failChallenge,
  type LiveChallenge,
  loadChallenge,
  passChallenge,
  type SecondFactor,
  type SignInResult,
} from './sign-in.service';
import type { FreshFactor, VerifyInput } from './two-factor.schemas';

const MINUTE = 60_000;

/**
 * Limits on guessing second factors. Each challenge already dies after 5 wrong answers; these also cap
 * guesses spread over many challenges (per account) and over many accounts (per IP).
 */
export const TWO_FACTOR_LIMITS = {
  verifyIp: { name: '2fa-verify:ip', limit: 30, windowMs: 15 * MINUTE },
  verifyAccount: { name: '2fa-verify:account', limit: 10, windowMs: 15 * MINUTE },
  /** Fresh-factor proofs of signed-in users (disable, regenerate recovery codes). */
  factorAccount: { name: '2fa-factor:account', limit: 10, windowMs: 15 * MINUTE },
} satisfies Record<string, RateRule>;

/** RFC 6238 defaults every authenticator app supports. */
const TOTP_ISSUER = 'Kinwell';
const TOTP_PERIOD = 30;
const TOTP_DIGITS = 6;
const TOTP_SECRET_BYTES = 20;

export const RECOVERY_CODE_COUNT = 10;
/** Crockford base32 in lower case (no i, l, o, u): 5 bits a character, 10 characters = 50 bits a code. */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

export type { EnableableFactor } from './sign-in.service';

// ---------------------------------------------------------------------------------------------------
// Keys and stored forms

function encryptionKey(ctx: ServiceContext): string {
  if (!ctx.env.ENCRYPTION_KEY) throw new AppError('INTERNAL', 'ENCRYPTION_KEY is not configured');
  return ctx.env.ENCRYPTION_KEY;
}

function recoveryKey(ctx: ServiceContext): string {
  if (!ctx.env.JWT_SECRET) throw new AppError('INTERNAL', 'JWT_SECRET is not configured');
  return `recovery:${ctx.env.JWT_SECRET}`;
}

/**
 * What `user_mfa.totp_secret_encrypted` holds once decrypted: the base32 secret and the last time-step
 * a code was accepted for (replay protection: a step is accepted at most once, and never one older
 * than the last accepted). The whole blob is AES-GCM sealed with a fresh IV on every write, so the
 * ciphertext itself works as a compare-and-swap version.
 */
interface TotpState {
  v: 1;
  secret: string;
  lastStep: number | null;
}

const sealTotp = (ctx: ServiceContext, state: TotpState) => encryptSecret(encryptionKey(ctx), JSON.stringify(state));

async function openTotp(ctx: ServiceContext, sealed: string): Promise<TotpState> {
  const state = JSON.parse(await decryptSecret(encryptionKey(ctx), sealed)) as TotpState;
  if (state.v !== 1 || typeof state.secret !== 'string') throw new Error('Unknown TOTP state format');
  return state;
}

const totpOf = (secret: Secret, label = '') =>
  new TOTP({ issuer: TOTP_ISSUER, label, secret, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD });

/** The time-step `token` belongs to (now ± 1 step), or null when it matches none. */
function matchingStep(secret: string, token: string, now: number): number | null {
  const totp = totpOf(Secret.fromBase32(secret));
  const delta = totp.validate({ token, timestamp: now, window: 1 });
  return delta === null ? null : totp.counter({ timestamp: now }) + delta;
}

/** Lower case without separators; Crockford look-alikes (o → 0, i/l → 1) are forgiven. */
const normalizeRecoveryCode = (code: string) =>
  code.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');

const recoveryHash = (ctx: ServiceContext, userId: string, code: string) =>
  hmacHex(recoveryKey(ctx), `${userId}:${normalizeRecoveryCode(code)}`);

// ---------------------------------------------------------------------------------------------------
// Reading state

function actorId(ctx: ServiceContext): string {
  if (!ctx.actor) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  return ctx.actor.id;
}

async function currentUser(ctx: ServiceContext): Promise<UserRow> {
  const row = await ctx.db
    .select()
    .from(users)
    .where(eq(users.id, actorId(ctx)))
    .get();
  if (!row) throw new AppError('TOKEN_REVOKED', 'This account no longer exists');
  return row;
}

// ---------------------------------------------------------------------------------------------------
// Checking factors

/**
 * Accepts a TOTP code once: finds its time-step, refuses a step at or before the last accepted one,
 * and records the new step with a compare-and-swap on the sealed blob, so of two concurrent uses of
 * one code only one wins. `pending` confirms a set-up secret and turns TOTP on in the same write.
 */
async function acceptTotp(
  ctx: ServiceContext,
  userId: string,
  token: string,
  stage: 'pending' | 'enabled',
): Promise<boolean> {
  for (let round = 0; round < 3; round++) {
    const row = await ctx.db.select().from(userMfa).where(eq(userMfa.userId, userId)).get();
    const sealed = row?.totpSecretEncrypted;
    if (!row || !sealed || (row.totpEnabledAt !== null) !== (stage === 'enabled')) return false;
    const state = await openTotp(ctx, sealed);
    const now = ctx.clock.now().getTime();
    const step = matchingStep(state.secret, token, now);
    if (step === null || (state.lastStep !== null && step <= state.lastStep)) return false;
    const next = await sealTotp(ctx, { ...state, lastStep: step });
    const swapped = await ctx.db
      .update(userMfa)
      .set({ totpSecretEncrypted: next, updatedAt: now, ...(stage === 'pending' ? { totpEnabledAt: now } : {}) })
      .where(and(eq(userMfa.userId, userId), eq(userMfa.totpSecretEncrypted, sealed)))
      .run();
    if (swapped.meta.changes) return true;
    // Someone else wrote the blob meanwhile (another code, or this one): decide again on fresh state.
  }
  return false;
}

/** Marks an unused recovery code used; true only for the one caller whose update flipped it. */
async function useRecoveryCode(ctx: ServiceContext, userId: string, code: string): Promise<boolean> {
  const used = await ctx.db
    .update(recoveryCodes)
    .set({ usedAt: ctx.clock.now().getTime() })
    .where(
      and(
        eq(recoveryCodes.userId, userId),
        eq(recoveryCodes.codeHash, await recoveryHash(ctx, userId, code)),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .run();
  return used.meta.changes === 1;
}

/** Consumes an emailed code; a wrong, expired or burnt code is `false`, anything else throws. */
async function acceptEmailCode(
  ctx: ServiceContext,
  input: { purpose: 'two-factor' | 'email-2fa-setup'; target: string; code: string },
): Promise<boolean> {
  try {
    await consumeCode(ctx, input);
    return true;
  } catch (error) {
    if (error instanceof AppError && error.code.startsWith('OTP_')) return false;
    throw error;
  }
}

const auditFailure = (ctx: ServiceContext, action: string, userId: string, metadata: Record<string, unknown>) =>
  recordAudit(ctx, { action, resourceType: 'user', resourceId: userId, outcome: 'failure', metadata });

/**
 * Proves a second factor again before a change that weakens the account.
 * @throws AppError VALIDATION_FAILED (that factor is not on), OTP_INVALID / OTP_EXPIRED / OTP_MAX_ATTEMPTS, RATE_LIMITED
 */
async function proveFreshFactor(
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

// ---------------------------------------------------------------------------------------------------
// Recovery codes

function randomRecoveryCode(ctx: ServiceContext): string {
  let raw = '';
  for (let i = 0; i < 10; i++) raw += RECOVERY_ALPHABET[ctx.ids.int(RECOVERY_ALPHABET.length)];
  return `${raw.slice(0, 4)}-${raw.slice(4, 8)}-${raw.slice(8)}`;
}

/** A new set of codes (plain, to show once) and the statements that replace the stored set with it. */
async function freshRecoveryCodes(ctx: ServiceContext, userId: string) {
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(randomRecoveryCode(ctx));
  const now = ctx.clock.now().getTime();
  const rows = await Promise.all(
    [...codes].map(async (code) => ({ userId, codeHash: await recoveryHash(ctx, userId, code), createdAt: now })),
  );
  return {
    codes: [...codes],
    statements: [
      ctx.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)),
      ctx.db.insert(recoveryCodes).values(rows),
    ] as const,
  };
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

// ---------------------------------------------------------------------------------------------------
// Signed-in management

/** The caller's second factors. */
export async function twoFactorStatus(ctx: ServiceContext) {
  const state = await factorState(ctx, actorId(ctx));
  return {
    methods: state.on,
    recoveryCodesRemaining: state.on.length ? state.recoveryRemaining : 0,
    totpPending: Boolean(state.mfa?.totpSecretEncrypted && !state.mfa.totpEnabledAt),
  };
}

/**
 * Creates a TOTP secret (pending until confirmed by POST /2fa/totp/enable); a pending one is replaced.
 * @throws AppError CONFLICT when TOTP is already on
 */
export async function setupTotp(ctx: ServiceContext) {
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
export async function enableTotp(ctx: ServiceContext, code: string) {
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

function verifiedEmailOf(user: UserRow): string {
  if (!user.email || !user.emailVerifiedAt) {
    throw new AppError('CONFLICT', 'Verify an email address on the account before using email codes');
  }
  return user.email;
}

/**
 * Emails a code to the account's verified address. It confirms POST /2fa/email/enable, and while
 * email 2FA is on it is also the fresh email factor of POST /2fa/disable and /2fa/recovery-codes.
 * @throws AppError CONFLICT (no verified email), RATE_LIMITED (once a minute; hourly caps)
 */
export async function setupEmail(ctx: ServiceContext) {
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
export async function enableEmail(ctx: ServiceContext, code: string) {
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
 * Turns one factor (or all) off after a fresh second factor. Turning off the last factor also deletes
 * the recovery codes. Passkeys stay registered for passwordless sign-in; they just stop being a
 * second factor.
 * @throws AppError CONFLICT (that factor is not on), VALIDATION_FAILED, OTP_INVALID, RATE_LIMITED
 */
export async function disableTwoFactor(
  ctx: ServiceContext,
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

/**
 * Replaces the recovery codes with a new set of ten (returned once), after a fresh second factor.
 * @throws AppError CONFLICT (2FA is off), VALIDATION_FAILED, OTP_INVALID, RATE_LIMITED
 */
export async function regenerateRecoveryCodes(ctx: ServiceContext, factor: FreshFactor) {
  const user = await currentUser(ctx);
  const state = await factorState(ctx, user.id);
  if (!state.on.length) throw new AppError('CONFLICT', 'Turn on two-factor authentication first');
  await proveFreshFactor(ctx, user, state, factor, 'auth.2fa_recovery_codes');
  const fresh = await freshRecoveryCodes(ctx, user.id);
  await ctx.db.batch([
    auditInsert(ctx, {
      action: 'auth.2fa_recovery_codes',
      resourceType: 'user',
      resourceId: user.id,
      metadata: { factor: factor.type, count: fresh.codes.length },
    }),
    ...fresh.statements,
  ]);
  return { recoveryCodes: fresh.codes };
}

// ---------------------------------------------------------------------------------------------------
// Sign-in challenges (public)

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
