import { eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { batchOf, runBatch } from '../../../db/batch';
import { decideAgainOnLostRace } from '../../../db/row-guard';
import { recoveryCodes, userMfa } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { rateLimitCounters } from '../../../platform/rate-limit';
import { auditInsert } from '../../audit/audit.service';
import { type EnableableFactor, factorStateQueries, toFactorState } from '../sign-in.service';
import type { FreshFactor } from '../two-factor.schemas';
import {
  accountOf,
  accountQueries,
  factorsOnSql,
  freshFactorReads,
  proveFreshFactor,
  statusOf,
  TWO_FACTOR_LIMITS,
} from './shared';

/**
 * Turns one factor (or all) off after a fresh second factor. Turning off the last factor also deletes
 * the recovery codes. Passkeys stay registered for passwordless sign-in; they just stop being a
 * second factor. One read batch (the account, its factors, what the fresh factor is checked against,
 * the limit's counter, counted only while there is something to turn off), one write batch that also
 * reads the status it answers; a factor used meanwhile by a concurrent request is decided again.
 * @throws AppError CONFLICT (that factor is not on), VALIDATION_FAILED, OTP_INVALID, RATE_LIMITED
 */
export async function disableTwoFactor(
  ctx: AuthedContext,
  input: { method: EnableableFactor | 'all'; factor: FreshFactor },
) {
  const id = ctx.actor.id;
  const methods: EnableableFactor[] = input.method === 'all' ? ['totp', 'email', 'passkey'] : [input.method];
  const limits = rateLimitCounters(ctx, [[TWO_FACTOR_LIMITS.factorAccount, id, factorsOnSql(id, methods)]]);
  return decideAgainOnLostRace(
    async (first) => {
      const read = await batchOf(ctx.db, {
        ...accountQueries(ctx, id),
        ...freshFactorReads(ctx, id, input.factor),
        ...(first ? limits.statements : {}),
      });
      const user = accountOf(read.account);
      const state = toFactorState(read.mfa, read.recovery);
      const off = state.on.filter((m) => methods.includes(m));
      if (!off.length) {
        throw new AppError(
          'CONFLICT',
          input.method === 'all' ? 'Two-factor authentication is not on' : `Two-factor by ${input.method} is not on`,
        );
      }
      limits.check(read);
      const proof = await proveFreshFactor(ctx, user, state, input.factor, 'auth.2fa_disable', read);
      const remaining = state.on.filter((m) => !off.includes(m));
      const now = ctx.clock.now().getTime();
      const clearTotp = off.includes('totp') || !remaining.length;
      const after = factorStateQueries(ctx, user.id);
      const written = await runBatch(ctx.db, [
        ...proof,
        ctx.db
          .update(userMfa)
          .set({
            ...(clearTotp ? { totpSecretEncrypted: null, totpEnabledAt: null } : {}),
            ...(off.includes('email') ? { emailOtpEnabledAt: null } : {}),
            ...(off.includes('passkey') ? { passkeyEnabledAt: null } : {}),
            updatedAt: now,
          })
          .where(eq(userMfa.userId, user.id)),
        auditInsert(ctx, {
          action: 'auth.2fa_disable',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { methods: off, factor: input.factor.type, recoveryCodesDeleted: !remaining.length },
        }),
        ...(remaining.length ? [] : [ctx.db.delete(recoveryCodes).where(eq(recoveryCodes.userId, user.id))]),
        // The status as the batch leaves it, read in the same transaction.
        after.mfa,
        after.recovery,
      ]);
      const [mfa, left] = written.slice(-2) as [Parameters<typeof toFactorState>[0], { n: number }[]];
      return statusOf(toFactorState(mfa, left));
    },
    () => {
      throw new AppError('OTP_INVALID', 'The code is not valid');
    },
  );
}
