import { type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { batchOf, runBatch, type Statements } from '../../db/batch';
import { type UserRow, users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { verifyPassword } from '../../lib/password';
import { type RateHit, type RateLimitCounters, type RateRule, rateLimitCounters } from '../../platform/rate-limit';
import { auditInsert } from '../audit/audit.service';

/** Password re-checks of a signed-in account (email change, deletion): 10 per 15 minutes. */
export const REAUTH_LIMIT: RateRule = { name: 'reauth:account', limit: 10, windowMs: 15 * 60_000 };

const invalid = (message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field: 'password', message }] });

/** SQL that holds while the account has a password, so a re-check asks for it. */
export const hasPasswordSql = (userId: string): SQL =>
  sql`exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.passwordHash} is not null)`;

/**
 * The hit a password re-check spends, for the caller's `rateLimitCounters` (placed first, so a refused
 * re-check spends no later hit): one against REAUTH_LIMIT only when a password is given to an account
 * that has one, the only case in which the check is counted; `onlyIf` (SQL) narrows it to requests
 * that reach the check at all (e.g. not refused before it).
 */
export function reauthHits(userId: string, password: string | undefined, onlyIf?: SQL): RateHit[] {
  if (!password) return [];
  const hasPassword = hasPasswordSql(userId);
  return [[REAUTH_LIMIT, userId, onlyIf ? sql`${hasPassword} and ${onlyIf}` : hasPassword]];
}

/**
 * Re-checks the password of a signed-in `user` before a sensitive change, after the caller's read
 * batch (`read`) counted `reauthHits` in `limits`; an account without a password passes. A wrong
 * password is audited as a failure of `action` in one write batch with `writes` (e.g. hits to give
 * back that only a right password may spend).
 * @throws AppError VALIDATION_FAILED (missing or wrong password, field `password`), RATE_LIMITED
 * (REAUTH_LIMIT; the caller checks its other limits itself)
 */
export async function checkPassword(
  ctx: ServiceContext,
  user: Pick<UserRow, 'id' | 'passwordHash'>,
  attempt: {
    password: string | undefined;
    action: string;
    limits: RateLimitCounters;
    read: Readonly<Record<string, unknown>>;
    writes?: Statements;
  },
): Promise<void> {
  if (!user.passwordHash) return;
  if (!attempt.password) throw invalid('Enter your current password to confirm');
  attempt.limits.check(attempt.read, [REAUTH_LIMIT]);
  if (!(await verifyPassword(attempt.password, user.passwordHash))) {
    await runBatch(ctx.db, [
      auditInsert(ctx, { action: attempt.action, resourceType: 'user', resourceId: user.id, outcome: 'failure' }),
      ...(attempt.writes ?? []),
    ]);
    throw invalid('Password is incorrect');
  }
}

/**
 * Re-authenticates a signed-in user by password before a sensitive change, counting the re-check in a
 * round trip of its own (`checkPassword` for a flow that counts it in its read batch).
 * @throws AppError VALIDATION_FAILED (missing or wrong password, field `password`), RATE_LIMITED
 */
export async function confirmPassword(
  ctx: ServiceContext,
  user: Pick<UserRow, 'id' | 'passwordHash'>,
  password: string | undefined,
  action: string,
): Promise<void> {
  if (!user.passwordHash) return;
  const limits = rateLimitCounters(ctx, reauthHits(user.id, password));
  await checkPassword(ctx, user, { password, action, limits, read: await batchOf(ctx.db, limits.statements) });
}
