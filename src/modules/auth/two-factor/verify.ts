import { and, eq, isNull, sql } from 'drizzle-orm';
import { codeEmail } from '../../../access/code-messages';
import { checkCode, codeSent, newestCodeQuery, prepareCode } from '../../../access/one-time-codes';
import type { ServiceContext } from '../../../context';
import { batchOf, runBatch } from '../../../db/batch';
import { abortUnlessOneRowChanged, decideAgainOnLostRace } from '../../../db/row-guard';
import { recoveryCodes, userMfa, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { rateLimitCounters } from '../../../platform/rate-limit';
import { codeTtlMs } from '../../settings/lifetimes';
import { primeSettings, settingsQuery } from '../../settings/settings.service';
import { AUTH_LIMITS, codeUsedStatements } from '../auth.service';
import { passkeyAnswer, passkeyAnswerReads } from '../passkeys/second-factor';
import {
  challengeIsLive,
  challengeQueries,
  challengeUserId,
  type FactorState,
  factorStateQueries,
  failChallenge,
  passChallenge,
  type SecondFactor,
  type SignInResult,
  secondFactorsOf,
  toFactorState,
  toLiveChallenge,
} from '../sign-in.service';
import type { VerifyInput } from '../two-factor.schemas';
import { recoveryHash } from './recovery-codes';
import { TWO_FACTOR_LIMITS, verifiedEmailOf } from './shared';
import { totpAcceptance } from './totp';

/**
 * Answering a pending sign-in's TWO_FACTOR_REQUIRED challenge with a second factor (public): emailing
 * its code and verifying an answer, each in one read batch and one write batch.
 */

function assertFactorOn(state: FactorState, factor: SecondFactor) {
  const methods = secondFactorsOf(state);
  if (!methods.includes(factor)) {
    throw new AppError('CONFLICT', `This account does not use ${factor} as a second factor`, {
      details: { methods },
    });
  }
}

/**
 * Emails a code for a pending sign-in challenge of an account with email 2FA on. One read batch (the
 * limits' counters, the challenge, its account and factors, the newest code), one write batch (the
 * code) with the email beside it. Per address, codes count until used (the verify gives it back) under
 * a ceiling on all; the per-address limit of the account's email is spent only when the code will go
 * out (a live challenge of an account with email 2FA on and a verified address), as when the limits
 * were counted after those checks.
 * @throws AppError TOKEN_INVALID / TOKEN_EXPIRED / OTP_MAX_ATTEMPTS (challenge), CONFLICT, RATE_LIMITED
 */
export async function sendTwoFactorEmail(ctx: ServiceContext, challengeId: string) {
  const owner = challengeUserId(challengeId);
  const sendable = sql`${challengeIsLive(ctx, challengeId)} and exists (select 1 from ${userMfa} where ${userMfa.userId} = ${owner} and ${userMfa.emailOtpEnabledAt} is not null) and exists (select 1 from ${users} where ${users.id} = ${owner} and ${users.email} is not null and ${users.emailVerifiedAt} is not null)`;
  const limits = rateLimitCounters(ctx, [
    [AUTH_LIMITS.otpSendIpCeiling, ctx.ip],
    [AUTH_LIMITS.otpSendIp, ctx.ip],
    [AUTH_LIMITS.otpSendTarget, sql`(select ${users.email} from ${users} where ${users.id} = ${owner})`, sendable],
  ]);
  const {
    challenge: challenges,
    owner: owners,
    mfa,
    recovery,
    newest,
    settings,
    ...counts
  } = await batchOf(ctx.db, {
    ...challengeQueries(ctx, challengeId),
    ...factorStateQueries(ctx, owner),
    newest: newestCodeQuery(ctx, 'two-factor', challengeId),
    settings: settingsQuery(ctx),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  limits.check(counts);
  const challenge = toLiveChallenge(ctx, challenges, owners);
  assertFactorOn(toFactorState(mfa, recovery), 'email');
  const email = verifiedEmailOf(challenge.user);
  const ttlMs = await codeTtlMs(ctx);
  const prepared = await prepareCode(
    ctx,
    { purpose: 'two-factor', target: challenge.id, userId: challenge.user.id, ttlMs },
    newest[0],
  );
  await Promise.all([
    runBatch(ctx.db, prepared.statements),
    ctx.ports.mailer.send({ to: email, ...codeEmail('two-factor', prepared.code, ttlMs, ctx.env.APP_NAME) }),
  ]);
  return codeSent(ttlMs);
}

/**
 * Answers a sign-in challenge with a second factor and, when right, starts the session: one read batch
 * (the limits' counters and the address's wrong answers, the challenge, its account, its factors and
 * what the method checks against), one write batch (the factor's own write, the challenge consumed, the
 * session; or the miss counted against the challenge and the address). Per address only wrong answers
 * count (under a high ceiling on all), so people sharing one are never refused for answering right;
 * the per-account limit counts answers to a live challenge, as when it was hit after loading it. A
 * batch that lost a race (a TOTP step, recovery code, emailed code, WebAuthn challenge or the sign-in
 * challenge itself used by a concurrent answer) decides once more on fresh reads without counting the
 * limits again.
 * @throws AppError TOKEN_INVALID / TOKEN_EXPIRED (challenge), CONFLICT (factor not on), OTP_INVALID,
 * OTP_MAX_ATTEMPTS, RATE_LIMITED
 */
export async function verifyTwoFactor(ctx: ServiceContext, input: VerifyInput): Promise<SignInResult> {
  const owner = challengeUserId(input.challengeId);
  const limits = rateLimitCounters(
    ctx,
    [[TWO_FACTOR_LIMITS.verifyAccount, owner, challengeIsLive(ctx, input.challengeId)]],
    { address: [TWO_FACTOR_LIMITS.verifyIp, ctx.ip] },
  );
  const code = input.code ?? '';
  const passkeyReads = input.method === 'passkey' ? passkeyAnswerReads(ctx, input.response, owner) : null;
  return decideAgainOnLostRace(
    async (first) => {
      // What the method checks against: the emailed code, the unused recovery codes, the WebAuthn
      // challenge and passkey. A TOTP answer needs only the factor state.
      const read = await batchOf(ctx.db, {
        ...challengeQueries(ctx, input.challengeId),
        ...factorStateQueries(ctx, owner),
        newest: input.method === 'email' ? newestCodeQuery(ctx, 'two-factor', input.challengeId) : undefined,
        unused:
          input.method === 'recovery'
            ? ctx.db
                .select({ codeHash: recoveryCodes.codeHash })
                .from(recoveryCodes)
                .where(and(eq(recoveryCodes.userId, owner), isNull(recoveryCodes.usedAt)))
            : undefined,
        passkeyChallenge: passkeyReads?.queries.passkeyChallenge,
        passkey: passkeyReads?.queries.passkey,
        // The new session's token lifetimes.
        settings: settingsQuery(ctx),
        ...(first ? limits.statements : {}),
      });
      primeSettings(ctx, read.settings);
      limits.check(read);
      const challenge = toLiveChallenge(ctx, read.challenge, read.owner);
      const state = toFactorState(read.mfa, read.recovery);
      assertFactorOn(state, input.method);
      const userId = challenge.user.id;
      const miss = limits.failed();
      switch (input.method) {
        case 'totp': {
          const accepted = await totpAcceptance(ctx, state.mfa, code, 'enabled');
          if (!accepted) return failChallenge(ctx, challenge, 'totp', miss);
          return passChallenge(ctx, challenge, 'totp', [accepted.swap, abortUnlessOneRowChanged(ctx.db)]);
        }
        case 'email': {
          const check = await checkCode(ctx, { purpose: 'two-factor', target: challenge.id, code }, read.newest?.[0]);
          if (!check.ok) return failChallenge(ctx, challenge, 'email', [...check.statements, ...miss]);
          // A used code gives its send back to the address.
          return passChallenge(ctx, challenge, 'email', [...check.statements, ...codeUsedStatements(ctx)]);
        }
        case 'recovery': {
          const hash = await recoveryHash(ctx, userId, code);
          if (!read.unused?.some((row) => row.codeHash === hash))
            return failChallenge(ctx, challenge, 'recovery', miss);
          return passChallenge(ctx, challenge, 'recovery', [
            ctx.db
              .update(recoveryCodes)
              .set({ usedAt: ctx.clock.now().getTime() })
              .where(
                and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, hash), isNull(recoveryCodes.usedAt)),
              ),
            abortUnlessOneRowChanged(ctx.db),
          ]);
        }
        case 'passkey': {
          // Options come from POST /auth/2fa/passkey/options; the assertion must answer one of those.
          const answer = await passkeyAnswer(ctx, challenge, passkeyReads?.assertion ?? null, {
            stored: read.passkeyChallenge?.[0],
            passkey: read.passkey?.[0],
            enabled: state.on.includes('passkey'),
          });
          if (!answer.ok) return failChallenge(ctx, challenge, 'passkey', [...answer.statements, ...miss]);
          return passChallenge(ctx, challenge, 'passkey', answer.statements);
        }
      }
    },
    () => {
      throw new AppError('OTP_INVALID', 'The code is not valid');
    },
  );
}
