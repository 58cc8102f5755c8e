import { and, desc, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { signAccessToken } from '../../access/tokens';
import type { AuthedContext, ServiceContext } from '../../context';
import type { Statements } from '../../db/batch';
import { paginate } from '../../db/paginate';
import { type AuthMethod, refreshTokens, type SessionRow, sessions, type UserRow, users } from '../../db/schema';
import { ifOneRowChanged, isNotNullViolation } from '../../db/sql';
import { sha256Hex } from '../../lib/crypto';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { accessTokenTtlSeconds, refreshTokenTtlMs } from '../settings/lifetimes';

/**
 * A session ends 90 days after sign-in whatever its refreshes. Refresh tokens and access tokens live
 * as their settings say (`auth.refreshTokenTtlDays`, `auth.accessTokenTtlMinutes`): a flow that issues
 * them reads the settings in its read batch (`settingsQuery`), so issuing costs no round trip.
 */
export const SESSION_MAX_MS = 90 * 24 * 3600_000;

export interface DeviceInfo {
  userAgent: string | null;
  ip: string | null;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

/**
 * A fresh refresh token living `auth.refreshTokenTtlDays` and its insert; `sessionId` may be SQL (a
 * guard that aborts the batch).
 */
async function newRefreshToken(
  ctx: ServiceContext,
  session: { id: string; userId: string },
  now: number,
  sessionId: string | SQL<string> = session.id,
) {
  const token = `rt_${ctx.ids.token(32)}`;
  const insert = ctx.db.insert(refreshTokens).values({
    tokenHash: await sha256Hex(token),
    sessionId,
    userId: session.userId,
    issuedAt: now,
    expiresAt: now + (await refreshTokenTtlMs(ctx)),
  });
  return { token, insert };
}

/** An access token for the session and its lifetime in seconds (`auth.accessTokenTtlMinutes`). */
async function accessFor(
  ctx: ServiceContext,
  user: Pick<UserRow, 'id' | 'role' | 'subRoles' | 'tokenVersion'>,
  sessionId: string,
): Promise<{ accessToken: string; expiresIn: number }> {
  const expiresIn = await accessTokenTtlSeconds(ctx);
  const accessToken = await signAccessToken(
    ctx.env,
    { sub: user.id, role: user.role, subRoles: user.subRoles, sid: sessionId, ver: user.tokenVersion },
    ctx.clock.now(),
    expiresIn,
  );
  return { accessToken, expiresIn };
}

/**
 * A new device session for `user`, ready to commit: the statements that store it (session, first
 * refresh token, the sign-in's audit row) for the caller's write batch, and the token pair it answers
 * once they committed. Nothing is written here; the token lifetimes come from the settings, read here
 * unless the caller's read batch already did (`settingsQuery`).
 */
export async function prepareSession(
  ctx: ServiceContext,
  user: Pick<UserRow, 'id' | 'role' | 'subRoles' | 'tokenVersion'>,
  method: AuthMethod,
  device: DeviceInfo,
): Promise<{ statements: Statements; tokens: TokenPair }> {
  const now = ctx.clock.now().getTime();
  const session: SessionRow = {
    id: ctx.ids.id('ses'),
    userId: user.id,
    method,
    userAgent: device.userAgent?.slice(0, 512) ?? null,
    ip: device.ip,
    createdAt: now,
    lastUsedAt: now,
    expiresAt: now + SESSION_MAX_MS,
    revokedAt: null,
    revokedReason: null,
  };
  const refresh = await newRefreshToken(ctx, session, now);
  return {
    statements: [
      ctx.db.insert(sessions).values(session),
      refresh.insert,
      auditInsert(ctx, {
        actorId: user.id,
        action: 'auth.login',
        resourceType: 'session',
        resourceId: session.id,
        metadata: { method },
      }),
    ],
    tokens: { ...(await accessFor(ctx, user, session.id)), refreshToken: refresh.token },
  };
}

/** Marks a session revoked (idempotent). */
function revokeStatement(ctx: ServiceContext, sessionId: string, reason: string) {
  return ctx.db
    .update(sessions)
    .set({ revokedAt: ctx.clock.now().getTime(), revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
}

/**
 * Exchanges a refresh token for a new pair, rotating it. A token presented twice means it was
 * copied: the whole session is revoked and both holders are signed out. One round trip reads the token
 * with its session and account, and beside it the settings the new pair's lifetimes come from (a join
 * cannot share a batch: its columns of the same name would collide); then one write batch.
 * @throws AppError TOKEN_INVALID (unknown), TOKEN_EXPIRED, TOKEN_REVOKED (reuse, revoked session, account gone)
 */
export async function refreshSession(ctx: ServiceContext, refreshToken: string): Promise<TokenPair> {
  const now = ctx.clock.now().getTime();
  const hash = await sha256Hex(refreshToken);
  const [row] = await Promise.all([
    ctx.db
      .select({ token: refreshTokens, session: sessions, user: users })
      .from(refreshTokens)
      .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
      .innerJoin(users, eq(users.id, refreshTokens.userId))
      .where(eq(refreshTokens.tokenHash, hash))
      .get(),
    accessTokenTtlSeconds(ctx),
  ]);
  if (!row) throw new AppError('TOKEN_INVALID', 'Refresh token is not valid');
  const { token, session, user } = row;
  if (session.revokedAt !== null) throw new AppError('TOKEN_REVOKED', 'This session has ended');
  if (token.rotatedAt !== null) {
    await ctx.db.batch([
      revokeStatement(ctx, session.id, 'refresh-token-reuse'),
      auditInsert(ctx, {
        actorId: user.id,
        action: 'auth.refresh_reuse',
        resourceType: 'session',
        resourceId: session.id,
        outcome: 'failure',
      }),
    ]);
    throw new AppError('TOKEN_REVOKED', 'This refresh token was already used; the session has been ended');
  }
  if (token.expiresAt <= now || session.expiresAt <= now)
    throw new AppError('TOKEN_EXPIRED', 'Session expired; sign in again');
  if (user.status === 'blocked' || user.status === 'inactive' || user.status === 'removed') {
    throw new AppError('TOKEN_REVOKED', 'This account can no longer sign in');
  }
  // One write batch: rotate the presented token, store its successor and touch the session. Only one
  // concurrent refresh with the same token may win the rotation: for the others the successor's
  // session id is NULL, which aborts their whole batch.
  const next = await newRefreshToken(ctx, session, now, ifOneRowChanged(session.id));
  try {
    await ctx.db.batch([
      ctx.db
        .update(refreshTokens)
        .set({ rotatedAt: now })
        .where(and(eq(refreshTokens.tokenHash, hash), isNull(refreshTokens.rotatedAt))),
      next.insert,
      ctx.db.update(sessions).set({ lastUsedAt: now, ip: ctx.ip }).where(eq(sessions.id, session.id)),
    ]);
  } catch (err) {
    if (!isNotNullViolation(err, refreshTokens.sessionId)) throw err;
    await revokeStatement(ctx, session.id, 'refresh-token-reuse');
    throw new AppError('TOKEN_REVOKED', 'This refresh token was already used; the session has been ended');
  }
  return { ...(await accessFor(ctx, user, session.id)), refreshToken: next.token };
}

/** Ends one of the caller's sessions; another user's session is NOT_FOUND. */
export async function revokeSession(ctx: ServiceContext, sessionId: string, reason = 'logout'): Promise<void> {
  const actor = ctx.actor;
  if (!actor) throw notFound('Session');
  // The caller's own session needs no look-up: the guard proves it live and theirs in the same batch.
  if (sessionId !== actor.sessionId) {
    const owned = await ctx.db
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.id, sessionId), eq(sessions.userId, actor.id)))
      .get();
    if (!owned) throw notFound('Session');
  }
  await ctx.db.batch([
    revokeStatement(ctx, sessionId, reason),
    auditInsert(ctx, {
      action: 'auth.session_revoke',
      resourceType: 'session',
      resourceId: sessionId,
      metadata: { reason },
    }),
  ]);
}

/**
 * Statements that end every session of a user and bump the token version, so every access token
 * issued before fails with TOKEN_REVOKED. Callers add them to their own batch.
 */
export function revokeAllStatements(ctx: ServiceContext, userId: string, reason: string) {
  const now = ctx.clock.now().getTime();
  return [
    ctx.db
      .update(sessions)
      .set({ revokedAt: now, revokedReason: reason })
      .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt))),
    ctx.db
      .update(users)
      .set({ tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: now })
      .where(eq(users.id, userId)),
  ] as const;
}

/** Signs the caller out everywhere. */
export async function logoutEverywhere(ctx: AuthedContext): Promise<void> {
  await ctx.db.batch([
    ...revokeAllStatements(ctx, ctx.actor.id, 'logout-all'),
    auditInsert(ctx, { action: 'auth.logout_all', resourceType: 'user', resourceId: ctx.actor.id }),
  ]);
}

export function toSessionView(row: SessionRow, currentId: string | null) {
  return {
    id: row.id,
    method: row.method,
    userAgent: row.userAgent,
    ip: row.ip,
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: new Date(row.lastUsedAt).toISOString(),
    expiresAt: new Date(row.expiresAt).toISOString(),
    current: row.id === currentId,
  };
}

/** The caller's live sessions, most recently used first. */
export async function listSessions(ctx: AuthedContext, query: { page: number; limit: number }) {
  const current = ctx.actor.sessionId;
  return paginate(ctx.db, sessions, {
    where: and(
      eq(sessions.userId, ctx.actor.id),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, ctx.clock.now().getTime()),
    ),
    orderBy: [desc(sessions.lastUsedAt), desc(sessions.id)],
    page: query.page,
    limit: query.limit,
    map: (row) => toSessionView(row, current),
  });
}
