import { and, count, eq, isNotNull, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import { abortUnlessOneRowChanged, decideAgainOnLostRace } from '../../db/row-guard';
import { passkeys, sessions, type UserRow, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { type RateHit, rateLimitCounters } from '../../platform/rate-limit';
import { auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { checkPassword, hasPasswordSql, reauthHits } from '../users/reauth.service';
import { toUserView } from '../users/users.service';
import { type DeviceInfo, prepareSession, revokeAllStatements } from './sessions.service';
import { type SignInResult, toFactorState } from './sign-in.service';
import { type PasswordlessMethod, passwordlessMethods, type SignInFacts } from './sign-in-methods.policy';
import {
  accountOf,
  accountQueries,
  factorsOnSql,
  freshFactorReads,
  proveFreshFactor,
  TWO_FACTOR_LIMITS,
} from './two-factor/shared';
import type { FreshFactor } from './two-factor.schemas';

const ACTION = 'auth.password_remove';

/** The refusal of a change that would leave the account no way to sign in. */
export const lastSignInMethod = (message: string) =>
  new AppError('CONFLICT', message, { details: { reason: 'last-sign-in-method' } });

/** How many passkeys the user has registered, for a read batch (`[{ n }]`). */
export const passkeyCountQuery = (ctx: ServiceContext, userId: string) =>
  ctx.db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId));

/**
 * The passwordless methods that can sign `account` in with the sign-in flags as they are (read from
 * the settings, which the caller's read batch primed: `settingsQuery`).
 */
export async function passwordlessMethodsOf(ctx: ServiceContext, account: SignInFacts): Promise<PasswordlessMethod[]> {
  const [smsSignIn, googleSignIn, facebookSignIn, passkeysOn] = await Promise.all([
    getSetting(ctx, 'features.smsSignIn'),
    getSetting(ctx, 'features.googleSignIn'),
    getSetting(ctx, 'features.facebookSignIn'),
    getSetting(ctx, 'features.passkeys'),
  ]);
  return passwordlessMethods(account, { smsSignIn, googleSignIn, facebookSignIn, passkeys: passkeysOn });
}

/** A fresh proof that the caller is the account's owner: its current password, or a fresh second factor. */
export type RemovalProof = { password: string; factor?: undefined } | { factor: FreshFactor; password?: undefined };

/**
 * Removes the caller's password ("Delete password"), once the caller proved it again (the current
 * password, or a fresh second factor as `POST /2fa/disable` takes it) and only while another way to
 * sign in remains (`passwordlessMethods`). Like a password change, every other session and access
 * token ends and this device gets a fresh pair. One read batch (the account, its factors and
 * passkeys, what the proof is checked against, this session's method, the settings with the flags
 * and token lifetimes, the proof's limit), one write batch (the proof used up, the password gone,
 * every session ended, the audit row, the new session). A change that lost a race (the token version
 * bumped, the TOTP step or recovery code used meanwhile) is decided again on fresh reads.
 * @throws AppError CONFLICT (`details.reason` `no-password`, `last-sign-in-method`; or the account
 *   changed twice meanwhile), VALIDATION_FAILED (wrong password, field `password`; a factor that is not
 *   on, field `factor.type`), OTP_INVALID / OTP_EXPIRED / OTP_MAX_ATTEMPTS, RATE_LIMITED
 */
export async function removePassword(
  ctx: AuthedContext,
  proof: RemovalProof,
  device: DeviceInfo,
): Promise<SignInResult> {
  const id = ctx.actor.id;
  // Counted only where the proof is checked: an account with a password (and, for a factor, 2FA on).
  const hits: RateHit[] = proof.factor
    ? [
        [
          TWO_FACTOR_LIMITS.factorAccount,
          id,
          sql`${hasPasswordSql(id)} and ${factorsOnSql(id, ['totp', 'email', 'passkey'])}`,
        ],
      ]
    : reauthHits(id, proof.password);
  const limits = rateLimitCounters(ctx, hits);
  const sessionId = ctx.actor.sessionId;
  return decideAgainOnLostRace(
    async (first) => {
      const read = await batchOf(ctx.db, {
        ...accountQueries(ctx, id),
        ...(proof.factor ? freshFactorReads(ctx, id, proof.factor) : {}),
        passkeys: passkeyCountQuery(ctx, id),
        session: sessionId
          ? ctx.db.select({ method: sessions.method }).from(sessions).where(eq(sessions.id, sessionId))
          : undefined,
        // The sign-in flags, and the new session's token lifetimes.
        settings: settingsQuery(ctx),
        ...(first ? limits.statements : {}),
      });
      primeSettings(ctx, read.settings);
      const user = accountOf(read.account);
      if (!user.passwordHash) {
        throw new AppError('CONFLICT', 'This account has no password to remove', {
          details: { reason: 'no-password' },
        });
      }
      // The proof first, writing nothing when it holds: only its owner learns whether removing the
      // password would lock the account out.
      let used: Statements = [];
      if (proof.factor) {
        limits.check(read);
        const state = toFactorState(read.mfa, read.recovery);
        used = await proveFreshFactor(ctx, user, state, proof.factor, ACTION, read);
      } else {
        await checkPassword(ctx, user, { password: proof.password, action: ACTION, limits, read });
      }
      const remaining = await passwordlessMethodsOf(ctx, { ...user, passkeys: read.passkeys[0]?.n ?? 0 });
      if (!remaining.length) {
        throw lastSignInMethod(
          'Removing the password would leave no way to sign in: verify your email, or add a passkey or another sign-in method first',
        );
      }
      return commitRemoval(ctx, user, {
        used,
        remaining,
        proof: proof.factor?.type ?? 'password',
        method: read.session?.[0]?.method ?? 'password',
        device,
      });
    },
    () => {
      throw new AppError('CONFLICT', 'The account changed meanwhile; try again');
    },
  );
}

/**
 * The write batch of a removal: the proof used up, the password gone (only from the row as read, so a
 * concurrent change aborts it), every session and older token ended, the audit row, and this device's
 * new session, whose access token carries the token version the batch leaves.
 */
async function commitRemoval(
  ctx: AuthedContext,
  user: UserRow,
  removal: {
    used: Statements;
    remaining: PasswordlessMethod[];
    proof: string;
    method: Parameters<typeof prepareSession>[2];
    device: DeviceInfo;
  },
): Promise<SignInResult> {
  const now = ctx.clock.now().getTime();
  const fresh: UserRow = { ...user, passwordHash: null, tokenVersion: user.tokenVersion + 1, updatedAt: now };
  const session = await prepareSession(ctx, fresh, removal.method, removal.device);
  await runBatch(ctx.db, [
    ...removal.used,
    ctx.db
      .update(users)
      .set({ passwordHash: null, updatedAt: now })
      .where(and(eq(users.id, user.id), eq(users.tokenVersion, user.tokenVersion), isNotNull(users.passwordHash))),
    abortUnlessOneRowChanged(ctx.db),
    ...revokeAllStatements(ctx, user.id, 'password-remove'),
    auditInsert(ctx, {
      action: ACTION,
      resourceType: 'user',
      resourceId: user.id,
      metadata: { proof: removal.proof, signInMethods: removal.remaining },
    }),
    ...session.statements,
  ]);
  return { user: toUserView(fresh), tokens: session.tokens };
}
