import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import { abortUnlessOneRowChanged, oneRowGuardTripped } from '../../db/row-guard';
import { type AuthMethod, loginChallenges, recoveryCodes, type UserRow, userMfa, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import type { UserView } from '../users/users.schemas';
import { toUserView } from '../users/users.service';
import { type DeviceInfo, prepareSession, type TokenPair } from './sessions.service';

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

/**
 * Audits a refused sign-in with an outside provider's token (`auth.login`, failure, `{ method, reason }`;
 * the reason is for the audit log only) after `writes` (the address's failure count), in one batch.
 */
export async function auditSignInFailure(
  ctx: ServiceContext,
  method: AuthMethod,
  reason: string,
  userId: string | null,
  writes: Statements = [],
): Promise<void> {
  await runBatch(ctx.db, [
    ...writes,
    auditInsert(ctx, {
      actorId: userId,
      action: 'auth.login',
      resourceType: 'user',
      resourceId: userId,
      outcome: 'failure',
      metadata: { method, reason },
    }),
  ]);
}

export type EnableableFactor = 'totp' | 'email' | 'passkey';

export interface FactorState {
  mfa: typeof userMfa.$inferSelect | undefined;
  /** Factors that are on, in a stable order. */
  on: EnableableFactor[];
  recoveryRemaining: number;
}

/**
 * The reads behind `factorState`, for a caller's batch: `userId` may be SQL (e.g. the id of the
 * account with an email), so a sign-in reads the account and its factors in one round trip. Spread
 * them into the caller's `batchOf` and hand the answers (`mfa`, `recovery`) to `toFactorState`.
 */
export function factorStateQueries(ctx: ServiceContext, userId: string | SQL) {
  return {
    mfa: ctx.db.select().from(userMfa).where(eq(userMfa.userId, userId)),
    recovery: ctx.db
      .select({ n: sql<number>`count(*)` })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))),
  };
}

/** The factor state the answers of `factorStateQueries` describe. */
export function toFactorState(mfaRows: (typeof userMfa.$inferSelect)[], countRows: { n: number }[]): FactorState {
  const row = mfaRows[0];
  const on: EnableableFactor[] = [];
  if (row?.totpEnabledAt) on.push('totp');
  if (row?.emailOtpEnabledAt) on.push('email');
  if (row?.passkeyEnabledAt) on.push('passkey');
  return { mfa: row, on, recoveryRemaining: countRows[0]?.n ?? 0 };
}

/** A user's second-factor settings and unused recovery codes, in one D1 round trip. */
export async function factorState(ctx: ServiceContext, userId: string): Promise<FactorState> {
  const { mfa, recovery } = await batchOf(ctx.db, factorStateQueries(ctx, userId));
  return toFactorState(mfa, recovery);
}

/** The second factors a sign-in may be finished with (recovery codes count only while some are unused). */
export function secondFactorsOf({ on, recoveryRemaining }: FactorState): SecondFactor[] {
  return on.length && recoveryRemaining > 0 ? [...on, 'recovery'] : on;
}

/** The second factors a user has turned on (recovery codes count only while some are unused). */
export async function enabledSecondFactors(ctx: ServiceContext, userId: string): Promise<SecondFactor[]> {
  return secondFactorsOf(await factorState(ctx, userId));
}

/** What a caller already has in hand when it finishes a sign-in, so finishing costs one round trip. */
export interface SignInPrepared {
  /** The account's factor state, read in the caller's read batch; read here when absent. */
  factors?: FactorState;
  /**
   * Statements that commit whatever the outcome (a consumed code, a verified email, a rehashed
   * password): they go first in the one write batch, or alone when the account may not sign in.
   */
  writes?: Statements;
}

/**
 * Finishes a first-factor sign-in in one write batch: a user with 2FA on gets a challenge instead of
 * tokens (TWO_FACTOR_REQUIRED carrying `challengeId` and the usable `methods`); everyone else gets a
 * session. A passkey sign-in is already two factors (device + user verification), so it never asks
 * again. A batch that `prepared.writes` guard with `abortUnlessOneRowChanged` fails as a whole.
 * @throws AppError USER_BLOCKED, USER_INACTIVE, UNAUTHENTICATED (removed), TWO_FACTOR_REQUIRED
 */
export async function completeSignIn(
  ctx: ServiceContext,
  user: UserRow,
  method: AuthMethod,
  device: DeviceInfo,
  prepared: SignInPrepared = {},
): Promise<SignInResult> {
  const writes = prepared.writes ?? [];
  try {
    assertCanSignIn(user);
  } catch (err) {
    await runBatch(ctx.db, writes);
    throw err;
  }
  if (method !== 'passkey') {
    const methods = secondFactorsOf(prepared.factors ?? (await factorState(ctx, user.id)));
    if (methods.length) {
      const now = ctx.clock.now().getTime();
      const challengeId = ctx.ids.id('chl');
      await runBatch(ctx.db, [
        ...writes,
        ctx.db.insert(loginChallenges).values({
          id: challengeId,
          userId: user.id,
          method,
          userAgent: device.userAgent?.slice(0, 512) ?? null,
          ip: device.ip,
          createdAt: now,
          expiresAt: now + CHALLENGE_TTL_MS,
        }),
      ]);
      throw new AppError('TWO_FACTOR_REQUIRED', 'Enter your second factor to finish signing in', {
        data: { challengeId, methods, expiresAt: new Date(now + CHALLENGE_TTL_MS).toISOString() },
      });
    }
  }
  const session = await prepareSession(ctx, user, method, device);
  await runBatch(ctx.db, [...writes, ...session.statements]);
  return { user: toUserView(user), tokens: session.tokens };
}

export interface LiveChallenge {
  id: string;
  user: UserRow;
  method: AuthMethod;
  device: DeviceInfo;
}

/**
 * The reads behind `loadChallenge`, for a caller's batch (two statements, not a join: columns of the
 * same name would overwrite each other in a batch's rows). Spread them into the caller's `batchOf` and
 * hand the answers (`challenge`, `owner`) to `toLiveChallenge`.
 */
export function challengeQueries(ctx: ServiceContext, challengeId: string) {
  return {
    challenge: ctx.db.select().from(loginChallenges).where(eq(loginChallenges.id, challengeId)),
    owner: ctx.db
      .select()
      .from(users)
      .where(eq(users.id, challengeUserId(challengeId))),
  };
}

/** SQL: the id of the account a challenge belongs to (NULL for an unknown challenge). */
export const challengeUserId = (challengeId: string) =>
  sql`(select ${loginChallenges.userId} from ${loginChallenges} where ${loginChallenges.id} = ${challengeId})`;

/**
 * SQL true while a challenge can still be answered: exactly the checks of `toLiveChallenge`, for a
 * statement in the same batch that must do nothing otherwise (the per-account limit of answers).
 */
export const challengeIsLive = (ctx: ServiceContext, challengeId: string) =>
  sql`exists (select 1 from ${loginChallenges} where ${loginChallenges.id} = ${challengeId} and ${loginChallenges.consumedAt} is null and ${loginChallenges.attempts} < ${CHALLENGE_MAX_TRIES} and ${loginChallenges.expiresAt} > ${ctx.clock.now().getTime()})`;

/**
 * The pending 2FA challenge the answers of `challengeQueries` describe, if it can still be answered.
 * @throws AppError TOKEN_INVALID (unknown or used), TOKEN_EXPIRED, OTP_MAX_ATTEMPTS (too many wrong answers)
 */
export function toLiveChallenge(
  ctx: ServiceContext,
  challengeRows: (typeof loginChallenges.$inferSelect)[],
  userRows: UserRow[],
): LiveChallenge {
  const challenge = challengeRows[0];
  const user = userRows[0];
  if (!challenge || !user) throw new AppError('TOKEN_INVALID', 'Unknown sign-in challenge; sign in again');
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
 * A pending 2FA challenge that can still be answered.
 * @throws AppError TOKEN_INVALID (unknown or used), TOKEN_EXPIRED, OTP_MAX_ATTEMPTS (too many wrong answers)
 */
export async function loadChallenge(ctx: ServiceContext, challengeId: string): Promise<LiveChallenge> {
  const { challenge, owner } = await batchOf(ctx.db, challengeQueries(ctx, challengeId));
  return toLiveChallenge(ctx, challenge, owner);
}

/**
 * Counts a wrong second-factor answer against a challenge and audits it, in one batch after `writes`
 * (the factor's own: a code's miss, a burnt WebAuthn challenge).
 * @throws AppError always: OTP_INVALID, or OTP_MAX_ATTEMPTS on the last allowed try
 */
export async function failChallenge(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  factor: SecondFactor,
  writes: Statements = [],
): Promise<never> {
  const results = await runBatch(ctx.db, [
    ...writes,
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
  const updated = results[writes.length] as { attempts: number }[];
  const attempts = updated[0]?.attempts ?? CHALLENGE_MAX_TRIES;
  if (attempts >= CHALLENGE_MAX_TRIES) throw new AppError('OTP_MAX_ATTEMPTS', 'Too many wrong codes; sign in again');
  throw new AppError('OTP_INVALID', 'The code is not valid', {
    details: { attemptsLeft: CHALLENGE_MAX_TRIES - attempts },
  });
}

/**
 * Consumes an answered challenge (once, even under concurrent answers) and starts the session, in one
 * batch after `writes` (the factor's own, e.g. a TOTP step or a used recovery code, possibly guarded by
 * `abortUnlessOneRowChanged`). A batch that lost a race fails as a whole: without `writes` that is
 * TOKEN_INVALID; with them the raw failure (`oneRowGuardTripped`) goes to the caller, which decides
 * again on fresh reads.
 * @throws AppError TOKEN_INVALID (already used), USER_BLOCKED, USER_INACTIVE, UNAUTHENTICATED (removed)
 */
export async function passChallenge(
  ctx: ServiceContext,
  challenge: LiveChallenge,
  factor: SecondFactor,
  writes: Statements = [],
): Promise<SignInResult> {
  const consume = [
    ...writes,
    ctx.db
      .update(loginChallenges)
      .set({ consumedAt: ctx.clock.now().getTime() })
      .where(and(eq(loginChallenges.id, challenge.id), isNull(loginChallenges.consumedAt))),
    abortUnlessOneRowChanged(ctx.db),
  ];
  let refusal: unknown = null;
  try {
    assertCanSignIn(challenge.user);
  } catch (err) {
    refusal = err;
  }
  const session = refusal ? null : await prepareSession(ctx, challenge.user, challenge.method, challenge.device);
  try {
    await runBatch(ctx.db, [
      ...consume,
      ...(session
        ? [
            auditInsert(ctx, {
              actorId: challenge.user.id,
              action: 'auth.2fa_verify',
              resourceType: 'user',
              resourceId: challenge.user.id,
              metadata: { factor },
            }),
            ...session.statements,
          ]
        : []),
    ]);
  } catch (err) {
    if (!writes.length && oneRowGuardTripped(err)) {
      throw new AppError('TOKEN_INVALID', 'This sign-in challenge was already used');
    }
    throw err;
  }
  if (!session) throw refusal;
  return { user: toUserView(challenge.user), tokens: session.tokens };
}
