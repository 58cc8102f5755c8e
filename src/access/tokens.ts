import { errors, jwtVerify, SignJWT } from 'jose';
import type { AdminSubRole, Role } from '../db/schema';
import type { Env } from '../env';
import { AppError } from '../lib/errors';

/**
 * Access tokens live 15 minutes unless the setting `auth.accessTokenTtlMinutes` says otherwise (this is
 * its default); refresh tokens renew them.
 */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
const ISSUER = 'kinwell';
const AUDIENCE = 'kinwell-api';

export interface AccessClaims {
  sub: string;
  role: Role;
  /** Admin sub-roles when issued (a change bumps the token version, so they cannot go stale). */
  sr?: AdminSubRole[];
  /** Session id. */
  sid: string;
  /** The user's token version when issued; a bump revokes the token. */
  ver: number;
  iat: number;
  exp: number;
}

function secretKey(env: Pick<Env, 'JWT_SECRET'>): Uint8Array {
  if (!env.JWT_SECRET || env.JWT_SECRET.length < 32) {
    throw new AppError('INTERNAL', 'JWT_SECRET is missing or shorter than 32 characters');
  }
  return new TextEncoder().encode(env.JWT_SECRET);
}

/** Signs an HS256 access token for a session, expiring `ttlSeconds` after `now`. */
export async function signAccessToken(
  env: Pick<Env, 'JWT_SECRET'>,
  claims: { sub: string; role: Role; subRoles?: AdminSubRole[]; sid: string; ver: number },
  now: Date,
  ttlSeconds: number = ACCESS_TOKEN_TTL_SECONDS,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const subRoles = claims.subRoles?.length ? { sr: claims.subRoles } : {};
  return new SignJWT({ role: claims.role, ...subRoles, sid: claims.sid, ver: claims.ver })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttlSeconds)
    .sign(secretKey(env));
}

/**
 * Verifies signature, issuer, audience and expiry against `now`.
 * @throws AppError TOKEN_EXPIRED for an expired token, TOKEN_INVALID for anything else wrong.
 */
export async function verifyAccessToken(env: Pick<Env, 'JWT_SECRET'>, token: string, now: Date): Promise<AccessClaims> {
  try {
    const { payload } = await jwtVerify(token, secretKey(env), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
      currentDate: now,
    });
    if (
      typeof payload.sub !== 'string' ||
      typeof payload.sid !== 'string' ||
      typeof payload.ver !== 'number' ||
      typeof payload.role !== 'string' ||
      (payload.sr !== undefined && !(Array.isArray(payload.sr) && payload.sr.every((r) => typeof r === 'string')))
    ) {
      throw new AppError('TOKEN_INVALID', 'Access token is malformed');
    }
    return payload as unknown as AccessClaims;
  } catch (err) {
    if (err instanceof AppError) throw err;
    if (err instanceof errors.JWTExpired) throw new AppError('TOKEN_EXPIRED', 'Access token has expired');
    throw new AppError('TOKEN_INVALID', 'Access token is invalid');
  }
}
