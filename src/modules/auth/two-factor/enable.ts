import { count, eq, isNull, sql } from 'drizzle-orm';
import { Secret } from 'otpauth';
import { codeEmail } from '../../../access/code-messages';
import { checkCode, codeSent, newestCodeQuery, prepareCode } from '../../../access/one-time-codes';
import type { AuthedContext } from '../../../context';
import { batchOf, runBatch } from '../../../db/batch';
import { abortUnlessOneRowChanged, decideAgainOnLostRace } from '../../../db/row-guard';
import { passkeys, userMfa, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { fromBase64Url } from '../../../lib/ids';
import { iso } from '../../../lib/time';
import { rateLimitCounters } from '../../../platform/rate-limit';
import { codeTtlMs } from '../../settings/lifetimes';
import { primeSettings, settingsQuery } from '../../settings/settings.service';
import { AUTH_LIMITS, codeUsedStatements } from '../auth.service';
import { factorStateQueries, toFactorState } from '../sign-in.service';
import { accountOf, accountQueries, finishEnable, refuseFactor, verifiedEmailOf } from './shared';
import { sealTotp, TOTP_SECRET_BYTES, totpAcceptance, totpOf } from './totp';

/** Turning a second factor on: TOTP and email codes (set up, then confirmed) and passkeys. */

/**
 * Creates a TOTP secret (pending until confirmed by POST /2fa/totp/enable); a pending one is replaced.
 * @throws AppError CONFLICT when TOTP is already on
 */
export async function setupTotp(ctx: AuthedContext) {
  const user = accountOf(await ctx.db.select().from(users).where(eq(users.id, ctx.actor.id)));
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
 * account has none. One read batch (the account and its factors), one write batch (the code's step
 * with TOTP on, the audit row, recovery codes when due); a code used meanwhile by a concurrent request
 * is decided again on fresh state.
 * @throws AppError CONFLICT (already on, or nothing set up), OTP_INVALID
 */
export async function enableTotp(ctx: AuthedContext, code: string) {
  const id = ctx.actor.id;
  const refuse = () =>
    refuseFactor(
      ctx,
      { action: 'auth.2fa_enable', userId: id, factor: 'totp' },
      new AppError('OTP_INVALID', 'The code is not valid'),
    );
  return decideAgainOnLostRace(async () => {
    const read = await batchOf(ctx.db, accountQueries(ctx, id));
    const user = accountOf(read.account);
    const state = toFactorState(read.mfa, read.recovery);
    if (state.mfa?.totpEnabledAt) throw new AppError('CONFLICT', 'TOTP is already on');
    if (!state.mfa?.totpSecretEncrypted) {
      throw new AppError('CONFLICT', 'Set up TOTP first (POST /auth/2fa/totp/setup)');
    }
    const accepted = await totpAcceptance(ctx, state.mfa, code, 'pending');
    if (!accepted) return refuse();
    const done = await finishEnable(ctx, user.id, 'totp', state.recoveryRemaining);
    await runBatch(ctx.db, [accepted.swap, abortUnlessOneRowChanged(ctx.db), ...done.statements]);
    return done.answer;
  }, refuse);
}

/**
 * Emails a code to the account's verified address. It confirms POST /2fa/email/enable, and while
 * email 2FA is on it is also the fresh email factor of POST /2fa/disable and /2fa/recovery-codes.
 * One read batch (the account, the newest code and the limits' counters, which count only for an
 * account with a verified address, as when they were counted after that check), one write batch with
 * the email beside it. Per address, a code counts until it turns email 2FA on (a ceiling counts all).
 * @throws AppError CONFLICT (no verified email), RATE_LIMITED (once a minute; hourly caps)
 */
export async function setupEmail(ctx: AuthedContext) {
  const id = ctx.actor.id;
  const verifiedAddress = sql`(select ${users.email} from ${users} where ${users.id} = ${id} and ${users.emailVerifiedAt} is not null)`;
  const limits = rateLimitCounters(
    ctx,
    [
      [AUTH_LIMITS.otpSendIpCeiling, ctx.ip],
      [AUTH_LIMITS.otpSendIp, ctx.ip],
      [AUTH_LIMITS.otpSendTarget, verifiedAddress],
    ],
    { onlyIf: sql`${verifiedAddress} is not null` },
  );
  const { account, newest, settings, ...counts } = await batchOf(ctx.db, {
    account: ctx.db.select().from(users).where(eq(users.id, id)),
    newest: newestCodeQuery(ctx, 'email-2fa-setup', id),
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  const user = accountOf(account);
  const email = verifiedEmailOf(user);
  limits.check(counts);
  const ttlMs = await codeTtlMs(ctx);
  const prepared = await prepareCode(
    ctx,
    { purpose: 'email-2fa-setup', target: user.id, userId: user.id, ttlMs },
    newest[0],
  );
  await Promise.all([
    runBatch(ctx.db, prepared.statements),
    ctx.ports.mailer.send({ to: email, ...codeEmail('email-2fa-setup', prepared.code, ttlMs, ctx.env.APP_NAME) }),
  ]);
  return codeSent(ttlMs);
}

/**
 * Turns email codes on as a second factor, with the code from POST /2fa/email/setup: one read batch,
 * one write batch (the code consumed and its send given back to the address, the factor on, the audit
 * row, recovery codes when needed).
 * @throws AppError CONFLICT (already on, no verified email), OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS
 */
export async function enableEmail(ctx: AuthedContext, code: string) {
  const id = ctx.actor.id;
  return decideAgainOnLostRace(
    async () => {
      const read = await batchOf(ctx.db, {
        ...accountQueries(ctx, id),
        newest: newestCodeQuery(ctx, 'email-2fa-setup', id),
      });
      const user = accountOf(read.account);
      verifiedEmailOf(user);
      const state = toFactorState(read.mfa, read.recovery);
      if (state.mfa?.emailOtpEnabledAt) throw new AppError('CONFLICT', 'Email two-factor is already on');
      const check = await checkCode(ctx, { purpose: 'email-2fa-setup', target: user.id, code }, read.newest[0]);
      const audit = { action: 'auth.2fa_enable', userId: user.id, factor: 'email' };
      if (!check.ok) return refuseFactor(ctx, audit, check.fail, check.statements);
      const now = ctx.clock.now().getTime();
      const done = await finishEnable(ctx, user.id, 'email', state.recoveryRemaining);
      await runBatch(ctx.db, [
        ...check.statements,
        // Turned on once, even under concurrent answers: the upsert changes no row when it already is.
        ctx.db
          .insert(userMfa)
          .values({ userId: user.id, emailOtpEnabledAt: now, updatedAt: now })
          .onConflictDoUpdate({
            target: userMfa.userId,
            set: { emailOtpEnabledAt: now, updatedAt: now },
            setWhere: isNull(userMfa.emailOtpEnabledAt),
          }),
        abortUnlessOneRowChanged(ctx.db),
        ...codeUsedStatements(ctx),
        ...done.statements,
      ]);
      return done.answer;
    },
    () => {
      throw new AppError('CONFLICT', 'Email two-factor is already on');
    },
  );
}

/**
 * Turns on passkeys as a second factor and, when the account has no recovery codes yet, issues them
 * (returned once), so a passkey-only account can still prove a fresh factor or recover. One read batch
 * (its passkeys, its factor state), one write batch (the factor, its audit row, recovery codes when due).
 * @throws AppError CONFLICT when the caller has no passkey yet or passkey 2FA is already on
 */
export async function enablePasskeyTwoFactor(ctx: AuthedContext) {
  const userId = ctx.actor.id;
  const { owned, mfa, recovery } = await batchOf(ctx.db, {
    owned: ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
    ...factorStateQueries(ctx, userId),
  });
  const state = toFactorState(mfa, recovery);
  if (!owned[0]?.n) throw new AppError('CONFLICT', 'Register a passkey before using it as a second factor');
  if (state.mfa?.passkeyEnabledAt) throw new AppError('CONFLICT', 'Passkeys are already a second factor');
  const now = ctx.clock.now().getTime();
  const done = await finishEnable(ctx, userId, 'passkey', state.recoveryRemaining);
  await runBatch(ctx.db, [
    ctx.db
      .insert(userMfa)
      .values({ userId, passkeyEnabledAt: now, updatedAt: now })
      .onConflictDoUpdate({ target: userMfa.userId, set: { passkeyEnabledAt: now, updatedAt: now } }),
    ...done.statements,
  ]);
  return { factor: 'passkey' as const, enabledAt: iso(now), ...done.answer };
}
