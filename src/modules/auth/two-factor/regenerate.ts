import type { AuthedContext } from '../../../context';
import { batchOf, runBatch } from '../../../db/batch';
import { decideAgainOnLostRace } from '../../../db/row-guard';
import { AppError } from '../../../lib/errors';
import { rateLimitCounters } from '../../../platform/rate-limit';
import { auditInsert } from '../../audit/audit.service';
import { toFactorState } from '../sign-in.service';
import type { FreshFactor } from '../two-factor.schemas';
import { freshRecoveryCodes } from './recovery-codes';
import {
  accountOf,
  accountQueries,
  factorsOnSql,
  freshFactorReads,
  proveFreshFactor,
  TWO_FACTOR_LIMITS,
} from './shared';

/**
 * Replaces the recovery codes with a new set of ten (returned once), after a fresh second factor. One
 * read batch (the account, its factors, what the fresh factor is checked against, the limit's counter,
 * counted only while 2FA is on), one write batch (the factor used up, the audit row, the new codes); a
 * factor used meanwhile by a concurrent request is decided again on fresh reads.
 * @throws AppError CONFLICT (2FA is off), VALIDATION_FAILED, OTP_INVALID, RATE_LIMITED
 */
export async function regenerateRecoveryCodes(ctx: AuthedContext, factor: FreshFactor) {
  const id = ctx.actor.id;
  const limits = rateLimitCounters(ctx, [
    [TWO_FACTOR_LIMITS.factorAccount, id, factorsOnSql(id, ['totp', 'email', 'passkey'])],
  ]);
  return decideAgainOnLostRace(
    async (first) => {
      const read = await batchOf(ctx.db, {
        ...accountQueries(ctx, id),
        ...freshFactorReads(ctx, id, factor),
        ...(first ? limits.statements : {}),
      });
      const user = accountOf(read.account);
      const state = toFactorState(read.mfa, read.recovery);
      if (!state.on.length) throw new AppError('CONFLICT', 'Turn on two-factor authentication first');
      limits.check(read);
      const proof = await proveFreshFactor(ctx, user, state, factor, 'auth.2fa_recovery_codes', read);
      const fresh = await freshRecoveryCodes(ctx, user.id);
      await runBatch(ctx.db, [
        ...proof,
        auditInsert(ctx, {
          action: 'auth.2fa_recovery_codes',
          resourceType: 'user',
          resourceId: user.id,
          metadata: { factor: factor.type, count: fresh.codes.length },
        }),
        ...fresh.statements,
      ]);
      return { recoveryCodes: fresh.codes };
    },
    () => {
      throw new AppError('OTP_INVALID', 'The code is not valid');
    },
  );
}
