import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { admit, authenticate, sessionActor } from '../access/guard';
import { signedIn } from '../access/policy';
import { verifyAccessToken } from '../access/tokens';
import type { Actor, AuthedContext, ServiceContext } from '../context';
import { ROLES, type Role, realtimeTickets } from '../db/schema';
import { sha256Hex } from '../lib/crypto';
import { AppError } from '../lib/errors';
import { accessTokenTtlSeconds } from '../modules/settings/lifetimes';
import { SUBPROTOCOL } from './protocol';

const BEARER_PREFIX = 'bearer.';

/** A ticket opens one socket within this many milliseconds of being issued, once. */
export const TICKET_TTL_MS = 30_000;

/**
 * What a socket's authority rests on. The Worker establishes it before the upgrade, hands it to the
 * hub in trusted headers, and the hub keeps it in the socket's attachment.
 */
export interface SocketAuthority {
  userId: string;
  sessionId: string;
  /** The user's token version the authority was granted under; a bump revokes it. */
  tokenVersion: number;
  role: Role;
  /** Epoch ms when the authority lapses (the access token's `exp`). */
  expiresAt: number;
}

/**
 * Authority from an access token (the `bearer.<token>` subprotocol and `auth:refresh`): the guard's
 * own checks (signature, expiry, session, token version, account status), plus the token's expiry.
 * @throws AppError TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
export async function authorityFromToken(
  ctx: ServiceContext,
  token: string,
): Promise<{ actor: Actor; authority: SocketAuthority }> {
  const claims = await verifyAccessToken(ctx.env, token, ctx.clock.now());
  const actor = await authenticate(ctx, `Bearer ${token}`);
  return {
    actor,
    authority: {
      userId: actor.id,
      sessionId: claims.sid,
      tokenVersion: claims.ver,
      role: actor.role,
      expiresAt: claims.exp * 1000,
    },
  };
}

/**
 * Authority from an access token without a round trip of its own: the token is verified here and the
 * session check armed as the HTTP guard arms it (`admit`), to ride on the route's first D1 call. For
 * handshakes whose route reads D1 before it upgrades (a video room's join).
 * @throws AppError TOKEN_INVALID, TOKEN_EXPIRED; later, from the gate, TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
async function armedAuthorityFromToken(
  ctx: ServiceContext,
  token: string,
): Promise<{ actor: Actor; authority: SocketAuthority }> {
  const claims = await verifyAccessToken(ctx.env, token, ctx.clock.now());
  const actor = await admit(ctx, `Bearer ${token}`, signedIn());
  return {
    actor,
    authority: {
      userId: actor.id,
      sessionId: claims.sid,
      tokenVersion: claims.ver,
      role: actor.role,
      expiresAt: claims.exp * 1000,
    },
  };
}

/**
 * Issues a single-use socket ticket for the caller's session. Only its SHA-256 is stored; expired
 * tickets are swept in the same batch, so the table only ever holds the last few seconds' tickets.
 */
export async function issueTicket(ctx: AuthedContext): Promise<{ ticket: string; expiresAt: string }> {
  const { actor } = ctx;
  if (!actor.sessionId) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  const now = ctx.clock.now().getTime();
  const ticket = ctx.ids.token(32);
  const expiresAt = now + TICKET_TTL_MS;
  await ctx.db.batch([
    ctx.db.delete(realtimeTickets).where(lt(realtimeTickets.expiresAt, now)),
    ctx.db.insert(realtimeTickets).values({
      tokenHash: await sha256Hex(ticket),
      userId: actor.id,
      sessionId: actor.sessionId,
      expiresAt,
      usedAt: null,
      createdAt: now,
    }),
  ]);
  return { ticket, expiresAt: new Date(expiresAt).toISOString() };
}

/**
 * Authority from a ticket: consumes it in one conditional UPDATE (so two racing upgrades cannot both
 * use it), then checks its session and account as the guard would. The socket's authority lasts an
 * access token's lifetime (`auth.accessTokenTtlMinutes`, read beside the UPDATE) from the ticket's
 * issue, as if a token had been issued with it.
 * @throws AppError TOKEN_INVALID (unknown, used or expired ticket), TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
export async function authorityFromTicket(
  ctx: ServiceContext,
  ticket: string,
): Promise<{ actor: Actor; authority: SocketAuthority }> {
  const now = ctx.clock.now().getTime();
  const consumed = ctx.db
    .update(realtimeTickets)
    .set({ usedAt: now })
    .where(
      and(
        eq(realtimeTickets.tokenHash, await sha256Hex(ticket)),
        isNull(realtimeTickets.usedAt),
        gt(realtimeTickets.expiresAt, now),
      ),
    )
    .returning({ userId: realtimeTickets.userId, sessionId: realtimeTickets.sessionId, at: realtimeTickets.createdAt })
    .get();
  const [row, ttlSeconds] = await Promise.all([consumed, accessTokenTtlSeconds(ctx)]);
  if (!row) throw new AppError('TOKEN_INVALID', 'The ticket is unknown, already used or expired');
  const { actor, tokenVersion } = await checkSession(ctx, { userId: row.userId, sessionId: row.sessionId });
  return {
    actor,
    authority: {
      userId: actor.id,
      sessionId: row.sessionId,
      tokenVersion,
      role: actor.role,
      expiresAt: row.at + ttlSeconds * 1000,
    },
  };
}

/**
 * The caller behind a socket, re-read from D1 with the access guard's rules (`sessionActor`): the
 * session must be live, the token version unchanged (when given) and the account allowed to act.
 * @throws AppError TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE
 */
export function checkSession(
  ctx: ServiceContext,
  authority: Pick<SocketAuthority, 'userId' | 'sessionId'> & { tokenVersion?: number },
): Promise<{ actor: Actor; tokenVersion: number }> {
  return sessionActor(ctx, authority);
}

/** Internal headers carrying a socket's authority from the Worker to the hub (never read from a client). */
const HEADER = {
  userId: 'x-kinwell-user-id',
  role: 'x-kinwell-role',
  sessionId: 'x-kinwell-session-id',
  tokenVersion: 'x-kinwell-token-version',
  expiresAt: 'x-kinwell-token-exp',
} as const;

/** The headers of the Worker's upgrade request to the hub. */
export function authorityHeaders(authority: SocketAuthority): Record<string, string> {
  return {
    [HEADER.userId]: authority.userId,
    [HEADER.role]: authority.role,
    [HEADER.sessionId]: authority.sessionId,
    [HEADER.tokenVersion]: String(authority.tokenVersion),
    [HEADER.expiresAt]: String(authority.expiresAt),
  };
}

/** Reads the authority the Worker attached; null when any part is missing or malformed. */
export function authorityFromHeaders(headers: Headers): SocketAuthority | null {
  const userId = headers.get(HEADER.userId);
  const role = headers.get(HEADER.role);
  const sessionId = headers.get(HEADER.sessionId);
  const tokenVersion = Number(headers.get(HEADER.tokenVersion) ?? Number.NaN);
  const expiresAt = Number(headers.get(HEADER.expiresAt) ?? Number.NaN);
  if (!userId || !sessionId || !role || !(ROLES as readonly string[]).includes(role)) return null;
  if (!Number.isSafeInteger(tokenVersion) || !Number.isSafeInteger(expiresAt)) return null;
  return { userId, sessionId, role: role as Role, tokenVersion, expiresAt };
}

/** Query parameters that would put a credential in the URL (logs, history, Referer): always refused. */
const URL_CREDENTIALS = ['token', 'access_token', 'accesstoken', 'bearer', 'authorization', 'jwt'];

/**
 * Authenticates a socket upgrade from its `Sec-WebSocket-Protocol` offer and query: either
 * `kinwell.v1, bearer.<accessToken>` or `?ticket=` (consumed), never both, never a token in the URL.
 * `subprotocol` says whether the client offered `kinwell.v1` (the answer must then select it). `armed`: a
 * bearer's session check rides on the route's next D1 call instead of costing its own round trip.
 * @throws AppError UNAUTHENTICATED, TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_REVOKED, USER_BLOCKED, USER_INACTIVE, BAD_REQUEST
 */
export async function connectAuthority(
  ctx: ServiceContext,
  request: { protocols: string | undefined; query: Record<string, string> },
  options: { armed?: boolean } = {},
): Promise<{ actor: Actor; authority: SocketAuthority; subprotocol: boolean }> {
  if (Object.keys(request.query).some((key) => URL_CREDENTIALS.includes(key.toLowerCase()))) {
    throw new AppError(
      'TOKEN_INVALID',
      `Access tokens are never accepted in the URL: offer the subprotocols "${SUBPROTOCOL}, bearer.<token>" or use a ticket`,
    );
  }
  const offered = (request.protocols ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const subprotocol = offered.includes(SUBPROTOCOL);
  if (offered.length && !subprotocol) {
    throw new AppError('BAD_REQUEST', `Offer the "${SUBPROTOCOL}" subprotocol`);
  }
  const bearers = offered.filter((p) => p.startsWith(BEARER_PREFIX)).map((p) => p.slice(BEARER_PREFIX.length));
  const ticket = request.query.ticket;
  if (bearers.length > 1 || (bearers.length && ticket)) {
    throw new AppError('BAD_REQUEST', 'Authenticate with one bearer subprotocol or one ticket, not several');
  }
  const bearer = bearers[0];
  if (bearer) {
    const authority = options.armed ? armedAuthorityFromToken(ctx, bearer) : authorityFromToken(ctx, bearer);
    return { ...(await authority), subprotocol };
  }
  if (ticket) return { ...(await authorityFromTicket(ctx, ticket)), subprotocol };
  throw new AppError('UNAUTHENTICATED', `Sign in: offer "${SUBPROTOCOL}, bearer.<accessToken>" or pass ?ticket=`);
}
