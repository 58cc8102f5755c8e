import { eq, sql } from 'drizzle-orm';
import { codeSms } from '../../access/code-messages';
import { checkCode, codeSent, invalidCode, newestCodeQuery, prepareCode } from '../../access/one-time-codes';
import type { ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import { type UserRow, users } from '../../db/schema';
import { e164OrNull, toE164 } from '../../lib/phone';
import { rateLimitCounters } from '../../platform/rate-limit';
import { codeTtlMs } from '../settings/lifetimes';
import { assertFlagOn, flagOnSql, phoneRegionFor, primeSettings, settingsQuery } from '../settings/settings.service';
import { newAccount, registerAccountStatements } from '../users/new-account';
import { AUTH_LIMITS, codeSendLimits, codeUsedStatements, userByEmailQuery } from './auth.service';
import { answerCode, refuseCode, storeAndMailCode } from './code-answers';
import type { DeviceInfo } from './sessions.service';
import { completeSignIn, factorStateQueries, toFactorState } from './sign-in.service';

/** Signing in with a one-time code sent by email or SMS (unknown mobile numbers become patients). */

export type OtpTarget = { email: string; mobileNumber?: undefined } | { mobileNumber: string; email?: undefined };

const SMS_SIGN_IN_OFF = 'Sign-in by SMS is turned off';

/**
 * Sends a one-time sign-in code by email (existing accounts) or SMS (any valid number), once
 * `humanCheck` (the route's reCAPTCHA) passed: one read batch (the counters, the newest code, the
 * account of an email; by SMS the sign-in flag too), then one write batch with the delivery beside it.
 * By SMS the flag is read before `humanCheck` runs, so a turned-off channel costs no call to Google
 * and counts nothing (its hits count only while the flag is on); a failed check gives back what the
 * read batch counted, in the write batch of the refusal.
 * @throws AppError FORBIDDEN for a mobile number while `features.smsSignIn` is off (nothing is sent
 * or counted), VALIDATION_FAILED (bad number), RATE_LIMITED, and what `humanCheck` throws
 */
export async function sendSignInCode(ctx: ServiceContext, input: OtpTarget, humanCheck: () => Promise<void>) {
  if (input.email) {
    await humanCheck();
    const target = input.email;
    const limits = rateLimitCounters(ctx, codeSendLimits(ctx.ip, target));
    const { newest, found, settings, ...counts } = await batchOf(ctx.db, {
      newest: newestCodeQuery(ctx, 'login-email', target),
      found: userByEmailQuery(ctx, target),
      settings: settingsQuery(ctx),
      ...limits.statements,
    });
    primeSettings(ctx, settings);
    limits.check(counts);
    const user = found[0];
    const ttlMs = await codeTtlMs(ctx);
    await storeAndMailCode(ctx, 'login-email', target, user?.status === 'removed' ? undefined : user, {
      newest: newest[0],
      ttlMs,
    });
    return { channel: 'email' as const, ...codeSent(ttlMs) };
  }
  // A national number needs the region before it can key the batch: one more round trip (that also
  // reads the flag). An invalid number is refused once the flag was read, uncounted.
  const region = await phoneRegionFor(ctx, input.mobileNumber);
  const target = e164OrNull(input.mobileNumber!, region);
  const limits = rateLimitCounters(ctx, target ? codeSendLimits(ctx.ip, target) : [], {
    onlyIf: flagOnSql('features.smsSignIn'),
  });
  const { settings, newest, ...counts } = await batchOf(ctx.db, {
    settings: settingsQuery(ctx),
    newest: newestCodeQuery(ctx, 'login-sms', target ?? ''),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  await assertFlagOn(ctx, 'features.smsSignIn', SMS_SIGN_IN_OFF);
  const to = target ?? toE164(input.mobileNumber!, { region });
  limits.check(counts);
  try {
    await humanCheck();
  } catch (err) {
    await runBatch(ctx.db, limits.refund(counts));
    throw err;
  }
  const ttlMs = await codeTtlMs(ctx);
  const prepared = await prepareCode(ctx, { purpose: 'login-sms', target: to, ttlMs }, newest[0]);
  await Promise.all([
    runBatch(ctx.db, prepared.statements),
    ctx.ports.sms.send({ to, body: codeSms(prepared.code, ttlMs, ctx.env.APP_NAME) }),
  ]);
  return { channel: 'sms' as const, ...codeSent(ttlMs) };
}

/**
 * The statements that create the patient account of a first SMS sign-in, for the sign-in's write
 * batch. Unique on mobile_number: when a concurrent request created an account for the number first,
 * the guard aborts the batch and the sign-in decides again with that account.
 */
function newPatientStatements(ctx: ServiceContext, mobileNumber: string): { user: UserRow; statements: Statements } {
  const user = newAccount(ctx, {
    role: 'user',
    name: `Patient ${mobileNumber.slice(-4)}`,
    mobileNumber,
    verified: { mobile: true },
  });
  return { user, statements: registerAccountStatements(ctx, user, { method: 'sms-otp' }) };
}

/**
 * Signs in with a one-time code. An email code also proves the address; an unknown mobile number
 * becomes a new patient account (the Arthomed flow). One read batch (the SMS flag, the limits'
 * counters and the address's wrong codes, the newest code, the account and its second factors), one
 * write batch; a used code gives its send back to the address.
 * @throws AppError FORBIDDEN for a mobile number while `features.smsSignIn` is off (no code is consumed,
 * no account created, nothing counted), OTP_INVALID, OTP_EXPIRED, OTP_MAX_ATTEMPTS, USER_BLOCKED,
 * TWO_FACTOR_REQUIRED, RATE_LIMITED
 */
export async function verifySignInCode(ctx: ServiceContext, input: OtpTarget & { otp: string }, device: DeviceInfo) {
  const byEmail = Boolean(input.email);
  // An invalid number is refused once the flag was read, uncounted; until then it matches nothing. A
  // national number reads the region (and the flag) first: one more round trip.
  const region = await phoneRegionFor(ctx, input.mobileNumber);
  const target = input.email ?? e164OrNull(input.mobileNumber!, region);
  const purpose = byEmail ? 'login-email' : 'login-sms';
  const limits = rateLimitCounters(ctx, target ? [[AUTH_LIMITS.otpVerifyTarget, target]] : [], {
    address: [AUTH_LIMITS.otpVerifyIp, target ? ctx.ip : null],
    ...(byEmail ? {} : { onlyIf: flagOnSql('features.smsSignIn') }),
  });
  const account = byEmail ? users.email : users.mobileNumber;
  return answerCode(ctx, purpose, async (first) => {
    const { settings, newest, found, mfa, recovery, ...counts } = await batchOf(ctx.db, {
      settings: settingsQuery(ctx),
      newest: newestCodeQuery(ctx, purpose, target ?? ''),
      found: ctx.db
        .select()
        .from(users)
        .where(eq(account, target ?? '')),
      ...factorStateQueries(ctx, sql`(select ${users.id} from ${users} where ${account} = ${target ?? ''})`),
      ...(first ? limits.statements : {}),
    });
    primeSettings(ctx, settings);
    if (!byEmail) await assertFlagOn(ctx, 'features.smsSignIn', SMS_SIGN_IN_OFF);
    // Without a target the number is invalid: refused here with its field error.
    const to = target ?? toE164(input.mobileNumber!, { region });
    limits.check(counts);
    const check = await checkCode(ctx, { purpose, target: to, code: input.otp }, newest[0]);
    if (!check.ok) return refuseCode(ctx, purpose, check, limits.failed());
    const now = ctx.clock.now().getTime();
    const user = found[0];
    const used = [...check.statements, ...codeUsedStatements(ctx)];
    if (byEmail) {
      if (!user) {
        await runBatch(ctx.db, [...check.statements, ...limits.failed()]);
        throw invalidCode();
      }
      return completeSignIn(ctx, { ...user, emailVerifiedAt: user.emailVerifiedAt ?? now }, 'email-otp', device, {
        factors: toFactorState(mfa, recovery),
        writes: [
          ...used,
          ...(user.emailVerifiedAt
            ? []
            : [ctx.db.update(users).set({ emailVerifiedAt: now }).where(eq(users.id, user.id))]),
        ],
      });
    }
    if (!user) {
      const patient = newPatientStatements(ctx, to);
      return completeSignIn(ctx, patient.user, 'sms-otp', device, {
        factors: toFactorState([], []),
        writes: [...used, ...patient.statements],
      });
    }
    return completeSignIn(ctx, { ...user, mobileVerifiedAt: user.mobileVerifiedAt ?? now }, 'sms-otp', device, {
      factors: toFactorState(mfa, recovery),
      writes: [
        ...used,
        ...(user.mobileVerifiedAt
          ? []
          : [ctx.db.update(users).set({ mobileVerifiedAt: now }).where(eq(users.id, user.id))]),
      ],
    });
  });
}
