import { and, eq } from 'drizzle-orm';
import type { Actor, ServiceContext } from '../context';
import { sessions, users } from '../db/schema';
import { AppError } from '../lib/errors';
import { verifyAccessToken } from './tokens';

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
): Promise<{ actor: Actor; tokenVersion: number }> {
  const user = await ctx.db
    .select({
      id: users.id,
      role: users.role,
      subRoles: users.subRoles,
      status: users.status,
      tokenVersion: users.tokenVersion,
      sessionRevokedAt: sessions.revokedAt,
      sessionExpiresAt: sessions.expiresAt,
    })
    .from(users)
    .leftJoin(sessions, and(eq(sessions.id, who.sessionId), eq(sessions.userId, users.id)))
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
  };
  return { actor, tokenVersion: user.tokenVersion };
}
