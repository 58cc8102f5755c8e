import { and, eq, isNull, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { type AuthMethod, loginChallenges, recoveryCodes, type UserRow, userMfa, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import type { UserView } from '../users/users.schemas';
import { toUserView } from '../users/users.service';
import { type DeviceInfo, startSession, type TokenPair } from './sessions.service';

/** A second step of 2FA sign-in lives 5 minutes and allows 5 wrong codes. */
export const CHALLENGE_TTL_MS = 5 * 60_000;
export const CHALLENGE_MAX_TRIES = 5;

export type SecondFactor = 'totp' | 'email' | 'passkey' | 'recovery';

export interface SignInResult {
  user: UserView;
  tokens: TokenPair;
}

/**
 * Refuses accounts that may not sign in, with the same codes the guard uses.
 * @throws AppError USER_BLOCKED, USER_INACTIVE; a removed account is reported as bad credentials.
 */
export function assertCanSignIn(user: UserRow): void {
  if (user.status === 'blocked') throw new AppError('USER_BLOCKED', 'This account is blocked');
  if (user.status === 'inactive') throw new AppError('USER_INACTIVE', 'This account is deactivated');
  if (user.status === 'removed') throw new AppError('UNAUTHENTICATED', 'Email or password is incorrect');
}

export type EnableableFactor = 'totp' | 'email' | 'passkey';

export interface FactorState {
  mfa: typeof userMfa.$inferSelect | undefined;
  /** Factors that are on, in a stable order. */
  on: EnableableFactor[];
  recoveryRemaining: number;
}

/** A user's second-factor settings and unused recovery codes, in one D1 round trip. */
export async function factorState(ctx: ServiceContext, userId: string): Promise<FactorState> {
  const [mfa, [codes]] = await ctx.db.batch([
    ctx.db.select().from(userMfa).where(eq(userMfa.userId, userId)),
    ctx.db
      .select({ n: sql<number>`count(*)` })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
  ]);
  const row = mfa[0];
  const on: EnableableFactor[] = [];
  if (row?.totpEnabledAt) on.push('totp');
  if (row?.emailOtpEnabledAt) on.push('email');
  if (row?.passkeyEnabledAt) on.push('passkey');
  return { mfa: row, on, recoveryRemaining: codes?.n ?? 0 };
}

/** The second factors a user has turned on (recovery codes count only while some are unused). */
export async function enabledSecondFactors(ctx: ServiceContext, userId: string): Promise<SecondFactor[]> {
  const { on, recoveryRemaining } = await factorState(ctx, userId);
  return on.length && recoveryRemaining > 0 ? [...on, 'recovery'] : on;
}

/**
 * Finishes a first-factor sign-in: a user with 2FA on gets a challenge instead of tokens
 * (TWO_FACTOR_REQUIRED carrying `challengeId` and the usable `methods`); everyone else gets a session.
 * A passkey sign-in is already two factors (device + user verification), so it never asks again.
 */
export async function completeSignIn(
  ctx: ServiceContext,
  user: UserRow,
  method: AuthMethod,
  device: DeviceInfo,
): Promise<SignInResult> {
  assertCanSignIn(user);
  if (method !== 'passkey') {
    const methods = await enabledSecondFactors(ctx, user.id);
    if (methods.length) {
      const now = ctx.clock.now().getTime();
      const challengeId = ctx.ids.id('chl');
      await ctx.db.insert(loginChallenges).values({
        id: challengeId,
        userId: user.id,
        method,
        userAgent: device.userAgent?.slice(0, 512) ?? null,
        ip: device.ip,
        createdAt: now,
        expiresAt: now + CHALLENGE_TTL_MS,
      });
      throw new AppError('TWO_FACTOR_REQUIRED', 'Enter your second factor to finish signing in', {
        data: { challengeId, methods, expiresAt: new Date(now + CHALLENGE_TTL_MS).toISOString() },
      });
    }
  }
  const tokens = await startSession(ctx, user, method, device);
  return { user: toUserView(user), tokens };
}

export interface LiveChallenge {
  id: string;
  user: UserRow;
  method: AuthMethod;
  device: DeviceInfo;
}

/**
 * A pending 2FA challenge that can still be answered.
 * @throws AppError TOKEN_INVALID (unknown or used), TOKEN_EXPIRED, OTP_MAX_ATTEMPTS (too many wrong answers)
 */
export async function loadChallenge(ctx: ServiceContext, challengeId: string): Promise<LiveChallenge> {
  const row = await ctx.db
    .select({ challenge: loginChallenges, user: users })
    .from(loginChallenges)
    .innerJoin(users, eq(users.id, loginChallenges.userId))
    .where(eq(loginChallenges.id, challengeId))
    .get();
  if (!row) throw new AppError('TOKEN_INVALID', 'Unknown sign-in challenge; sign in again');
  const { challenge, user } = row;
  if (challenge.attempts >= CHALLENGE_MAX_TRIES) {
    throw new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; sign in again');
  }
  if (challenge.consumedAt !== null) throw new AppError('TOKEN_INVALID', 'This sign-in challenge was already used');
  if (challenge.expiresAt <= ctx.clock.now().getTime()) {
    throw new AppError('TOKEN_EXPIRED', 'The sign-in challenge expired; sign in again');
  }
  return {
    id: challenge.id,
    user,
    method: challenge.method,
    device: { userAgent: challenge.userAgent, ip: challenge.ip },
  };
}

/**
 * Counts a wrong second-factor answer against a challenge and audits it.
 * @throws AppError always: OTP_INVALID, or OTP_MAX_ATTEMPTS on the last allowed try
 */
export async function failChallenge(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  factor: SecondFactor,
): Promise<never> {
  const [updated] = await ctx.db.batch([
    ctx.db
      .update(loginChallenges)
      .set({ attempts: sql`${loginChallenges.attempts} + 1` })
      .where(eq(loginChallenges.id, challenge.id))
      .returning({ attempts: loginChallenges.attempts }),
    auditInsert(ctx, {
      actorId: challenge.user.id,
      action: 'auth.2fa_verify',
      resourceType: 'user',
      resourceId: challenge.user.id,
      outcome: 'failure',
      metadata: { factor },
    }),
  ]);
  const attempts = updated[0]?.attempts ?? CHALLENGE_MAX_TRIES;
  if (attempts >= CHALLENGE_MAX_TRIES) throw new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; sign in again');
  throw new AppError('OTP_INVALID', 'The code is not valid', {
    details: { attemptsLeft: CHALLENGE_MAX_TRIES - attempts },
  });
}

/** Consumes an answered challenge (once, even under concurrent answers) and starts the session. */
export async function passChallenge(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  factor: SecondFactor,
): Promise<SignInResult> {
  const consumed = await ctx.db
    .update(loginChallenges)
    .set({ consumedAt: ctx.clock.now().getTime() })
    .where(and(eq(loginChallenges.id, challenge.id), isNull(loginChallenges.consumedAt)))
    .run();
  if (!consumed.meta.changes) throw new AppError('TOKEN_INVALID', 'This sign-in challenge was already used');
  assertCanSignIn(challenge.user);
  await auditInsert(ctx, {
    actorId: challenge.user.id,
    action: 'auth.2fa_verify',
    resourceType: 'user',
    resourceId: challenge.user.id,
    metadata: { factor },
  });
  const tokens = await startSession(ctx, challenge.user, challenge.method, challenge.device);
  return { user: toUserView(challenge.user), tokens };
}
