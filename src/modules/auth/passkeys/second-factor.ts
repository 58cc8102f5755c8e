import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { and, eq } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { passkeys, userMfa } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { hitRateLimits } from '../../../platform/rate-limit';
import { AuthenticationResponseSchema } from '../passkeys.schemas';
import { type LiveChallenge, loadChallenge } from '../sign-in.service';
import {
  consumeChallenge,
  credentialsOf,
  newChallenge,
  PASSKEY_OPTIONS_LIMIT,
  recordUse,
  relyingParty,
  storeChallenge,
  userHandleMatches,
  verifyAssertion,
  WEBAUTHN_CHALLENGE_TTL_MS,
  webauthn,
} from './shared';

/** A passkey as the second factor of a pending sign-in (public, with a TWO_FACTOR_REQUIRED challenge). */

async function passkeyTwoFactorEnabled(ctx: ServiceContext, userId: string): Promise<boolean> {
  const row = await ctx.db
    .select({ enabledAt: userMfa.passkeyEnabledAt })
    .from(userMfa)
    .where(eq(userMfa.userId, userId))
    .get();
  return row?.enabledAt != null;
}

/**
 * Options for answering a pending 2FA sign-in with a passkey: restricted to that user's passkeys, the
 * challenge stored as `two-factor` for that user.
 * @throws AppError from loadChallenge (TOKEN_INVALID, TOKEN_EXPIRED, OTP_MAX_ATTEMPTS); BAD_REQUEST when
 * passkeys are not one of the account's second factors; RATE_LIMITED
 */
export async function twoFactorPasskeyOptions(
  ctx: ServiceContext,
  input: { challengeId: string },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  await hitRateLimits(ctx, [[PASSKEY_OPTIONS_LIMIT, ctx.ip]]);
  const rp = relyingParty(ctx);
  const challenge = await loadChallenge(ctx, input.challengeId);
  const allowCredentials = await credentialsOf(ctx, challenge.user.id);
  if (!allowCredentials.length || !(await passkeyTwoFactorEnabled(ctx, challenge.user.id))) {
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
 * Verifies a WebAuthn assertion answering a 2FA sign-in challenge: it must sign a live `two-factor`
 * challenge issued for `challenge.user` (consumed atomically) with one of that user's passkeys, and
 * passkeys must be enabled as that user's second factor. Returns false on any failure; the caller
 * counts it with `failChallenge` (and on true finishes with `passChallenge`).
 */
export async function verifyPasskeyForChallenge(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  response: unknown,
): Promise<boolean> {
  const parsed = AuthenticationResponseSchema.safeParse(response);
  if (!parsed.success) return false;
  const assertion = parsed.data;
  const rp = relyingParty(ctx);
  const userId = challenge.user.id;
  const stored = await consumeChallenge(ctx, assertion.response.clientDataJSON, 'two-factor', userId);
  if (!stored) return false;
  const passkey = await ctx.db
    .select()
    .from(passkeys)
    .where(and(eq(passkeys.id, assertion.id), eq(passkeys.userId, userId)))
    .get();
  if (!passkey || !userHandleMatches(assertion.response.userHandle, userId)) return false;
  if (!(await passkeyTwoFactorEnabled(ctx, userId))) return false;
  const newCounter = await verifyAssertion(ctx, rp, stored, passkey, assertion, false);
  if (newCounter === null) return false;
  return recordUse(ctx, passkey, newCounter);
}
