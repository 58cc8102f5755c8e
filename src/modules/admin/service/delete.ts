import type { AuthedContext } from '../../../context';
import { eraseAccount } from '../../account-deletion/account-erasure';
import { lastSuperadminRefusal, mayRemoveSuperadmin } from '../admin.policy';
import { authorizedTarget, refuseWith } from './shared';

/**
 * Permanently deletes an account and its personal data (eraseAccount 'purge', which records the
 * `user.purge` audit event with the caller and the reason).
 * @throws AppError NOT_FOUND, FORBIDDEN, CONFLICT (last active superadmin)
 */
export async function applyDelete(
  ctx: AuthedContext,
  id: string,
  reason: string | null = null,
): Promise<{ id: string; filesDeleted: number }> {
  const { target, otherSuperadmins } = await authorizedTarget(ctx, id, 'delete');
  if (mayRemoveSuperadmin(target, 'delete')) {
    refuseWith(lastSuperadminRefusal(target, 'delete', otherSuperadmins));
  }
  const { filesDeleted } = await eraseAccount(ctx, id, 'purge', reason);
  return { id, filesDeleted };
}
