import { and, eq } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { type UserRow, type UserStatus, users } from '../../../db/schema';
import { AppError } from '../../../lib/errors';
import { auditInsert } from '../../audit/audit.service';
import { revokeAllStatements } from '../../auth/sessions.service';
import { lastSuperadminRefusal, mayRemoveSuperadmin, type StatusAction, statusTransition } from '../admin.policy';
import type { AdminUserView } from '../admin.schemas';
import {
  adminViewOf,
  adminViewQuery,
  anotherActiveSuperadmin,
  authorizedTarget,
  changedMeanwhile,
  commitGuarded,
  refuseWith,
} from './shared';

export interface StatusInput {
  action: StatusAction;
  /** Required (by the schema) for block and deactivate. */
  reason?: string | null;
}

/** Reads the account and decides the transition, refusing what the rules forbid. */
async function plan(ctx: AuthedContext, id: string, action: StatusAction): Promise<[UserRow, UserStatus]> {
  const { target, otherSuperadmins } = await authorizedTarget(ctx, id, action);
  const next = statusTransition(target, action);
  if ('code' in next) throw new AppError(next.code, next.message);
  if (mayRemoveSuperadmin(target, action)) {
    refuseWith(lastSuperadminRefusal(target, action, otherSuperadmins));
  }
  return [target, next.status];
}

/**
 * Activates, deactivates, blocks or unblocks an account. Blocking and deactivating end every session
 * and bump the token version in the same batch, so the account's access tokens fail at once.
 * @throws AppError NOT_FOUND, FORBIDDEN, INVALID_TRANSITION, CONFLICT (last active superadmin; changed meanwhile)
 */
export async function applyStatus(
  ctx: AuthedContext,
  id: string,
  input: StatusInput,
  options: { bulk?: boolean } = {},
): Promise<AdminUserView> {
  const { action } = input;
  const [target, status] = await plan(ctx, id, action);
  const takesAccess = action === 'block' || action === 'deactivate';
  const reason = input.reason ?? null;
  const condition = and(
    eq(users.id, id),
    // Optimistic: only from the state the rules were checked against.
    eq(users.status, target.status),
    mayRemoveSuperadmin(target, action) ? anotherActiveSuperadmin(id) : undefined,
  );
  const results = await commitGuarded(
    ctx,
    [
      ctx.db
        .update(users)
        .set({ status, statusReason: takesAccess ? reason : null, updatedAt: ctx.clock.now().getTime() })
        .where(condition),
      auditInsert(
        ctx,
        {
          action: `admin.users.${action}`,
          resourceType: 'user',
          resourceId: id,
          reason,
          metadata: { from: target.status, to: status, ...(options.bulk ? { bulk: true } : {}) },
        },
        { guard: 'one-row-changed' },
      ),
      ...(takesAccess ? revokeAllStatements(ctx, id, `admin-${action}`) : []),
      adminViewQuery(ctx, id),
    ],
    async () => {
      await plan(ctx, id, action);
      throw changedMeanwhile();
    },
  );
  return adminViewOf(results);
}
