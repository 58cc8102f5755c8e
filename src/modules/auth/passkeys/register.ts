import type { RegistrationResponseJSON, verifyRegistrationResponse } from '@simplewebauthn/server';
import { eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { batchOf, runBatch, type Statements } from '../../../db/batch';
import { decideAgainOnLostRace } from '../../../db/row-guard';
import { type PasskeyRow, passkeys, users } from '../../../db/schema';
import { isUniqueViolation } from '../../../db/sql';
import { AppError, notFound } from '../../../lib/errors';
import { toBase64Url } from '../../../lib/ids';
import { auditInsert } from '../../audit/audit.service';
import { primeSettings, settingsQuery } from '../../settings/settings.service';
import type { PasskeyView, RegistrationResponseInput } from '../passkeys.schemas';
import {
  assertPasskeysOn,
  burnChallenge,
  credentialsQuery,
  encoder,
  newChallenge,
  relyingParty,
  storeChallenge,
  storedChallengeQuery,
  toCredentials,
  toPasskeyView,
  WEBAUTHN_CHALLENGE_TTL_MS,
  webauthn,
} from './shared';

/** Registering a passkey on a signed-in account: the options, then the verified attestation. */

/**
 * Options for `navigator.credentials.create()`; the challenge is stored for 5 minutes. One read batch
 * (the flag, the account, its passkeys), one write: the stored challenge.
 * @throws AppError FORBIDDEN while `features.passkeys` is off
 */
export async function registrationOptions(ctx: AuthedContext) {
  const userId = ctx.actor.id;
  const { settings, found, credentials } = await batchOf(ctx.db, {
    settings: settingsQuery(ctx),
    found: ctx.db.select().from(users).where(eq(users.id, userId)),
    credentials: credentialsQuery(ctx, userId),
  });
  primeSettings(ctx, settings);
  await assertPasskeysOn(ctx, 'Passkey registration');
  const rp = relyingParty(ctx);
  const user = found[0];
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
    excludeCredentials: toCredentials(credentials),
    authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
  });
  await storeChallenge(ctx, 'register', user.id, options.challenge);
  return options;
}

/**
 * Verifies a registration response against the caller's stored challenge and saves the credential:
 * one read batch (the flag, the challenge, whether the credential is known), one write batch (the
 * challenge burnt, whether or not the response verifies, with the passkey or the refusal's audit row).
 * A challenge another request burnt meanwhile is decided again on fresh reads (and is gone).
 * @throws AppError FORBIDDEN while `features.passkeys` is off (the challenge is left alone), BAD_REQUEST
 * (unknown/used/expired challenge, invalid attestation), CONFLICT (already registered)
 */
export async function registerPasskey(
  ctx: AuthedContext,
  input: { response: RegistrationResponseInput; name?: string },
): Promise<PasskeyView> {
  const userId = ctx.actor.id;
  const audit = (outcome: 'success' | 'failure', resourceId: string, metadata: Record<string, unknown>) =>
    auditInsert(ctx, {
      action: 'auth.passkey_register',
      resourceType: 'passkey',
      resourceId: resourceId.slice(0, 256),
      outcome,
      metadata,
    });
  const refuse = async (reason: string, writes: Statements = []): Promise<never> => {
    await runBatch(ctx.db, [...writes, audit('failure', input.response.id, { reason })]);
    throw new AppError('BAD_REQUEST', 'The passkey could not be verified; start the registration again');
  };
  return decideAgainOnLostRace(
    async () => {
      const { settings, stored, known } = await batchOf(ctx.db, {
        settings: settingsQuery(ctx),
        stored: storedChallengeQuery(ctx, input.response.response.clientDataJSON, 'register', userId),
        known: ctx.db.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, input.response.id)),
      });
      primeSettings(ctx, settings);
      await assertPasskeysOn(ctx, 'Passkey registration');
      const rp = relyingParty(ctx);
      const challenge = stored[0];
      if (!challenge) return refuse('challenge');
      // Burnt whether or not the response verifies; guarded, so a concurrent use of it decides again.
      const burn = burnChallenge(ctx, challenge, true);
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
        ctx.log.log('warn', 'passkey.attestation_rejected', {
          error: err instanceof Error ? err.message : String(err),
        });
        return refuse('attestation', burn);
      }
      if (!verification.verified) return refuse('attestation', burn);

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
        await runBatch(ctx.db, [
          ...burnChallenge(ctx, challenge, false),
          audit('failure', row.id, { reason: 'duplicate' }),
        ]);
        throw new AppError('CONFLICT', 'This passkey is already registered');
      };
      // The attested id is the response's id in practice; read it separately only if they differ.
      const exists =
        row.id === input.response.id
          ? known.length > 0
          : Boolean(await ctx.db.select({ id: passkeys.id }).from(passkeys).where(eq(passkeys.id, row.id)).get());
      if (exists) return conflict();
      try {
        await runBatch(ctx.db, [
          ...burn,
          ctx.db.insert(passkeys).values(row),
          audit('success', row.id, { deviceType: row.deviceType, backedUp: row.backedUp }),
        ]);
      } catch (err) {
        // Lost a race with a concurrent registration of the same credential.
        if (isUniqueViolation(err, passkeys.id)) return conflict();
        throw err;
      }
      return toPasskeyView(row);
    },
    () => refuse('challenge'),
  );
}
