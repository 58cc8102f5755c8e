import type { AuthedContext } from '../../../context';
import { AppError } from '../../../lib/errors';
import { auditInsert } from '../../audit/audit.service';
import { factorState } from '../sign-in.service';
import type { FreshFactor } from '../two-factor.schemas';
import { freshRecoveryCodes } from './recovery-codes';
import { currentUser, proveFreshFactor } from './shared';

/**
 * Replaces the recovery codes with a new set of ten (returned once), after a fresh second factor.
 * @throws AppError CONFLICT (2FA is off), VALIDATION_FAILED, OTP_INVALID, RATE_LIMITED
 */
export async function regenerateRecoveryCodes(ctx: AuthedContext, factor: FreshFactor) {
  const user = await currentUser(ctx);
  const state = await factorState(ctx, user.id);
  if (!state.on.length) throw new AppError('CONFLICT', 'Turn on two-factor authentication first');
  await proveFreshFactor(ctx, user, state, factor, 'auth.2fa_recovery_codes');
  const fresh = await freshRecoveryCodes(ctx, user.id);
  await ctx.db.batch([
    auditInsert(ctx, {
      action: 'auth.2fa_recovery_codes',
      resourceType: 'user',
      resourceId: user.id,
      metadata: { factor: factor.type, count: fresh.codes.length },
    }),
    ...fresh.statements,
  ]);
  return { recoveryCodes: fresh.codes };
}
