import { and, eq, ne, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../../context';
import { type AdminSubRole, type UserRow, users } from '../../../db/schema';
import { auditInsert } from '../../audit/audit.service';
import { subRolesRefusal } from '../admin.policy';
import type { AdminUserView } from '../admin.schemas';
import { adminViewOf, adminViewQuery, authorizedTarget, changedMeanwhile, commitGuarded, refuseWith } from './shared';

async function plan(ctx: AuthedContext, id: string): Promise<UserRow> {
  const { target } = await authorizedTarget(ctx, id, 'subRoles');
  refuseWith(subRolesRefusal(target));
  return target;
}

/**
 * Replaces an admin's sub-roles and bumps their token version, so access tokens carrying the old role
 * data fail at once (sessions survive: a refresh issues a token for the new role data).
 * @throws AppError NOT_FOUND, FORBIDDEN (only superadmins manage admins), INVALID_TRANSITION (not an admin)
 */
export async function applySubRoles(ctx: AuthedContext, id: string, subRoles: AdminSubRole[]): Promise<AdminUserView> {
  const target = await plan(ctx, id);
  const results = await commitGuarded(
    ctx,
    [
      ctx.db
        .update(users)
        .set({ subRoles, tokenVersion: sql`${users.tokenVersion} + 1`, updatedAt: ctx.clock.now().getTime() })
        .where(and(eq(users.id, id), eq(users.role, 'admin'), ne(users.status, 'removed'))),
      auditInsert(
        ctx,
        {
          action: 'admin.users.sub_roles',
          resourceType: 'user',
          resourceId: id,
          metadata: { from: target.subRoles, to: subRoles },
        },
        { guard: 'one-row-changed' },
      ),
      adminViewQuery(ctx, id),
    ],
    async () => {
      await plan(ctx, id);
      throw changedMeanwhile();
    },
  );
  return adminViewOf(results);
}
