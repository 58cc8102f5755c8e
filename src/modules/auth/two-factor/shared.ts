import { and, eq, isNull, type SQL, sql } from 'drizzle-orm';
import { checkCode, newestCodeQuery } from '../../../access/one-time-codes';
import type { ServiceContext } from '../../../context';
import { runBatch, type Statements } from '../../../db/batch';
import { abortUnlessOneRowChanged } from '../../../db/row-guard';
import { recoveryCodes, type UserRow, userMfa, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import type { AddressRule, RateRule } from '../../../platform/rate-limit';
import { auditInsert } from '../../audit/audit.service';
import { type EnableableFactor, type FactorState, factorStateQueries } from '../sign-in.service';
import type { FreshFactor } from '../two-factor.schemas';
import { freshRecoveryCodes, recoveryHash } from './recovery-codes';
import { totpAcceptance } from './totp';

/**
 * What the two-factor verbs share: limits, the caller's account and factor state for a read batch,
 * fresh-factor proofs and finishing an enable as statements for a write batch.
 */

const MINUTE = 60_000;

/**
 * Limits on guessing second factors. Each challenge already dies after 5 wrong answers; these also cap
 * guesses spread over many challenges (per account) and over many accounts (per address: wrong answers
 * only, under a high ceiling on all, so people answering right from one shared address are never refused).
 */
export const TWO_FACTOR_LIMITS = {
  verifyIp: {
    failures: { name: '2fa-verify-failures:ip', limit: 30, windowMs: 15 * MINUTE },
    ceiling: { name: '2fa-verify:ip', limit: 600, windowMs: 15 * MINUTE },
  },
  verifyAccount: { name: '2fa-verify:account', limit: 10, windowMs: 15 * MINUTE },
  /** Fresh-factor proofs of signed-in users (disable, regenerate recovery codes). */
  factorAccount: { name: '2fa-factor:account', limit: 10, windowMs: 15 * MINUTE },
} satisfies Record<string, RateRule | AddressRule>;

/**
 * The account and its factor state, for the read batch of a signed-in 2FA change (`account`, `mfa`,
 * `recovery`); `accountOf` and `toFactorState` read the answers.
 */
export function accountQueries(ctx: ServiceContext, userId: string) {
  return { account: ctx.db.select().from(users).where(eq(users.id, userId)), ...factorStateQueries(ctx, userId) };
}

/**
 * The account `accountQueries` read.
 * @throws AppError TOKEN_REVOKED when it no longer exists
 */
export function accountOf(rows: UserRow[]): UserRow {
  const row = rows[0];
  if (!row) throw new AppError('TOKEN_REVOKED', 'This account no longer exists');
  return row;
}

/** The status answer of a factor state (GET /2fa, and what turning a factor off leaves). */
export function statusOf(state: FactorState) {
  return {
    methods: state.on,
    recoveryCodesRemaining: state.on.length ? state.recoveryRemaining : 0,
    totpPending: Boolean(state.mfa?.totpSecretEncrypted && !state.mfa.totpEnabledAt),
  };
}

/**
 * Audits a refused factor (outcome `failure` on the user) in one batch after `writes` (a code's miss)
 * and throws `refusal`, or lets it read the batch's answers and throw.
 */
export async function refuseFactor(
  ctx: ServiceContext,
  audit: { action: string; userId: string; factor: string },
  refusal: AppError | ((results: readonly unknown[]) => never),
  writes: Statements = [],
): Promise<never> {
  const results = await runBatch(ctx.db, [
    ...writes,
    auditInsert(ctx, {
      action: audit.action,
      resourceType: 'user',
      resourceId: audit.userId,
      outcome: 'failure',
      metadata: { factor: audit.factor },
    }),
  ]);
  if (refusal instanceof AppError) throw refusal;
  return refusal(results);
}

/**
 * The reads behind proving a fresh factor, for the caller's read batch (`newest` for an emailed code,
 * `unused` recovery codes); `proveFreshFactor` checks against their answers. A TOTP code needs only the
 * factor state.
 */
export function freshFactorReads(ctx: ServiceContext, userId: string, factor: FreshFactor) {
  return {
    newest: factor.type === 'email' ? newestCodeQuery(ctx, 'email-2fa-setup', userId) : undefined,
    unused:
      factor.type === 'recovery'
        ? ctx.db
            .select({ codeHash: recoveryCodes.codeHash })
            .from(recoveryCodes)
            .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
        : undefined,
  };
}

type FreshFactorRead = {
  newest?: Parameters<typeof checkCode>[2][];
  unused?: { codeHash: string }[];
};

/**
 * Proves a second factor again before a change that weakens the account, from what `freshFactorReads`
 * read; returns the statements that use the factor up (a TOTP step, a recovery code, the emailed code),
 * guarded (`abortUnlessOneRowChanged`), for the change's write batch. A refusal is audited.
 * @throws AppError VALIDATION_FAILED (that factor is not on), OTP_INVALID / OTP_EXPIRED / OTP_MAX_ATTEMPTS
 */
export async function proveFreshFactor(
  ctx: ServiceContext,
  user: UserRow,
  state: FactorState,
  factor: FreshFactor,
  action: string,
  read: FreshFactorRead,
): Promise<Statements> {
  const usable =
    factor.type === 'recovery' ? state.recoveryRemaining > 0 && state.on.length > 0 : state.on.includes(factor.type);
  if (!usable) {
    throw new AppError('VALIDATION_FAILED', 'Validation failed', {
      fields: [{ field: 'factor.type', message: 'This factor is not on for your account' }],
    });
  }
  const audit = { action, userId: user.id, factor: factor.type };
  const invalid = new AppError('OTP_INVALID', 'The code is not valid');
  if (factor.type === 'email') {
    const check = await checkCode(
      ctx,
      { purpose: 'email-2fa-setup', target: user.id, code: factor.code },
      read.newest?.[0],
    );
    if (!check.ok) return refuseFactor(ctx, audit, check.fail, check.statements);
    return check.statements;
  }
  if (factor.type === 'totp') {
    const accepted = await totpAcceptance(ctx, state.mfa, factor.code, 'enabled');
    if (!accepted) return refuseFactor(ctx, audit, invalid);
    return [accepted.swap, abortUnlessOneRowChanged(ctx.db)];
  }
  const hash = await recoveryHash(ctx, user.id, factor.code);
  if (!read.unused?.some((row) => row.codeHash === hash)) return refuseFactor(ctx, audit, invalid);
  return [
    ctx.db
      .update(recoveryCodes)
      .set({ usedAt: ctx.clock.now().getTime() })
      .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, hash), isNull(recoveryCodes.usedAt))),
    abortUnlessOneRowChanged(ctx.db),
  ];
}

/**
 * SQL true while any of `factors` is on for the user, so a fresh-factor limit counted in the read batch
 * counts only when there is something to turn off or regenerate, as when it was counted after that check.
 */
export function factorsOnSql(userId: string, factors: readonly EnableableFactor[]): SQL {
  const column = { totp: userMfa.totpEnabledAt, email: userMfa.emailOtpEnabledAt, passkey: userMfa.passkeyEnabledAt };
  const on = sql.join(
    factors.map((factor) => sql`${column[factor]} is not null`),
    sql` or `,
  );
  return sql`exists (select 1 from ${userMfa} where ${userMfa.userId} = ${userId} and (${on}))`;
}

/**
 * The account's verified email address, where email codes go.
 * @throws AppError CONFLICT when the account has no verified email
 */
export function verifiedEmailOf(user: UserRow): string {
  if (!user.email || !user.emailVerifiedAt) {
    throw new AppError('CONFLICT', 'Verify an email address on the account before using email codes');
  }
  return user.email;
}

/**
 * The statements that finish turning a factor on (TOTP, email or passkey), for the write batch that
 * turns it on: its audit row and, when the account has no unused recovery codes (`recoveryRemaining`,
 * read in the read batch), a fresh set, answered once as `recoveryCodes`.
 */
export async function finishEnable(
  ctx: ServiceContext,
  userId: string,
  factor: EnableableFactor,
  recoveryRemaining: number,
): Promise<{ statements: Statements; answer: { recoveryCodes?: string[] } }> {
  const fresh = recoveryRemaining ? null : await freshRecoveryCodes(ctx, userId);
  return {
    statements: [
      auditInsert(ctx, {
        action: 'auth.2fa_enable',
        resourceType: 'user',
        resourceId: userId,
        metadata: { factor, recoveryCodesIssued: Boolean(fresh) },
      }),
      ...(fresh?.statements ?? []),
    ],
    answer: fresh ? { recoveryCodes: fresh.codes } : {},
  };
}
