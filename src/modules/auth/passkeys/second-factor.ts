import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { and, eq, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { batchOf, runBatch, type Statements } from '../../../db/batch';
import { oneRowGuardTripped } from '../../../db/row-guard';
import { type PasskeyRow, passkeys, userMfa } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { rateLimitCounters } from '../../../platform/rate-limit';
import { type AuthenticationResponseInput, AuthenticationResponseSchema } from '../passkeys.schemas';
import { challengeQueries, challengeUserId, type LiveChallenge, toLiveChallenge } from '../sign-in.service';
import {
  burnChallenge,
  credentialsQuery,
  newChallenge,
  PASSKEY_OPTIONS_LIMIT,
  recordUse,
  relyingParty,
  type StoredChallenge,
  storeChallenge,
  storedChallengeQuery,
  toCredentials,
  userHandleMatches,
  verifyAssertion,
  WEBAUTHN_CHALLENGE_TTL_MS,
  webauthn,
} from './shared';

/** A passkey as the second factor of a pending sign-in (public, with a TWO_FACTOR_REQUIRED challenge). */

/** Whether passkeys are `userId`'s second factor, for a caller's read batch (a row with `enabledAt`). */
const passkeyFactorQuery = (ctx: ServiceContext, userId: string | SQL) =>
  ctx.db.select({ enabledAt: userMfa.passkeyEnabledAt }).from(userMfa).where(eq(userMfa.userId, userId));

/**
 * Options for answering a pending 2FA sign-in with a passkey: restricted to that user's passkeys, the
 * challenge stored as `two-factor` for that user. One read batch (the limit's counter, the challenge,
 * its account's passkeys and 2FA state), one write (the stored challenge).
 * @throws AppError from toLiveChallenge (TOKEN_INVALID, TOKEN_EXPIRED, OTP_MAX_ATTEMPTS); BAD_REQUEST when
 * passkeys are not one of the account's second factors; RATE_LIMITED
 */
export async function twoFactorPasskeyOptions(
  ctx: ServiceContext,
  input: { challengeId: string },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const limits = rateLimitCounters(ctx, [[PASSKEY_OPTIONS_LIMIT, ctx.ip]]);
  const owner = challengeUserId(input.challengeId);
  const {
    challenge: challenges,
    owner: owners,
    credentials,
    factor,
    ...counts
  } = await batchOf(ctx.db, {
    ...challengeQueries(ctx, input.challengeId),
    credentials: credentialsQuery(ctx, owner),
    factor: passkeyFactorQuery(ctx, owner),
    ...limits.statements,
  });
  limits.check(counts);
  const rp = relyingParty(ctx);
  const challenge = toLiveChallenge(ctx, challenges, owners);
  const allowCredentials = toCredentials(credentials);
  if (!allowCredentials.length || factor[0]?.enabledAt == null) {
    throw new AppError('BAD_REQUEST', 'Passkeys are not a second factor for this account');
  }
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: rp.rpID,
    allowCredentials,
    challenge: newChallenge(ctx),
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
    // The password was the first factor; possession of the device is the second.
    userVerification: 'discouraged',
  });
  await storeChallenge(ctx, 'two-factor', challenge.user.id, options.challenge);
  return options;
}

/**
 * The reads behind answering a 2FA sign-in challenge of `userId` with a passkey, for the caller's read
 * batch (`passkeyChallenge`, `passkey`): the live `two-factor` challenge the assertion signed and the
 * passkey it names, both of `userId`. `assertion` is null when the response is not an assertion at all.
 */
export function passkeyAnswerReads(ctx: ServiceContext, response: unknown, userId: string | SQL) {
  const parsed = AuthenticationResponseSchema.safeParse(response);
  const assertion = parsed.success ? parsed.data : null;
  return {
    assertion,
    queries: {
      passkeyChallenge: storedChallengeQuery(ctx, assertion?.response.clientDataJSON ?? '', 'two-factor', userId),
      passkey: ctx.db
        .select()
        .from(passkeys)
        .where(and(eq(passkeys.id, assertion?.id ?? ''), eq(passkeys.userId, userId))),
    },
  };
}

/**
 * Decides a passkey answer to a 2FA sign-in challenge from what `passkeyAnswerReads` read (and whether
 * passkeys are that user's second factor); writes nothing. `ok`: the statements burn the stored
 * challenge and record the use, guarded (`abortUnlessOneRowChanged`). Not `ok`: they burn the stored
 * challenge, if there was one. The caller counts a failure with `failChallenge` and finishes a success
 * with `passChallenge`, each in one batch with these statements.
 */
export async function passkeyAnswer(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  assertion: AuthenticationResponseInput | null,
  read: { stored: StoredChallenge | undefined; passkey: PasskeyRow | undefined; enabled: boolean },
): Promise<{ ok: boolean; statements: Statements }> {
  if (!assertion) return { ok: false, statements: [] };
  const { stored, passkey } = read;
  if (!stored) return { ok: false, statements: [] };
  const rp = relyingParty(ctx);
  const refused = { ok: false, statements: burnChallenge(ctx, stored, false) };
  if (!passkey || !userHandleMatches(assertion.response.userHandle, challenge.user.id)) return refused;
  if (!read.enabled) return refused;
  const newCounter = await verifyAssertion(ctx, rp, stored, passkey, assertion, false);
  if (newCounter === null) return refused;
  return { ok: true, statements: [...burnChallenge(ctx, stored, true), ...recordUse(ctx, passkey, newCounter)] };
}

/**
 * Verifies a WebAuthn assertion answering a 2FA sign-in challenge: it must sign a live `two-factor`
 * challenge issued for `challenge.user` (consumed atomically) with one of that user's passkeys, and
 * passkeys must be enabled as that user's second factor. Returns false on any failure; the caller
 * counts it with `failChallenge` (and on true finishes with `passChallenge`). The 2FA verify itself
 * batches `passkeyAnswerReads` / `passkeyAnswer` with its own reads and writes.
 */
export async function verifyPasskeyForChallenge(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  response: unknown,
): Promise<boolean> {
  const userId = challenge.user.id;
  const reads = passkeyAnswerReads(ctx, response, userId);
  const { passkeyChallenge, passkey, factor } = await batchOf(ctx.db, {
    ...reads.queries,
    factor: passkeyFactorQuery(ctx, userId),
  });
  const answer = await passkeyAnswer(ctx, challenge, reads.assertion, {
    stored: passkeyChallenge[0],
    passkey: passkey[0],
    enabled: factor[0]?.enabledAt != null,
  });
  try {
    await runBatch(ctx.db, answer.statements);
  } catch (err) {
    if (oneRowGuardTripped(err)) return false;
    throw err;
  }
  return answer.ok;
}
