import { and, eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import type { Actor, ServiceContext } from '../context';
import { sessions, users } from '../db/schema';
import { AppError } from '../lib/errors';
import type { AppEnv } from '../lib/hono';
import { allows, type RoutePolicy } from './policy';
import { verifyAccessToken } from './tokens';

function bearerToken(header: string | undefined): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match) throw new AppError('TOKEN_INVALID', 'Authorization header must be "Bearer <token>"');
  return match[1]!;
}

/**
 * Resolves the caller of an access token: verifies it, loads the account and its session, and refuses
 * revoked tokens (token version bumped, session ended) and accounts that may not act.
 * @throws AppError UNAUTHENTICATED, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
export async function authenticate(ctx: ServiceContext, authorization: string | undefined): Promise<Actor> {
  const token = bearerToken(authorization);
  if (!token) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  const claims = await verifyAccessToken(ctx.env, token, ctx.clock.now());
  // One D1 read: the account and the session the token names.
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
    .leftJoin(sessions, and(eq(sessions.id, claims.sid), eq(sessions.userId, users.id)))
    .where(eq(users.id, claims.sub))
    .get();
  const now = ctx.clock.now().getTime();
  if (
    !user ||
    user.tokenVersion !== claims.ver ||
    user.status === 'removed' ||
    user.sessionExpiresAt === null ||
    user.sessionRevokedAt !== null ||
    user.sessionExpiresAt <= now
  ) {
    throw new AppError('TOKEN_REVOKED', 'Access token has been revoked');
  }
  if (user.status === 'blocked') throw new AppError('USER_BLOCKED', 'This account is blocked');
  if (user.status === 'inactive') throw new AppError('USER_INACTIVE', 'This account is deactivated');
  return { id: user.id, role: user.role, subRoles: user.subRoles, status: user.status, sessionId: claims.sid };
}

/**
 * Route middleware enforcing one policy entry: 401 without a valid token, 403 for a role the policy
 * does not list or an account still awaiting verification.
 */
export function guard(policy: RoutePolicy): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (policy.kind === 'public') return next();
    const ctx = c.get('ctx');
    const actor = await authenticate(ctx, c.req.header('authorization'));
    if (actor.status === 'pending' && !policy.allowPending) {
      throw new AppError('FORBIDDEN', 'This account is awaiting verification');
    }
    if (!allows(policy, actor.role, actor.subRoles)) {
      throw new AppError('FORBIDDEN', 'You do not have access to this resource');
    }
    ctx.actor = actor;
    c.set('user', actor);
    await next();
  };
}
