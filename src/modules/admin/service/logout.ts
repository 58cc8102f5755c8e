import type { AuthedContext } from '../../../context';
import { auditInsert } from '../../audit/audit.service';
import { revokeAllStatements } from '../../auth/sessions.service';
import { logoutRefusal } from '../admin.policy';
import { authorizedTarget, refuseWith } from './shared';

/**
 * Forced logout: ends every session of the account and bumps its token version, so its refresh and
 * access tokens fail at once.
 * @returns how many live sessions were ended
 * @throws AppError NOT_FOUND, FORBIDDEN, INVALID_TRANSITION (removed account)
 */
export async function applyLogout(ctx: AuthedContext, id: string): Promise<{ id: string; sessionsRevoked: number }> {
  const { target } = await authorizedTarget(ctx, id, 'logout');
  refuseWith(logoutRefusal(target));
  const [revokeSessions, bumpVersion] = revokeAllStatements(ctx, id, 'admin-logout');
  const [ended] = await ctx.db.batch([
    revokeSessions,
    bumpVersion,
    auditInsert(ctx, { action: 'admin.users.logout', resourceType: 'user', resourceId: id }),
  ]);
  return { id, sessionsRevoked: ended.meta.changes };
}
