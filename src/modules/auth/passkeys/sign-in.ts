import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { passkeys, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { hitRateLimits } from '../../../platform/rate-limit';
import { auditInsert } from '../../audit/audit.service';
import type { AuthenticationResponseInput } from '../passkeys.schemas';
import { completeSignIn, type SignInResult } from '../sign-in.service';
import {
  assertPasskeysOn,
  consumeChallenge,
  credentialsOf,
  newChallenge,
  PASSKEY_OPTIONS_LIMIT,
  PASSKEY_SIGN_IN_LIMIT,
  recordUse,
  relyingParty,
  storeChallenge,
  userHandleMatches,
  verifyAssertion,
  WEBAUTHN_CHALLENGE_TTL_MS,
  webauthn,
} from './shared';

/** Passwordless sign-in with a passkey (public). */

const SIGN_IN_FAILED = 'Passkey sign-in failed; try again or use another sign-in method';

/**
 * Options for `navigator.credentials.get()`. With a known email that has passkeys, `allowCredentials`
 * lists them and the challenge is bound to that account; otherwise it is empty (discoverable
 * credentials). The answer has the same shape whether or not the email exists.
 * @throws AppError FORBIDDEN while `features.passkeys` is off, RATE_LIMITED
 */
export async function authenticationOptions(
  ctx: ServiceContext,
  input: { email?: string },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  await assertPasskeysOn(ctx, 'Passkey sign-in');
  await hitRateLimits(ctx, [[PASSKEY_OPTIONS_LIMIT, ctx.ip]]);
  const rp = relyingParty(ctx);
  let userId: string | null = null;
  let allowCredentials: Awaited<ReturnType<typeof credentialsOf>> = [];
  if (input.email) {
    const user = await ctx.db
      .select({ id: users.id, status: users.status })
      .from(users)
      .where(eq(users.email, input.email))
      .get();
    if (user && user.status !== 'removed') {
      allowCredentials = await credentialsOf(ctx, user.id);
      if (allowCredentials.length) userId = user.id;
    }
  }
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: rp.rpID,
    allowCredentials,
    challenge: newChallenge(ctx),
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
    // A passkey sign-in skips 2FA, so the device must verify the user (biometric or PIN).
    userVerification: 'required',
  });
  await storeChallenge(ctx, 'authenticate', userId, options.challenge);
  return options;
}

async function signInFailure(
  ctx: ServiceContext,
  failure: { credentialId: string; userId: string | null; reason: string },
): Promise<never> {
  await auditInsert(ctx, {
    actorId: failure.userId,
    action: 'auth.login',
    resourceType: 'passkey',
    resourceId: failure.credentialId.slice(0, 256),
    outcome: 'failure',
    metadata: { method: 'passkey', reason: failure.reason },
  });
  throw new AppError('UNAUTHENTICATED', SIGN_IN_FAILED);
}

/**
 * Signs in with a passkey assertion: the stored `authenticate` challenge is consumed, the credential
 * looked up, the assertion verified (origin, RP id, signature, user verification, sign count), then a
 * session starts through `completeSignIn` (a passkey never asks for a second factor). Every failure is
 * audited and answered with the same generic UNAUTHENTICATED.
 * @throws AppError FORBIDDEN while `features.passkeys` is off; UNAUTHENTICATED; USER_BLOCKED / USER_INACTIVE
 * for accounts that may not sign in; RATE_LIMITED
 */
export async function signInWithPasskey(
  ctx: ServiceContext,
  input: { response: AuthenticationResponseInput; userAgent: string | null },
): Promise<SignInResult> {
  await assertPasskeysOn(ctx, 'Passkey sign-in');
  await hitRateLimits(ctx, [[PASSKEY_SIGN_IN_LIMIT, ctx.ip]]);
  const rp = relyingParty(ctx);
  const { response } = input;
  const fail = (reason: string, userId: string | null = null) =>
    signInFailure(ctx, { credentialId: response.id, userId, reason });

  const challenge = await consumeChallenge(ctx, response.response.clientDataJSON, 'authenticate');
  if (!challenge) return fail('challenge');
  const found = await ctx.db
    .select({ passkey: passkeys, user: users })
    .from(passkeys)
    .innerJoin(users, eq(users.id, passkeys.userId))
    .where(eq(passkeys.id, response.id))
    .get();
  if (!found || found.user.status === 'removed') return fail('credential');
  const { passkey, user } = found;
  if (challenge.userId !== null && challenge.userId !== user.id) return fail('account-mismatch', user.id);
  if (!userHandleMatches(response.response.userHandle, user.id)) return fail('user-handle', user.id);
  const newCounter = await verifyAssertion(ctx, rp, challenge, passkey, response, true);
  if (newCounter === null) return fail('assertion', user.id);
  if (!(await recordUse(ctx, passkey, newCounter))) return fail('counter', user.id);
  try {
    return await completeSignIn(ctx, user, 'passkey', { userAgent: input.userAgent, ip: ctx.ip });
  } catch (err) {
    if (err instanceof AppError) {
      await auditInsert(ctx, {
        actorId: user.id,
        action: 'auth.login',
        resourceType: 'passkey',
        resourceId: passkey.id,
        outcome: 'failure',
        metadata: { method: 'passkey', reason: err.code },
      });
    }
    throw err;
  }
}
