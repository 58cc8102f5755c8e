import type { ServiceContext } from '../../context';
import type { UserRow } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { verifyPassword } from '../../lib/password';
import { hitRateLimits, type RateRule } from '../../platform/rate-limit';
import { recordAudit } from '../audit/audit.service';

/** Password re-checks of a signed-in account (email change, deletion): 10 per 15 minutes. */
export const REAUTH_LIMIT: RateRule = { name: 'reauth:account', limit: 10, windowMs: 15 * 60_000 };

const invalid = (message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field: 'password', message }] });

/**
 * Re-authenticates a signed-in user by password before a sensitive change. A wrong password is
 * audited as a failure of `action`.
 * @throws AppError VALIDATION_FAILED (missing or wrong password, field `password`), RATE_LIMITED
 */
export async function confirmPassword(
  ctx: ServiceContext,
  user: Pick<UserRow, 'id' | 'passwordHash'>,
  password: string | undefined,
  action: string,
): Promise<void> {
  if (!user.passwordHash) return;
  if (!password) throw invalid('Enter your current password to confirm');
  await hitRateLimits(ctx, [[REAUTH_LIMIT, user.id]]);
  if (!(await verifyPassword(password, user.passwordHash))) {
    await recordAudit(ctx, { action, resourceType: 'user', resourceId: user.id, outcome: 'failure' });
    throw invalid('Password is incorrect');
  }
}
