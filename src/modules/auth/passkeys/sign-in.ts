import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { eq, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import { batchOf, runBatch, type Statements } from '../../../db/batch';
import { decideAgainOnLostRace } from '../../../db/row-guard';
import { passkeys, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { rateLimitCounters } from '../../../platform/rate-limit';
import { auditInsert } from '../../audit/audit.service';
import { flagOnSql, primeSettings, settingsQuery } from '../../settings/settings.service';
import type { AuthenticationResponseInput } from '../passkeys.schemas';
import { assertCanSignIn, completeSignIn, type SignInResult } from '../sign-in.service';
import {
  assertPasskeysOn,
  burnChallenge,
  credentialsQuery,
  newChallenge,
  PASSKEY_OPTIONS_LIMIT,
  PASSKEY_SIGN_IN_LIMIT,
  recordUse,
  relyingParty,
  storeChallenge,
  storedChallengeQuery,
  userHandleMatches,
  verifyAssertion,
  WEBAUTHN_CHALLENGE_TTL_MS,
  webauthn,
} from './shared';

/** Passwordless sign-in with a passkey (public). */

const SIGN_IN_FAILED = 'Passkey sign-in failed; try again or use another sign-in method';

/**
 * Options for `navigator.credentials.get()`. `allowCredentials` is always empty, so the device offers
 * its discoverable credentials for this site: listing an account's passkeys would tell anyone asking
 * which addresses hold some. The answer is the same whatever the email. With the email of an account
 * that has passkeys, the challenge is bound to that account (only its passkeys can answer it); that
 * stays on the server. One read batch (the flag, the limit's counter, counted only while the flag is
 * on, the account of the email and its passkeys), one write: the stored challenge.
 * @throws AppError FORBIDDEN while `features.passkeys` is off, RATE_LIMITED
 */
export async function authenticationOptions(
  ctx: ServiceContext,
  input: { email?: string },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const limits = rateLimitCounters(ctx, [[PASSKEY_OPTIONS_LIMIT, ctx.ip]], { onlyIf: flagOnSql('features.passkeys') });
  const email = input.email ?? '';
  const { settings, found, credentials, ...counts } = await batchOf(ctx.db, {
    settings: settingsQuery(ctx),
    found: ctx.db.select({ id: users.id, status: users.status }).from(users).where(eq(users.email, email)),
    credentials: credentialsQuery(ctx, sql`(select ${users.id} from ${users} where ${users.email} = ${email})`),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  await assertPasskeysOn(ctx, 'Passkey sign-in');
  limits.check(counts);
  const rp = relyingParty(ctx);
  const user = found[0];
  const userId = input.email && user && user.status !== 'removed' && credentials.length ? user.id : null;
  const options = await (await webauthn()).generateAuthenticationOptions({
    rpID: rp.rpID,
    allowCredentials: [],
    challenge: newChallenge(ctx),
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
    // A passkey sign-in skips 2FA, so the device must verify the user (biometric or PIN).
    userVerification: 'required',
  });
  await storeChallenge(ctx, 'authenticate', userId, options.challenge);
  return options;
}

interface SignInFailure {
  credentialId: string;
  userId: string | null;
  reason: string;
}

const signInFailureAudit = (ctx: ServiceContext, failure: SignInFailure) =>
  auditInsert(ctx, {
    actorId: failure.userId,
    action: 'auth.login',
    resourceType: 'passkey',
    resourceId: failure.credentialId.slice(0, 256),
    outcome: 'failure',
    metadata: { method: 'passkey', reason: failure.reason },
  });

/** Audits a refused passkey sign-in after `writes` (a burnt challenge, the address's failure), in one batch. */
async function signInFailure(ctx: ServiceContext, failure: SignInFailure, writes: Statements = []): Promise<never> {
  await runBatch(ctx.db, [...writes, signInFailureAudit(ctx, failure)]);
  throw new AppError('UNAUTHENTICATED', SIGN_IN_FAILED);
}

/**
 * Signs in with a passkey assertion: the stored `authenticate` challenge is consumed, the credential
 * looked up, the assertion verified (origin, RP id, signature, user verification, sign count), then a
 * session starts through `completeSignIn` (a passkey never asks for a second factor). Every failure is
 * audited, counted against the address, and answered with the same generic UNAUTHENTICATED. One read
 * batch (the flag, the limits' counters and the address's failures, the challenge, the credential and
 * its account), one write batch; a batch that lost a race (the challenge used, or the sign count moved,
 * by a concurrent assertion) decides once more on fresh reads without counting the limits again.
 * @throws AppError FORBIDDEN while `features.passkeys` is off (nothing counted); UNAUTHENTICATED;
 * USER_BLOCKED / USER_INACTIVE for accounts that may not sign in; RATE_LIMITED
 */
export async function signInWithPasskey(
  ctx: ServiceContext,
  input: { response: AuthenticationResponseInput; userAgent: string | null },
): Promise<SignInResult> {
  // Per address, wrong assertions count (and a high ceiling on all): a shared address is never
  // refused for people signing in right.
  const limits = rateLimitCounters(ctx, [], {
    address: [PASSKEY_SIGN_IN_LIMIT, ctx.ip],
    onlyIf: flagOnSql('features.passkeys'),
  });
  const { response } = input;
  return decideAgainOnLostRace(
    async (first) => {
      const { settings, stored, keys, owners, ...counts } = await batchOf(ctx.db, {
        settings: settingsQuery(ctx),
        stored: storedChallengeQuery(ctx, response.response.clientDataJSON, 'authenticate'),
        keys: ctx.db.select().from(passkeys).where(eq(passkeys.id, response.id)),
        owners: ctx.db
          .select()
          .from(users)
          .where(eq(users.id, sql`(select ${passkeys.userId} from ${passkeys} where ${passkeys.id} = ${response.id})`)),
        ...(first ? limits.statements : {}),
      });
      primeSettings(ctx, settings);
      await assertPasskeysOn(ctx, 'Passkey sign-in');
      limits.check(counts);
      const rp = relyingParty(ctx);
      const fail = (reason: string, userId: string | null = null, writes: Statements = []) =>
        signInFailure(ctx, { credentialId: response.id, userId, reason }, [...writes, ...limits.failed()]);

      const challenge = stored[0];
      if (!challenge) return fail('challenge');
      // Burnt whether or not the assertion verifies; guarded, so an answer that lost the challenge to a
      // concurrent one decides again (and finds it used).
      const burn = burnChallenge(ctx, challenge, true);
      const passkey = keys[0];
      const user = owners[0];
      if (!passkey || !user || user.status === 'removed') return fail('credential', null, burn);
      if (challenge.userId !== null && challenge.userId !== user.id) return fail('account-mismatch', user.id, burn);
      if (!userHandleMatches(response.response.userHandle, user.id)) return fail('user-handle', user.id, burn);
      const newCounter = await verifyAssertion(ctx, rp, challenge, passkey, response, true);
      if (newCounter === null) return fail('assertion', user.id, burn);
      const writes = [...burn, ...recordUse(ctx, passkey, newCounter)];
      try {
        assertCanSignIn(user);
      } catch (err) {
        if (err instanceof AppError) {
          await runBatch(ctx.db, [
            ...writes,
            signInFailureAudit(ctx, { credentialId: passkey.id, userId: user.id, reason: err.code }),
          ]);
        }
        throw err;
      }
      return completeSignIn(ctx, user, 'passkey', { userAgent: input.userAgent, ip: ctx.ip }, { writes });
    },
    () => signInFailure(ctx, { credentialId: response.id, userId: null, reason: 'challenge' }),
  );
}
