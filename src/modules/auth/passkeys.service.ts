import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { and, count, desc, eq, gt, isNull } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type PasskeyRow, passkeys, userMfa, users, webauthnChallenges } from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { fromBase64Url, toBase64Url } from '../../lib/ids';
import { hitRateLimits, type RateRule } from '../../platform/rate-limit';
import { auditInsert } from '../audit/audit.service';
import { assertFlagOn } from '../settings/settings.service';
import {
  type AuthenticationResponseInput,
  AuthenticationResponseSchema,
  type PasskeyView,
  type RegistrationResponseInput,
} from './passkeys.schemas';
import { completeSignIn, type LiveChallenge, loadChallenge, type SignInResult } from './sign-in.service';
import { finishEnable } from './two-factor.service';

/**
 * @simplewebauthn/server (with its ASN.1 and X.509 parsers) is loaded on the first passkey call, not
 * at Worker start-up: most requests never need it.
 */
const webauthn = () => import('@simplewebauthn/server');

/** An options challenge must be answered within 5 minutes, once. */
export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60_000;

/** Public passkey endpoints, per client IP (skipped when the IP is unknown). */
export const PASSKEY_OPTIONS_LIMIT: RateRule = { name: 'passkey-options:ip', limit: 30, windowMs: 60_000 };
export const PASSKEY_SIGN_IN_LIMIT: RateRule = { name: 'passkey-sign-in:ip', limit: 30, windowMs: 60_000 };

const SIGN_IN_FAILED = 'Passkey sign-in failed; try again or use another sign-in method';

/**
 * Refuses passkey registration and passkey sign-in while `features.passkeys` is off. Listing and
 * deleting passkeys, and passkeys as a second factor, are deliberately not gated: an account whose
 * 2FA is a passkey must still be able to finish signing in.
 * @throws AppError FORBIDDEN
 */
const assertPasskeysOn = (ctx: ServiceContext, what: string) =>
  assertFlagOn(ctx, 'features.passkeys', `${what} is turned off`);

type ChallengeKind = (typeof webauthnChallenges.$inferSelect)['kind'];
type StoredChallenge = typeof webauthnChallenges.$inferSelect;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toPasskeyView(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    deviceType: row.deviceType,
    backedUp: row.backedUp,
    transports: row.transports ?? [],
    createdAt: iso(row.createdAt)!,
    lastUsedAt: iso(row.lastUsedAt),
  };
}

interface RelyingParty {
  rpID: string;
  rpName: string;
  origins: string[];
}

/** The relying party from env (WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS). */
function relyingParty(ctx: ServiceContext): RelyingParty {
  const rpID = ctx.env.WEBAUTHN_RP_ID?.trim();
  const origins = (ctx.env.WEBAUTHN_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (!rpID || !origins.length) throw new AppError('SERVICE_UNAVAILABLE', 'Passkeys are not configured');
  return { rpID, rpName: ctx.env.WEBAUTHN_RP_NAME?.trim() || ctx.env.APP_NAME || 'Kinwell', origins };
}

function actorId(ctx: ServiceContext, what = 'Passkey'): string {
  if (!ctx.actor) throw notFound(what);
  return ctx.actor.id;
}

/** A fresh random challenge (32 bytes from the context's CSPRNG), as bytes for the options builders. */
function newChallenge(ctx: ServiceContext): Uint8Array<ArrayBuffer> {
  return new Uint8Array(fromBase64Url(ctx.ids.token(32)));
}

async function storeChallenge(
  ctx: ServiceContext,
  kind: ChallengeKind,
  userId: string | null,
  challenge: string,
): Promise<void> {
  const now = ctx.clock.now().getTime();
  await ctx.db.insert(webauthnChallenges).values({
    id: ctx.ids.id('wac'),
    challenge,
    kind,
    userId,
    createdAt: now,
    expiresAt: now + WEBAUTHN_CHALLENGE_TTL_MS,
  });
}

/** The `challenge` a client signed, read from its base64url clientDataJSON; null when unreadable. */
function signedChallenge(clientDataJSON: string): string | null {
  try {
    const data: unknown = JSON.parse(decoder.decode(fromBase64Url(clientDataJSON)));
    const challenge = (data as { challenge?: unknown } | null)?.challenge;
    return typeof challenge === 'string' && challenge.length > 0 && challenge.length <= 512 ? challenge : null;
  } catch {
    return null;
  }
}

/**
 * Consumes the stored challenge a response signed: it must be of `kind` (and `userId` when given),
 * unexpired and unused. Only the UPDATE that flips `consumed_at` wins, so a challenge answers once even
 * under concurrent verifies; it is burnt whether or not the response then verifies.
 */
async function consumeChallenge(
  ctx: ServiceContext,
  clientDataJSON: string,
  kind: ChallengeKind,
  userId?: string,
): Promise<StoredChallenge | null> {
  const challenge = signedChallenge(clientDataJSON);
  if (!challenge) return null;
  const now = ctx.clock.now().getTime();
  const row = await ctx.db
    .update(webauthnChallenges)
    .set({ consumedAt: now })
    .where(
      and(
        eq(webauthnChallenges.challenge, challenge),
        eq(webauthnChallenges.kind, kind),
        isNull(webauthnChallenges.consumedAt),
        gt(webauthnChallenges.expiresAt, now),
        userId === undefined ? undefined : eq(webauthnChallenges.userId, userId),
      ),
    )
    .returning()
    .get();
  return row ?? null;
}

async function credentialsOf(ctx: ServiceContext, userId: string) {
  const rows = await ctx.db
    .select({ id: passkeys.id, transports: passkeys.transports })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(desc(passkeys.createdAt))
    .all();
  return rows.map((row) => ({ id: row.id, ...(row.transports?.length ? { transports: row.transports } : {}) }));
}

/** A user handle, when the authenticator returned one, must be the owner's id (WebAuthn §7.2 step 6). */
function userHandleMatches(userHandle: string | null | undefined, userId: string): boolean {
  if (!userHandle) return true;
  try {
    return decoder.decode(fromBase64Url(userHandle)) === userId;
  } catch {
    return false;
  }
}

/** Library input: the validated JSON, with a `null` user handle dropped. */
function toAssertionJSON(response: AuthenticationResponseInput): AuthenticationResponseJSON {
  const { userHandle, ...rest } = response.response;
  return {
    ...response,
    response: userHandle ? { ...rest, userHandle } : rest,
  } as AuthenticationResponseJSON;
}

/**
 * Verifies an assertion by `passkey` over `challenge`: origin, RP id, signature, user presence (and
 * verification when required) and a sign count that moved forward. Returns the new sign count, or null.
 */
async function verifyAssertion(
  ctx: ServiceContext,
  rp: RelyingParty,
  challenge: StoredChallenge,
  passkey: PasskeyRow,
  response: AuthenticationResponseInput,
  requireUserVerification: boolean,
): Promise<number | null> {
  try {
    const result = await (await webauthn()).verifyAuthenticationResponse({
      response: toAssertionJSON(response),
      expectedChallenge: challenge.challenge,
      expectedOrigin: rp.origins,
      expectedRPID: rp.rpID,
      credential: {
        id: passkey.id,
        publicKey: new Uint8Array(fromBase64Url(passkey.publicKey)),
        counter: passkey.counter,
        ...(passkey.transports?.length ? { transports: passkey.transports } : {}),
      },
      requireUserVerification,
    });
    return result.verified ? result.authenticationInfo.newCounter : null;
  } catch (err) {
    ctx.log.log('warn', 'passkey.assertion_rejected', { error: err instanceof Error ? err.message : String(err) });
    return null;
  }
}

/**
 * Stores the new sign count and last use. Compare-and-set on the count that was verified against, so
 * two assertions racing with the same count (a cloned authenticator) cannot both pass.
 */
async function recordUse(ctx: ServiceContext, passkey: PasskeyRow, newCounter: number): Promise<boolean> {
  const updated = await ctx.db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: ctx.clock.now().getTime() })
    .where(and(eq(passkeys.id, passkey.id), eq(passkeys.counter, passkey.counter)))
    .run();
  return updated.meta.changes > 0;
}

// ---------------------------------------------------------------------------------------------------
// Registration (signed in)

/**
 * Options for `navigator.credentials.create()`; the challenge is stored for 5 minutes.
 * @throws AppError FORBIDDEN while `features.passkeys` is off
 */
export async function registrationOptions(ctx: ServiceContext) {
  const userId = actorId(ctx, 'User');
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
  ctx: ServiceContext,
  input: { response: RegistrationResponseInput; name?: string },
): Promise<PasskeyView> {
  const userId = actorId(ctx, 'User');
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

// ---------------------------------------------------------------------------------------------------
// Managing passkeys (signed in)

export async function listPasskeys(ctx: ServiceContext, query: { page: number; limit: number }) {
  return paginate(ctx.db, passkeys, {
    where: eq(passkeys.userId, actorId(ctx)),
    orderBy: [desc(passkeys.createdAt), desc(passkeys.id)],
    page: query.page,
    limit: query.limit,
    map: toPasskeyView,
  });
}

/**
 * Deletes one of the caller's passkeys; another user's is NOT_FOUND.
 * @throws AppError CONFLICT for the last passkey while passkeys are a second factor: turning that off
 *   goes through POST /2fa/disable, which asks for a fresh second factor (a stolen access token alone
 *   must not be able to strip 2FA).
 */
export async function deletePasskey(ctx: ServiceContext, id: string): Promise<void> {
  const userId = actorId(ctx);
  const [[row], [owned], [mfa]] = await ctx.db.batch([
    ctx.db
      .select({ id: passkeys.id })
      .from(passkeys)
      .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
    ctx.db.select({ enabledAt: userMfa.passkeyEnabledAt }).from(userMfa).where(eq(userMfa.userId, userId)),
  ]);
  if (!row) throw notFound('Passkey');
  if ((owned?.n ?? 0) <= 1 && mfa?.enabledAt) {
    throw new AppError(
      'CONFLICT',
      'This is your last passkey and it is a second factor: turn passkey two-factor off first',
    );
  }
  await ctx.db.batch([
    ctx.db.delete(passkeys).where(and(eq(passkeys.id, id), eq(passkeys.userId, userId))),
    auditInsert(ctx, { action: 'auth.passkey_delete', resourceType: 'passkey', resourceId: id }),
  ]);
}

/**
 * Turns on passkeys as a second factor and, when the account has no recovery codes yet, issues them
 * (returned once), so a passkey-only account can still prove a fresh factor or recover.
 * @throws AppError CONFLICT when the caller has no passkey yet or passkey 2FA is already on
 */
export async function enablePasskeyTwoFactor(ctx: ServiceContext) {
  const userId = actorId(ctx, 'User');
  const [[owned], [mfa]] = await ctx.db.batch([
    ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)),
    ctx.db.select({ enabledAt: userMfa.passkeyEnabledAt }).from(userMfa).where(eq(userMfa.userId, userId)),
  ]);
  if (!owned?.n) throw new AppError('CONFLICT', 'Register a passkey before using it as a second factor');
  if (mfa?.enabledAt) throw new AppError('CONFLICT', 'Passkeys are already a second factor');
  const now = ctx.clock.now().getTime();
  await ctx.db
    .insert(userMfa)
    .values({ userId, passkeyEnabledAt: now, updatedAt: now })
    .onConflictDoUpdate({ target: userMfa.userId, set: { passkeyEnabledAt: now, updatedAt: now } });
  const issued = await finishEnable(ctx, userId, 'passkey');
  return { factor: 'passkey' as const, enabledAt: iso(now)!, ...issued };
}

// ---------------------------------------------------------------------------------------------------
// Sign-in (public)

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

// ---------------------------------------------------------------------------------------------------
// Second factor (public, with a TWO_FACTOR_REQUIRED challenge)

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
