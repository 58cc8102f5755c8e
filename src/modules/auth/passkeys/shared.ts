import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { and, desc, eq, gt, isNull, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../../context';
import type { Statements } from '../../../db/batch';
import { abortUnlessOneRowChanged } from '../../../db/row-guard';
import { type PasskeyRow, passkeys, webauthnChallenges } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { fromBase64Url } from '../../../lib/ids';
import { iso } from '../../../lib/time';
import type { AddressRule, RateRule } from '../../../platform/rate-limit';
import { assertFlagOn } from '../../settings/settings.service';
import type { AuthenticationResponseInput, PasskeyView } from '../passkeys.schemas';

/**
 * @simplewebauthn/server (with its ASN.1 and X.509 parsers) is loaded on the first passkey call, not
 * at Worker start-up: most requests never need it.
 */
export const webauthn = () => import('@simplewebauthn/server');

/** An options challenge must be answered within 5 minutes, once. */
export const WEBAUTHN_CHALLENGE_TTL_MS = 5 * 60_000;

/** Public passkey endpoints, per client IP (skipped when the IP is unknown). */
export const PASSKEY_OPTIONS_LIMIT: RateRule = { name: 'passkey-options:ip', limit: 30, windowMs: 60_000 };
/**
 * Per address: refused assertions (30 a minute), and every passkey sign-in under a high ceiling, so
 * people signing in right from one shared address are never refused by this limit.
 */
export const PASSKEY_SIGN_IN_LIMIT: AddressRule = {
  failures: { name: 'passkey-sign-in-failures:ip', limit: 30, windowMs: 60_000 },
  ceiling: { name: 'passkey-sign-in:ip', limit: 300, windowMs: 60_000 },
};

/**
 * Refuses passkey registration and passkey sign-in while `features.passkeys` is off. Listing and
 * deleting passkeys, and passkeys as a second factor, are deliberately not gated: an account whose
 * 2FA is a passkey must still be able to finish signing in.
 * @throws AppError FORBIDDEN
 */
export const assertPasskeysOn = (ctx: ServiceContext, what: string) =>
  assertFlagOn(ctx, 'features.passkeys', `${what} is turned off`);

type ChallengeKind = (typeof webauthnChallenges.$inferSelect)['kind'];
export type StoredChallenge = typeof webauthnChallenges.$inferSelect;

export const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** A stored passkey as the API shows it (never its public key or sign count). */
export function toPasskeyView(row: PasskeyRow): PasskeyView {
  return {
    id: row.id,
    name: row.name,
    deviceType: row.deviceType,
    backedUp: row.backedUp,
    transports: row.transports ?? [],
    createdAt: iso(row.createdAt),
    lastUsedAt: iso(row.lastUsedAt),
  };
}

export interface RelyingParty {
  rpID: string;
  rpName: string;
  origins: string[];
}

/**
 * The relying party from env (WEBAUTHN_RP_ID, WEBAUTHN_RP_NAME, WEBAUTHN_ORIGINS).
 * @throws AppError SERVICE_UNAVAILABLE when the id or the origins are not configured
 */
export function relyingParty(ctx: ServiceContext): RelyingParty {
  const rpID = ctx.env.WEBAUTHN_RP_ID?.trim();
  const origins = (ctx.env.WEBAUTHN_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (!rpID || !origins.length) throw new AppError('SERVICE_UNAVAILABLE', 'Passkeys are not configured');
  return { rpID, rpName: ctx.env.WEBAUTHN_RP_NAME?.trim() || ctx.env.APP_NAME || 'Kinwell', origins };
}

/** A fresh random challenge (32 bytes from the context's CSPRNG), as bytes for the options builders. */
export function newChallenge(ctx: ServiceContext): Uint8Array<ArrayBuffer> {
  return new Uint8Array(fromBase64Url(ctx.ids.token(32)));
}

/** Stores an options challenge of `kind` (bound to `userId` when given) for 5 minutes. */
export async function storeChallenge(
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

/** A user's passkeys as option descriptors (newest first), for a caller's read batch; `toCredentials` reads it. */
export const credentialsQuery = (ctx: ServiceContext, userId: string | SQL) =>
  ctx.db
    .select({ id: passkeys.id, transports: passkeys.transports })
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(desc(passkeys.createdAt));

/** The rows of `credentialsQuery` as credential descriptors (`excludeCredentials` / `allowCredentials`). */
export const toCredentials = (rows: { id: string; transports: PasskeyRow['transports'] }[]) =>
  rows.map((row) => ({ id: row.id, ...(row.transports?.length ? { transports: row.transports } : {}) }));

/** A user handle, when the authenticator returned one, must be the owner's id (WebAuthn §7.2 step 6). */
export function userHandleMatches(userHandle: string | null | undefined, userId: string): boolean {
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
export async function verifyAssertion(
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
 * The live stored challenge a response signed (of `kind`, and of `userId` when given), for a caller's
 * read batch: no row when the signed challenge is unreadable, unknown, used or expired. Burn it with
 * `burnChallenge` in the write batch.
 */
export function storedChallengeQuery(
  ctx: ServiceContext,
  clientDataJSON: string,
  kind: ChallengeKind,
  userId?: string | SQL,
) {
  const now = ctx.clock.now().getTime();
  return ctx.db
    .select()
    .from(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.challenge, signedChallenge(clientDataJSON) ?? ''),
        eq(webauthnChallenges.kind, kind),
        isNull(webauthnChallenges.consumedAt),
        gt(webauthnChallenges.expiresAt, now),
        userId === undefined ? undefined : eq(webauthnChallenges.userId, userId),
      ),
    )
    .limit(1);
}

/**
 * Consumes a stored challenge read by `storedChallengeQuery`, for the caller's write batch. With
 * `guarded`, a batch in which a concurrent answer consumed it first aborts as a whole
 * (`oneRowGuardTripped`), so the caller decides again and finds it used.
 */
export function burnChallenge(ctx: ServiceContext, stored: StoredChallenge, guarded: boolean): Statements {
  const burn = ctx.db
    .update(webauthnChallenges)
    .set({ consumedAt: ctx.clock.now().getTime() })
    .where(and(eq(webauthnChallenges.id, stored.id), isNull(webauthnChallenges.consumedAt)));
  return guarded ? [burn, abortUnlessOneRowChanged(ctx.db)] : [burn];
}

/**
 * The statements that store the new sign count and last use, for the caller's write batch. Compare-and-
 * set on the count that was verified against, so two assertions racing with the same count (a cloned
 * authenticator) cannot both pass: the loser's batch aborts (`oneRowGuardTripped`).
 */
export function recordUse(ctx: ServiceContext, passkey: PasskeyRow, newCounter: number): Statements {
  return [
    ctx.db
      .update(passkeys)
      .set({ counter: newCounter, lastUsedAt: ctx.clock.now().getTime() })
      .where(and(eq(passkeys.id, passkey.id), eq(passkeys.counter, passkey.counter))),
    abortUnlessOneRowChanged(ctx.db),
  ];
}
