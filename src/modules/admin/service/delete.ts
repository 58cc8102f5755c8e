import type { AuthedContext } from '../../../context';
import { commitAccountErasure, stageAccountErasure } from '../../account-deletion/account-erasure';
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
  // The target's check and the erasure's own reads go out together (one round trip); the erasure's
  // reads are dropped unread when the caller may not delete the account.
  const [{ target, otherSuperadmins }, erasure] = await Promise.all([
    authorizedTarget(ctx, id, 'delete'),
    stageAccountErasure(ctx, id, 'purge'),
  ]);
  if (mayRemoveSuperadmin(target, 'delete')) {
    refuseWith(lastSuperadminRefusal(target, 'delete', otherSuperadmins));
  }
  const { filesDeleted } = await commitAccountErasure(ctx, erasure, reason);
  return { id, filesDeleted };
}
