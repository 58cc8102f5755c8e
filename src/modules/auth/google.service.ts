import { and, eq, isNull, sql } from 'drizzle-orm';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  type JSONWebKeySet,
  type JWTPayload,
  jwtVerify,
} from 'jose';
import type { ServiceContext } from '../../context';
import { batchOf, type Statements } from '../../db/batch';
import { abortUnlessOneRowChanged, oneRowGuardTripped } from '../../db/row-guard';
import { type UserRow, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { type AddressRule, rateLimitCounters } from '../../platform/rate-limit';
import { auditInsert, recordAudit } from '../audit/audit.service';
import { assertFlagOn, flagOnSql, primeSettings, settingsQuery } from '../settings/settings.service';
import { newAccount, registerAccountStatements } from '../users/new-account';
import { revokeAllStatements } from './sessions.service';
import {
  assertCanSignIn,
  auditSignInFailure,
  completeSignIn,
  factorStateQueries,
  type SignInResult,
  toFactorState,
} from './sign-in.service';

/** Google's signing keys for ID tokens (a JWKS). */
export const GOOGLE_CERTS_URL = 'https://www.googleapis.com/oauth2/v3/certs';
export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

/** 30 Google sign-ins per IP per 15 minutes. */
/**
 * Per address: refused Google tokens (30 in 15 minutes), and every Google sign-in under a high ceiling,
 * so people signing in right from one shared address are never refused.
 */
export const GOOGLE_IP_RULE: AddressRule = {
  failures: { name: 'google-failures:ip', limit: 30, windowMs: 15 * 60_000 },
  ceiling: { name: 'google:ip', limit: 600, windowMs: 15 * 60_000 },
};

/** Used when Google sends no max-age; any max-age is capped at a day. */
const DEFAULT_KEYS_TTL_MS = 5 * 60_000;
const MAX_KEYS_TTL_MS = 24 * 3600_000;
/**
 * An unknown `kid` refetches the keys at most once per this long, so tokens with made-up kids cannot
 * turn every request into a call to Google.
 */
export const KEYS_REFETCH_COOLDOWN_MS = 30_000;

const FAILED_MESSAGE = 'Google sign-in failed';

interface CachedKeys {
  jwks: JSONWebKeySet;
  kids: ReadonlySet<string>;
  fetchedAt: number;
  expiresAt: number;
}

/**
 * Per-isolate cache of Google's keys. Only plain data is kept across requests (no promises or streams
 * of another request); times come from the caller's clock.
 */
let cachedKeys: CachedKeys | null = null;

/** Forgets the cached Google keys. For tests. */
export function resetGoogleKeysCache(): void {
  cachedKeys = null;
}

/** A refused ID token: `reason` goes to the audit log only, never to the client. */
class GoogleTokenRejected extends Error {
  constructor(
    readonly reason: string,
    readonly userId: string | null = null,
  ) {
    super(reason);
    this.name = 'GoogleTokenRejected';
  }
}

function keysUnavailable(cause?: unknown): AppError {
  return new AppError('SERVICE_UNAVAILABLE', 'Google sign-in is unavailable right now; try again shortly', { cause });
}

/** The audiences (OAuth client ids) whose ID tokens are accepted; SERVICE_UNAVAILABLE when none are set. */
export function googleClientIds(env: { GOOGLE_CLIENT_IDS?: string }): string[] {
  const ids = (env.GOOGLE_CLIENT_IDS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (!ids.length) {
    throw new AppError('SERVICE_UNAVAILABLE', 'Google sign-in is not configured', {
      details: { missing: 'GOOGLE_CLIENT_IDS' },
    });
  }
  return ids;
}

/** How long a JWKS response may be cached, from its Cache-Control header. */
export function keysTtlMs(cacheControl: string | null): number {
  const value = (cacheControl ?? '').toLowerCase();
  if (/(^|[\s,])(no-store|no-cache)($|[\s,=])/.test(value)) return 0;
  const match = /(?:^|[\s,])max-age\s*=\s*"?(\d+)"?/.exec(value);
  if (!match) return DEFAULT_KEYS_TTL_MS;
  return Math.min(Number(match[1]) * 1000, MAX_KEYS_TTL_MS);
}

async function fetchGoogleKeys(ctx: ServiceContext): Promise<CachedKeys> {
  let res: Response;
  try {
    res = await ctx.ports.fetch(GOOGLE_CERTS_URL, { headers: { accept: 'application/json' } });
  } catch (err) {
    ctx.log.log('warn', 'google_jwks_fetch_failed', { error: err instanceof Error ? err.message : String(err) });
    throw keysUnavailable(err);
  }
  if (!res.ok) {
    ctx.log.log('warn', 'google_jwks_fetch_failed', { status: res.status });
    throw keysUnavailable();
  }
  let jwks: JSONWebKeySet;
  try {
    jwks = (await res.json()) as JSONWebKeySet;
    createLocalJWKSet(jwks); // validates the set's shape
  } catch (err) {
    ctx.log.log('warn', 'google_jwks_malformed', { error: err instanceof Error ? err.message : String(err) });
    throw keysUnavailable(err);
  }
  const now = ctx.clock.now().getTime();
  const kids = new Set(jwks.keys.map((key) => key.kid).filter((kid): kid is string => typeof kid === 'string'));
  return { jwks, kids, fetchedAt: now, expiresAt: now + keysTtlMs(res.headers.get('cache-control')) };
}

/**
 * Google's current key set for a token signed with `kid`: the cached set while it is fresh and knows
 * the kid; otherwise one fetch (key rotation), at most once per cooldown for unknown kids.
 * @throws AppError SERVICE_UNAVAILABLE when the keys cannot be fetched
 */
async function googleKeysFor(ctx: ServiceContext, kid: string): Promise<JSONWebKeySet> {
  const now = ctx.clock.now().getTime();
  const cached = cachedKeys;
  if (cached && cached.expiresAt > now) {
    if (cached.kids.has(kid) || now - cached.fetchedAt < KEYS_REFETCH_COOLDOWN_MS) return cached.jwks;
  }
  const fresh = await fetchGoogleKeys(ctx);
  cachedKeys = fresh;
  return fresh.jwks;
}

/** A short, non-identifying reason for the audit log. */
function rejectionReason(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (err as { claim?: unknown }).claim;
      return `claim_${typeof claim === 'string' ? claim : 'invalid'}`;
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return 'unknown_key';
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm';
    case 'ERR_JWT_INVALID':
    case 'ERR_JWS_INVALID':
      return 'malformed';
    default:
      return 'invalid';
  }
}

export interface GoogleIdentity {
  sub: string;
  /** Lower-cased. */
  email: string;
  name: string | null;
}

/**
 * Verifies a Google ID token: RS256 signature by one of Google's keys, issuer, audience (one of
 * GOOGLE_CLIENT_IDS), expiry by the context clock, and a verified email.
 * @throws GoogleTokenRejected for any token problem; AppError SERVICE_UNAVAILABLE when unconfigured or
 * the keys cannot be fetched
 */
async function verifyGoogleIdToken(ctx: ServiceContext, idToken: string): Promise<GoogleIdentity> {
  const audience = googleClientIds(ctx.env);
  let kid: unknown;
  let alg: unknown;
  try {
    ({ kid, alg } = decodeProtectedHeader(idToken));
  } catch {
    throw new GoogleTokenRejected('malformed');
  }
  if (alg !== 'RS256') throw new GoogleTokenRejected('algorithm');
  if (typeof kid !== 'string' || !kid) throw new GoogleTokenRejected('no_kid');
  const jwks = await googleKeysFor(ctx, kid);
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, createLocalJWKSet(jwks), {
      algorithms: ['RS256'],
      issuer: GOOGLE_ISSUERS,
      audience,
      currentDate: ctx.clock.now(),
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    throw new GoogleTokenRejected(rejectionReason(err));
  }
  if (typeof payload.sub !== 'string' || !payload.sub) throw new GoogleTokenRejected('no_sub');
  const email = typeof payload.email === 'string' ? payload.email.trim().toLowerCase() : '';
  if (!email.includes('@') || email.length > 254) throw new GoogleTokenRejected('no_email');
  if (payload.email_verified !== true) throw new GoogleTokenRejected('email_unverified');
  const name = typeof payload.name === 'string' && payload.name.trim() ? payload.name.trim().slice(0, 100) : null;
  return { sub: payload.sub, email, name };
}

const auditFailure = (ctx: ServiceContext, reason: string, userId: string | null = null, writes: Statements = []) =>
  auditSignInFailure(ctx, 'google', reason, userId, writes);

/** Refuses a blocked, deactivated or removed account, auditing the attempt. */
async function assertCanSignInAudited(ctx: ServiceContext, user: UserRow): Promise<void> {
  try {
    assertCanSignIn(user);
  } catch (err) {
    await auditFailure(ctx, `user_${user.status}`, user.id);
    // A removed account answers like any other refused Google sign-in.
    if (err instanceof AppError && err.code === 'UNAUTHENTICATED') throw new AppError('TOKEN_INVALID', FAILED_MESSAGE);
    throw err;
  }
}

const userBy = {
  sub: (ctx: ServiceContext, sub: string) => ctx.db.select().from(users).where(eq(users.googleSub, sub)).get(),
  email: (ctx: ServiceContext, email: string) => ctx.db.select().from(users).where(eq(users.email, email)).get(),
  id: (ctx: ServiceContext, id: string) => ctx.db.select().from(users).where(eq(users.id, id)).get(),
};

/**
 * Links a Google account to the existing account with its email. The email counts as verified from
 * now on. If it was not verified before, whoever set the password or signed up with Facebook (whose
 * email is not proof) never proved they own the address (a pre-registered account), so the password
 * and the Facebook link are cleared and every session of the account ends.
 */
async function linkGoogleAccount(ctx: ServiceContext, user: UserRow, identity: GoogleIdentity): Promise<UserRow> {
  const now = ctx.clock.now().getTime();
  const unverified = user.emailVerifiedAt === null;
  // Only the first of concurrent links writes; the password is cleared in the same statement.
  const linked = await ctx.db
    .update(users)
    .set({
      googleSub: identity.sub,
      emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now})`,
      ...(unverified ? { passwordHash: null, facebookId: null } : {}),
      updatedAt: now,
    })
    .where(and(eq(users.id, user.id), isNull(users.googleSub)))
    .returning({ id: users.id });
  if (linked.length) {
    await ctx.db.batch([
      auditInsert(ctx, {
        actorId: user.id,
        action: 'auth.google_link',
        resourceType: 'user',
        resourceId: user.id,
        metadata: { emailWasUnverified: unverified },
      }),
      ...(unverified ? revokeAllStatements(ctx, user.id, 'google-link') : []),
    ]);
  }
  const row = await userBy.id(ctx, user.id);
  // Another Google account got there first (or the account vanished meanwhile).
  if (!row || row.googleSub !== identity.sub) throw new GoogleTokenRejected('linked_to_other_google_account', user.id);
  return row;
}

/**
 * The account for a Google identity: the one linked to its subject, else the one with its email (then
 * linked), else a new active patient. Safe under concurrent first sign-ins: the unique email and
 * google_sub columns let only one insert win, and everyone re-reads the winner.
 */
async function resolveGoogleUser(ctx: ServiceContext, identity: GoogleIdentity): Promise<UserRow> {
  const linked = await userBy.sub(ctx, identity.sub);
  if (linked) {
    await assertCanSignInAudited(ctx, linked);
    return linked;
  }
  // Two passes: an insert can lose to a concurrent sign-up by another method with the same email.
  for (let pass = 0; pass < 2; pass++) {
    const byEmail = await userBy.email(ctx, identity.email);
    if (byEmail) {
      if (byEmail.googleSub !== null) throw new GoogleTokenRejected('linked_to_other_google_account', byEmail.id);
      await assertCanSignInAudited(ctx, byEmail);
      return linkGoogleAccount(ctx, byEmail, identity);
    }
    const fresh = newAccount(ctx, {
      role: 'user',
      name: identity.name ?? identity.email.split('@')[0]!.slice(0, 100),
      email: identity.email,
      googleSub: identity.sub,
      verified: { email: true },
    });
    await ctx.db.insert(users).values(fresh).onConflictDoNothing();
    const row = await userBy.sub(ctx, identity.sub);
    if (row) {
      if (row.id === fresh.id) {
        await recordAudit(ctx, {
          actorId: fresh.id,
          action: 'auth.register',
          resourceType: 'user',
          resourceId: fresh.id,
          metadata: { method: 'google' },
        });
      } else {
        await assertCanSignInAudited(ctx, row);
      }
      return row;
    }
  }
  throw new GoogleTokenRejected('account_conflict');
}

/** The subject and email a token claims, before it is verified: what the read batch looks up. */
function claimedIdentity(idToken: string): { sub: string; email: string } {
  try {
    const payload = decodeJwt(idToken);
    return {
      sub: typeof payload.sub === 'string' ? payload.sub : '',
      email: typeof payload.email === 'string' ? payload.email.trim().toLowerCase() : '',
    };
  } catch {
    return { sub: '', email: '' };
  }
}

/**
 * The account and write batch of a Google sign-in, decided from the read batch: the account linked to
 * the subject, else the one with the email (linked in the write batch), else a new active patient
 * (created in it). Each conditional write is guarded, so when a concurrent request linked or created
 * the account since the read, the batch aborts (`oneRowGuardTripped`) and the caller resolves the
 * account again the slow, race-safe way (`resolveGoogleUser`).
 * @throws GoogleTokenRejected for an email linked to another Google account; AppError for an account
 * that may not sign in (audited)
 */
async function planGoogleUser(
  ctx: ServiceContext,
  identity: GoogleIdentity,
  read: { bySub: UserRow | undefined; byEmail: UserRow | undefined },
): Promise<{ user: UserRow; writes: Statements }> {
  if (read.bySub) {
    await assertCanSignInAudited(ctx, read.bySub);
    return { user: read.bySub, writes: [] };
  }
  const now = ctx.clock.now().getTime();
  const existing = read.byEmail;
  if (existing) {
    if (existing.googleSub !== null) throw new GoogleTokenRejected('linked_to_other_google_account', existing.id);
    await assertCanSignInAudited(ctx, existing);
    const unverified = existing.emailVerifiedAt === null;
    // The same link as linkGoogleAccount, decided on the row read: any change since (another link, a
    // token version bump) leaves the update without effect and aborts the batch.
    return {
      user: {
        ...existing,
        googleSub: identity.sub,
        emailVerifiedAt: existing.emailVerifiedAt ?? now,
        passwordHash: unverified ? null : existing.passwordHash,
        facebookId: unverified ? null : existing.facebookId,
        tokenVersion: existing.tokenVersion + (unverified ? 1 : 0),
        updatedAt: now,
      },
      writes: [
        ctx.db
          .update(users)
          .set({
            googleSub: identity.sub,
            emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, ${now})`,
            ...(unverified ? { passwordHash: null, facebookId: null } : {}),
            updatedAt: now,
          })
          .where(
            and(eq(users.id, existing.id), isNull(users.googleSub), eq(users.tokenVersion, existing.tokenVersion)),
          ),
        abortUnlessOneRowChanged(ctx.db),
        auditInsert(ctx, {
          actorId: existing.id,
          action: 'auth.google_link',
          resourceType: 'user',
          resourceId: existing.id,
          metadata: { emailWasUnverified: unverified },
        }),
        ...(unverified ? revokeAllStatements(ctx, existing.id, 'google-link') : []),
      ],
    };
  }
  const user = newAccount(ctx, {
    role: 'user',
    name: identity.name ?? identity.email.split('@')[0]!.slice(0, 100),
    email: identity.email,
    googleSub: identity.sub,
    verified: { email: true },
  });
  return { user, writes: registerAccountStatements(ctx, user, { method: 'google' }) };
}

/**
 * Signs in with a Google ID token, creating or linking the account on first use, then finishes like
 * every sign-in (2FA challenge or a session). Refused tokens are audited with the reason and answered
 * with one message that does not say which check failed. While the `features.googleSignIn` flag is off
 * it answers FORBIDDEN before anything else (no rate-limit hit, no call to Google).
 *
 * One read batch (the flag, the limit's counter, the accounts of the subject and email the token
 * claims, and their second factors), then one write batch once the token verified (a link or a new
 * account, with the session or the challenge). The rows read are used only when the verified claims
 * are the ones looked up; a concurrent link or creation falls back to resolving the account again.
 * @throws AppError FORBIDDEN, RATE_LIMITED, TOKEN_INVALID, USER_BLOCKED, USER_INACTIVE, TWO_FACTOR_REQUIRED,
 * SERVICE_UNAVAILABLE (GOOGLE_CLIENT_IDS unset or Google's keys unreachable)
 */
export async function signInWithGoogle(
  ctx: ServiceContext,
  input: { idToken: string; userAgent: string | null },
): Promise<SignInResult> {
  const claimed = claimedIdentity(input.idToken);
  const limits = rateLimitCounters(ctx, [], {
    address: [GOOGLE_IP_RULE, ctx.ip],
    onlyIf: flagOnSql('features.googleSignIn'),
  });
  const owner = sql`coalesce((select ${users.id} from ${users} where ${users.googleSub} = ${claimed.sub}), (select ${users.id} from ${users} where ${users.email} = ${claimed.email}))`;
  const { settings, bySub, byEmail, mfa, recovery, ...counts } = await batchOf(ctx.db, {
    settings: settingsQuery(ctx),
    bySub: ctx.db.select().from(users).where(eq(users.googleSub, claimed.sub)),
    byEmail: ctx.db.select().from(users).where(eq(users.email, claimed.email)),
    ...factorStateQueries(ctx, owner),
    ...limits.statements,
  });
  primeSettings(ctx, settings);
  await assertFlagOn(ctx, 'features.googleSignIn', 'Google sign-in is turned off');
  limits.check(counts);
  const device = { userAgent: input.userAgent, ip: ctx.ip };
  try {
    const identity = await verifyGoogleIdToken(ctx, input.idToken);
    if (identity.sub === claimed.sub && identity.email === claimed.email) {
      const plan = await planGoogleUser(ctx, identity, { bySub: bySub[0], byEmail: byEmail[0] });
      try {
        return await completeSignIn(ctx, plan.user, 'google', device, {
          factors: toFactorState(mfa, recovery),
          writes: plan.writes,
        });
      } catch (err) {
        if (!oneRowGuardTripped(err)) throw err;
      }
    }
    const user = await resolveGoogleUser(ctx, identity);
    return await completeSignIn(ctx, user, 'google', device);
  } catch (err) {
    if (!(err instanceof GoogleTokenRejected)) throw err;
    // A refused token counts against the address, in the same batch as its audit row.
    await auditFailure(ctx, err.reason, err.userId, limits.failed());
    throw new AppError('TOKEN_INVALID', FAILED_MESSAGE);
  }
}
