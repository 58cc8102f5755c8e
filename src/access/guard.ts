import { and, eq } from 'drizzle-orm';
import type { Actor, ServiceContext } from '../context';
import { createDb, type Db } from '../db/client';
import type { D1Gate } from '../db/metered';
import { sessions, USER_STATUSES, type UserStatus, userProfiles, users } from '../db/schema';
import { AppError } from '../lib/errors';
import { assertAllowed, type SignedInPolicy } from './policy';
import { type AccessClaims, verifyAccessToken } from './tokens';

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/**
 * Resolves the caller of an access token: verifies it, then loads the account and its session.
 * @throws AppError UNAUTHENTICATED, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
export async function authenticate(ctx: ServiceContext, authorization: string | undefined): Promise<Actor> {
  const token = bearerToken(authorization);
  if (!token) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  const claims = await verifyAccessToken(ctx.env, token, ctx.clock.now());
  const { actor } = await sessionActor(ctx, { userId: claims.sub, sessionId: claims.sid, tokenVersion: claims.ver });
  return actor;
}

/**
 * The account behind a session, in one D1 read (the account joined with its session), refusing what
 * may not act: a revoked or ended session, a bumped token version (when `tokenVersion` is given), a
 * removed, blocked or deactivated account. The HTTP guard and the socket hub share it.
 * @throws AppError TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
export async function sessionActor(
  ctx: ServiceContext,
  who: { userId: string; sessionId: string; tokenVersion?: number },
  db: Db = ctx.db,
): Promise<{ actor: Actor; tokenVersion: number }> {
  const user = await db
    .select({
      id: users.id,
      role: users.role,
      subRoles: users.subRoles,
      status: users.status,
      tokenVersion: users.tokenVersion,
      sessionRevokedAt: sessions.revokedAt,
      sessionExpiresAt: sessions.expiresAt,
      language: userProfiles.preferredLanguage,
    })
    .from(users)
    .leftJoin(sessions, and(eq(sessions.id, who.sessionId), eq(sessions.userId, users.id)))
    .leftJoin(userProfiles, eq(userProfiles.userId, users.id))
    .where(eq(users.id, who.userId))
    .get();
  const now = ctx.clock.now().getTime();
  if (
    !user ||
    (who.tokenVersion !== undefined && user.tokenVersion !== who.tokenVersion) ||
    user.status === 'removed' ||
    user.sessionExpiresAt === null ||
    user.sessionRevokedAt !== null ||
    user.sessionExpiresAt <= now
  ) {
    throw new AppError('TOKEN_REVOKED', 'Access token has been revoked');
  }
  if (user.status === 'blocked') throw new AppError('USER_BLOCKED', 'This account is blocked');
  if (user.status === 'inactive') throw new AppError('USER_INACTIVE', 'This account is deactivated');
  const actor: Actor = {
    id: user.id,
    role: user.role,
    subRoles: user.subRoles,
    status: user.status,
    sessionId: who.sessionId,
    language: user.language,
  };
  return { actor, tokenVersion: user.tokenVersion };
}

/**
 * The one statement that proves a verified access token may still act on a route: its session is live,
 * its token version current, its role unchanged, and its account active (or pending, where the route
 * allows it). It answers `{ status, language }` (the profile's preferred language, for the messages), or
 * fails with an SQL error, so the DB port can send it beside a handler's first read or ahead of its first
 * write in the same batch (see src/db/metered.ts).
 */
function sessionGateSql(allowPending: boolean): string {
  const statuses = (allowPending ? ['active', 'pending'] : ['active']).map((s) => `'${s}'`).join(', ');
  return `select case when v.status is null then json('access refused') else v.status end as status,
  (select p.preferred_language from user_profiles p where p.user_id = ?1) as language
from (select (select u.status from users u join sessions s on s.id = ?2 and s.user_id = u.id
  where u.id = ?1 and u.token_version = ?3 and u.role = ?4 and u.status in (${statuses})
    and s.revoked_at is null and s.expires_at > ?5) as status) v`;
}

/**
 * Admits the bearer of an access token to a route without a round trip of its own: the token is
 * verified and the role policy applied from its claims here, and the session check is armed on the
 * DB port, to ride on the handler's first D1 call (or `ctx.settle()`).
 * @throws AppError UNAUTHENTICATED, TOKEN_INVALID, TOKEN_EXPIRED, FORBIDDEN; later, from the gate,
 *   TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE or FORBIDDEN (an account awaiting verification).
 */
export async function admit(
  ctx: ServiceContext,
  authorization: string | undefined,
  policy: SignedInPolicy,
): Promise<Actor> {
  const token = bearerToken(authorization);
  if (!token) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  const claims = await verifyAccessToken(ctx.env, token, ctx.clock.now());
  const subRoles = claims.sr ?? [];
  const actor: Actor = { id: claims.sub, role: claims.role, subRoles, status: 'active', sessionId: claims.sid };
  ctx.meter.arm(sessionGate(ctx, claims, actor, policy));
  try {
    // The role from the claims; whether the account is pending is the gate's to tell.
    assertAllowed(policy, actor);
  } catch (err) {
    // A refusal by role still proves the session first, so a revoked token answers 401, not 403.
    await ctx.settle();
    throw err;
  }
  return actor;
}

function sessionGate(ctx: ServiceContext, claims: AccessClaims, actor: Actor, policy: SignedInPolicy): D1Gate {
  const allowPending = Boolean(policy.allowPending);
  return {
    statement: (d1) =>
      d1
        .prepare(sessionGateSql(allowPending))
        .bind(claims.sub, claims.sid, claims.ver, claims.role, ctx.clock.now().getTime()),
    passed: (row) => {
      const status = row.status as UserStatus;
      if (USER_STATUSES.includes(status)) actor.status = status;
      if (typeof row.language === 'string') actor.language = row.language;
    },
    refused: async (d1) => {
      const { actor: current } = await sessionActor(
        ctx,
        { userId: claims.sub, sessionId: claims.sid, tokenVersion: claims.ver },
        createDb(d1),
      );
      // The stored account decides: refused as the policy refuses it (a pending account, another
      // role), and a token claiming a role the account no longer has is revoked.
      assertAllowed(policy, current);
      if (current.role !== claims.role) throw new AppError('TOKEN_REVOKED', 'Access token has been revoked');
    },
  };
}
