import type { RegistrationResponseJSON, verifyRegistrationResponse } from '@simplewebauthn/server';
import { eq } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../../context';
import { type PasskeyRow, passkeys, users } from '../../../db/schema';
import { AppError, notFound } from '../../../lib/errors';
import { toBase64Url } from '../../../lib/ids';
import { auditInsert } from '../../audit/audit.service';
import type { PasskeyView, RegistrationResponseInput } from '../passkeys.schemas';
import {
  assertPasskeysOn,
  consumeChallenge,
  credentialsOf,
  encoder,
  newChallenge,
  relyingParty,
  storeChallenge,
  toPasskeyView,
  WEBAUTHN_CHALLENGE_TTL_MS,
  webauthn,
} from './shared';

/** Registering a passkey on a signed-in account: the options, then the verified attestation. */

/**
 * Options for `navigator.credentials.create()`; the challenge is stored for 5 minutes.
 * @throws AppError FORBIDDEN while `features.passkeys` is off
 */
export async function registrationOptions(ctx: AuthedContext) {
  const userId = ctx.actor.id;
  await assertPasskeysOn(ctx, 'Passkey registration');
  const rp = relyingParty(ctx);
  const user = await ctx.db.select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw notFound('User');
  const options = await (await webauthn()).generateRegistrationOptions({
    rpName: rp.rpName,
    rpID: rp.rpID,
    userID: new Uint8Array(encoder.encode(user.id)),
    userName: user.email ?? user.mobileNumber ?? user.id,
    userDisplayName: user.name,
    challenge: newChallenge(ctx),
    timeout: WEBAUTHN_CHALLENGE_TTL_MS,
    attestationType: 'none',
    excludeCredentials: await credentialsOf(ctx, user.id),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await storeChallenge(ctx, 'register', user.id, options.challenge);
  return options;
}

async function passkeyExists(ctx: ServiceContext, id: string): Promise<boolean> {
  return Boolean(await ctx.db.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, id)).get());
}

/**
 * Verifies a registration response against the caller's stored challenge and saves the credential.
 * @throws AppError FORBIDDEN while `features.passkeys` is off (the challenge is left alone), BAD_REQUEST
 * (unknown/used/expired challenge, invalid attestation), CONFLICT (already registered)
 */
export async function registerPasskey(
  ctx: AuthedContext,
  input: { response: RegistrationResponseInput; name?: string },
): Promise<PasskeyView> {
  const userId = ctx.actor.id;
  await assertPasskeysOn(ctx, 'Passkey registration');
  const rp = relyingParty(ctx);
  const audit = (outcome: 'success' | 'failure', resourceId: string, metadata: Record<string, unknown>) =>
    auditInsert(ctx, {
      action: 'auth.passkey_register',
      resourceType: 'passkey',
      resourceId: resourceId.slice(0, 256),
      outcome,
      metadata,
    });
  const refuse = async (reason: string): Promise<never> => {
    await audit('failure', input.response.id, { reason });
    throw new AppError('BAD_REQUEST', 'The passkey could not be verified; start the registration again');
  };

  const challenge = await consumeChallenge(ctx, input.response.response.clientDataJSON, 'register', userId);
  if (!challenge) return refuse('challenge');
  let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verification = await (await webauthn()).verifyRegistrationResponse({
      response: input.response as RegistrationResponseJSON,
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.rpID,
      // Matches `userVerification: 'preferred'` in the options: UV is enforced when signing in.
      requireUserVerification: false,
    });
  } catch (err) {
    ctx.log.log('warn', 'passkey.attestation_rejected', { error: err instanceof Error ? err.message : String(err) });
    return refuse('attestation');
  }
  if (!verification.verified) return refuse('attestation');

  const info = verification.registrationInfo;
  const row: PasskeyRow = {
    id: info.credential.id,
    userId,
    name: input.name ?? 'Passkey',
    publicKey: toBase64Url(info.credential.publicKey),
    counter: info.credential.counter,
    transports: info.credential.transports ?? [],
    deviceType: info.credentialDeviceType,
    backedUp: info.credentialBackedUp,
    createdAt: ctx.clock.now().getTime(),
    lastUsedAt: null,
  };
  const conflict = async (): Promise<never> => {
    await audit('failure', row.id, { reason: 'duplicate' });
    throw new AppError('CONFLICT', 'This passkey is already registered');
  };
  if (await passkeyExists(ctx, row.id)) return conflict();
  try {
    await ctx.db.batch([
      ctx.db.insert(passkeys).values(row),
      audit('success', row.id, { deviceType: row.deviceType, backedUp: row.backedUp }),
    ]);
  } catch (err) {
    // Lost a race with a concurrent registration of the same credential.
    if (await passkeyExists(ctx, row.id)) return conflict();
    throw err;
  }
  return toPasskeyView(row);
}
