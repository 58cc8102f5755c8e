import { and, desc, eq, exists, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type AdminSubRole, type Role, sessions, type UserRow, type UserStatus, users } from '../../db/schema';
import { escapeLike } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { auditInsert, recordAudit } from '../audit/audit.service';
import { toUserView } from '../users/users.service';
import type { AdminAccountView } from './superadmin.schemas';

/** Roles these routes manage. */
const ADMIN_ROLES = ['admin', 'superadmin'] as const satisfies readonly Role[];
/** Roles a superadmin may turn into an admin. */
const GRANTABLE_ROLES: readonly Role[] = ['user', 'doctor', 'caregiver', 'receptionist'];
/** Statuses an account may have when it is made an admin (blocked and deactivated accounts are not revived this way). */
const GRANTABLE_STATUSES: readonly UserStatus[] = ['active', 'pending'];
/** Statuses an admin may be blocked from (a pending admin is rejected instead). */
const BLOCKABLE_STATUSES: readonly UserStatus[] = ['active', 'inactive'];

export function toAdminView(row: UserRow): AdminAccountView {
  return { ...toUserView(row), statusReason: row.statusReason };
}

type AccountState = Pick<UserRow, 'role' | 'status'>;

const isActiveSuperadmin = (state: AccountState) => state.role === 'superadmin' && state.status === 'active';

/**
 * Whether moving `target` to `next` would leave the platform without an active superadmin, given how
 * many there are now. Pure: the service pairs it with a count query, and the write repeats the check
 * in SQL so two concurrent requests cannot both pass it.
 */
export function removesLastSuperadmin(target: AccountState, next: AccountState, activeSuperadmins: number): boolean {
  return isActiveSuperadmin(target) && !isActiveSuperadmin(next) && activeSuperadmins <= 1;
}

export function countActiveSuperadmins(ctx: ServiceContext): Promise<number> {
  return ctx.db.$count(users, and(eq(users.role, 'superadmin'), eq(users.status, 'active')));
}

/** The same count inside a statement, evaluated by D1 when the statement runs. */
const OTHER_ACTIVE_SUPERADMIN_REMAINS = sql`(select count(*) from ${users} as su where su.role = 'superadmin' and su.status = 'active') > 1`;

const LAST_SUPERADMIN = 'The last active superadmin cannot be blocked, demoted or removed';

export interface ListAdminsQuery {
  page: number;
  limit: number;
  status?: UserStatus;
  role?: (typeof ADMIN_ROLES)[number];
  search?: string;
}

/** Admins and superadmins, newest first, filtered by status, role and a name/email fragment. */
export async function listAdmins(ctx: ServiceContext, query: ListAdminsQuery) {
  const filters: SQL[] = [query.role ? eq(users.role, query.role) : inArray(users.role, ADMIN_ROLES)];
  if (query.status) filters.push(eq(users.status, query.status));
  if (query.search) {
    const pattern = `%${escapeLike(query.search)}%`;
    filters.push(sql`(${users.name} like ${pattern} escape '\\' or ${users.email} like ${pattern} escape '\\')`);
  }
  return paginate(ctx.db, users, {
    where: and(...filters),
    orderBy: [desc(users.createdAt), desc(users.id)],
    page: query.page,
    limit: query.limit,
    map: toAdminView,
  });
}

async function userById(ctx: ServiceContext, id: string): Promise<UserRow> {
  const row = await ctx.db.select().from(users).where(eq(users.id, id)).get();
  if (!row) throw notFound('User');
  return row;
}

/** An admin or superadmin; any other account is NOT_FOUND here. */
async function adminById(ctx: ServiceContext, id: string): Promise<UserRow> {
  const row = await ctx.db
    .select()
    .from(users)
    .where(and(eq(users.id, id), inArray(users.role, ADMIN_ROLES)))
    .get();
  if (!row) throw notFound('Admin');
  return row;
}

type AdminAction = 'approve' | 'reject' | 'block' | 'unblock' | 'grant' | 'revoke';

const auditAction = (action: AdminAction) => `superadmin.admins.${action}`;

/** Records a refused action, then throws the refusal. */
async function refuse(ctx: ServiceContext, action: AdminAction, target: UserRow, error: AppError): Promise<never> {
  await recordAudit(ctx, {
    action: auditAction(action),
    resourceType: 'user',
    resourceId: target.id,
    outcome: 'failure',
    metadata: { code: error.code, role: target.role, status: target.status },
  });
  throw error;
}

async function refuseSelf(ctx: ServiceContext, action: AdminAction, target: UserRow): Promise<void> {
  if (target.id === ctx.actor?.id) {
    await refuse(ctx, action, target, new AppError('FORBIDDEN', `You cannot ${action} your own account`));
  }
}

interface Transition {
  action: AdminAction;
  target: UserRow;
  set: Partial<Pick<UserRow, 'role' | 'subRoles' | 'status' | 'statusReason'>>;
  /** Bump the token version: every access token issued before fails with TOKEN_REVOKED. */
  revokeTokens: boolean;
  /** Also end every session, so refresh tokens stop working too. */
  endSessions: boolean;
  reason?: string;
}

/**
 * Applies one state change to an account in a single D1 batch. Every statement carries the same
 * precondition (the role and status the decision was made on, plus "another active superadmin
 * remains" when the change removes one), evaluated before the account row changes: the audit row, the
 * session revocations and the update all happen, or none does. D1 runs batches one at a time, so of
 * two concurrent requests demoting the last two superadmins the second finds the count at 1.
 * @throws AppError CONFLICT (last active superadmin), INVALID_TRANSITION (the account changed meanwhile)
 */
async function applyTransition(ctx: ServiceContext, t: Transition): Promise<UserRow> {
  const { target } = t;
  const next: AccountState = { role: t.set.role ?? target.role, status: t.set.status ?? target.status };
  const removesSuperadmin = isActiveSuperadmin(target) && !isActiveSuperadmin(next);
  if (removesSuperadmin && removesLastSuperadmin(target, next, await countActiveSuperadmins(ctx))) {
    await refuse(ctx, t.action, target, new AppError('CONFLICT', LAST_SUPERADMIN));
  }

  const unchanged = and(
    eq(users.id, target.id),
    eq(users.role, target.role),
    eq(users.status, target.status),
    removesSuperadmin ? OTHER_ACTIVE_SUPERADMIN_REMAINS : undefined,
  )!;
  const now = ctx.clock.now().getTime();
  // Written only while the precondition holds, so it commits exactly when the state change does.
  const audit = auditInsert(
    ctx,
    {
      action: auditAction(t.action),
      resourceType: 'user',
      resourceId: target.id,
      reason: t.reason || null,
      metadata: {
        fromRole: target.role,
        toRole: next.role,
        fromStatus: target.status,
        toStatus: next.status,
        ...(t.set.subRoles ? { subRoles: t.set.subRoles } : {}),
        revokedTokens: t.revokeTokens,
      },
    },
    { guard: { from: users, where: unchanged } },
  );
  const endSessions = t.endSessions
    ? [
        ctx.db
          .update(sessions)
          .set({ revokedAt: now, revokedReason: auditAction(t.action) })
          .where(
            and(
              eq(sessions.userId, target.id),
              isNull(sessions.revokedAt),
              exists(ctx.db.select({ one: sql`1` }).from(users).where(unchanged)),
            ),
          ),
      ]
    : [];
  const update = ctx.db
    .update(users)
    .set({
      ...t.set,
      updatedAt: now,
      ...(t.revokeTokens ? { tokenVersion: sql`${users.tokenVersion} + 1` } : {}),
    })
    .where(unchanged)
    .returning();
  // The account row changes last, so the statements before it see the precondition as it was.
  const results = await ctx.db.batch([audit, ...endSessions, update]);
  const updated = (results[results.length - 1] as UserRow[])[0];
  if (updated) return updated;

  const current = await ctx.db.select().from(users).where(eq(users.id, target.id)).get();
  const sameState = current?.role === target.role && current.status === target.status;
  return refuse(
    ctx,
    t.action,
    target,
    sameState && removesSuperadmin
      ? new AppError('CONFLICT', LAST_SUPERADMIN)
      : new AppError('INVALID_TRANSITION', 'The account changed while this request ran; reload it and try again'),
  );
}

function invalidTransition(ctx: ServiceContext, action: AdminAction, target: UserRow, message: string) {
  return refuse(ctx, action, target, new AppError('INVALID_TRANSITION', message));
}

/**
 * Tells a newly approved admin they can sign in, after the response (off the critical path). Best
 * effort: the approval stands if mail fails (logged).
 */
function sendApprovalEmail(ctx: ServiceContext, admin: UserRow): void {
  if (!admin.email) return;
  const app = ctx.env.APP_NAME ?? 'Kinwell';
  const text = `Your ${app} admin account has been approved. You can now sign in to the admin console.`;
  ctx.defer(
    ctx.ports.mailer
      .send({
        to: admin.email,
        subject: `${app}: your admin account is approved`,
        text,
        html: `<!doctype html><html><body style="font-family:system-ui,sans-serif"><p>${text}</p></body></html>`,
      })
      .catch((err) => {
        ctx.log.log('warn', 'admin_approval_email_failed', {
          userId: admin.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }),
  );
}

/**
 * A pending admin becomes active and is emailed.
 * @throws AppError NOT_FOUND (not an admin), INVALID_TRANSITION (not pending)
 */
export async function approveAdmin(ctx: ServiceContext, id: string): Promise<AdminAccountView> {
  const target = await adminById(ctx, id);
  if (target.status !== 'pending') {
    await invalidTransition(
      ctx,
      'approve',
      target,
      `Only a pending admin can be approved; this one is ${target.status}`,
    );
  }
  const updated = await applyTransition(ctx, {
    action: 'approve',
    target,
    set: { status: 'active', statusReason: null },
    revokeTokens: false,
    endSessions: false,
  });
  sendApprovalEmail(ctx, updated);
  return toAdminView(updated);
}

/**
 * A pending admin is turned down: the account becomes `removed` with the reason, and signed out.
 * @throws AppError NOT_FOUND, FORBIDDEN (self), INVALID_TRANSITION (not pending)
 */
export async function rejectAdmin(ctx: ServiceContext, id: string, reason: string): Promise<AdminAccountView> {
  const target = await adminById(ctx, id);
  await refuseSelf(ctx, 'reject', target);
  if (target.status !== 'pending') {
    await invalidTransition(
      ctx,
      'reject',
      target,
      `Only a pending admin can be rejected; this one is ${target.status}`,
    );
  }
  const updated = await applyTransition(ctx, {
    action: 'reject',
    target,
    set: { status: 'removed', statusReason: reason },
    revokeTokens: true,
    endSessions: true,
    reason,
  });
  return toAdminView(updated);
}

/**
 * Blocks an admin (or a superadmin other than the last active one); their tokens stop working at once.
 * @throws AppError NOT_FOUND, FORBIDDEN (self), CONFLICT (last active superadmin), INVALID_TRANSITION
 */
export async function blockAdmin(ctx: ServiceContext, id: string, reason: string): Promise<AdminAccountView> {
  const target = await adminById(ctx, id);
  await refuseSelf(ctx, 'block', target);
  if (!BLOCKABLE_STATUSES.includes(target.status)) {
    await invalidTransition(
      ctx,
      'block',
      target,
      target.status === 'pending'
        ? 'A pending admin is rejected, not blocked'
        : `An admin who is ${target.status} cannot be blocked`,
    );
  }
  const updated = await applyTransition(ctx, {
    action: 'block',
    target,
    set: { status: 'blocked', statusReason: reason },
    revokeTokens: true,
    endSessions: true,
    reason,
  });
  return toAdminView(updated);
}

/**
 * A blocked admin becomes active again (and signs in anew: their old tokens stay revoked).
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (not blocked)
 */
export async function unblockAdmin(ctx: ServiceContext, id: string): Promise<AdminAccountView> {
  const target = await adminById(ctx, id);
  if (target.status !== 'blocked') {
    await invalidTransition(
      ctx,
      'unblock',
      target,
      `Only a blocked admin can be unblocked; this one is ${target.status}`,
    );
  }
  const updated = await applyTransition(ctx, {
    action: 'unblock',
    target,
    set: { status: 'active', statusReason: null },
    revokeTokens: false,
    endSessions: false,
  });
  return toAdminView(updated);
}

/**
 * Makes an existing patient, doctor, caregiver or receptionist an active admin (a superadmin's grant
 * needs no approval). Their tokens are revoked so the next ones carry the new role.
 * @throws AppError NOT_FOUND, CONFLICT (already an admin or superadmin), INVALID_TRANSITION (removed, blocked, deactivated)
 */
export async function grantAdmin(
  ctx: ServiceContext,
  id: string,
  subRoles: AdminSubRole[] = [],
): Promise<AdminAccountView> {
  const target = await userById(ctx, id);
  if (!GRANTABLE_ROLES.includes(target.role)) {
    await refuse(
      ctx,
      'grant',
      target,
      new AppError(
        'CONFLICT',
        target.role === 'superadmin' ? 'This account is a superadmin' : 'This account is already an admin',
      ),
    );
  }
  if (!GRANTABLE_STATUSES.includes(target.status)) {
    await invalidTransition(ctx, 'grant', target, `An account that is ${target.status} cannot be made an admin`);
  }
  const updated = await applyTransition(ctx, {
    action: 'grant',
    target,
    set: { role: 'admin', subRoles: [...new Set(subRoles)], status: 'active', statusReason: null },
    revokeTokens: true,
    endSessions: false,
  });
  return toAdminView(updated);
}

/**
 * An admin (or a superadmin other than the last active one) goes back to a plain `user` with no
 * sub-roles, and is signed out everywhere.
 * @throws AppError NOT_FOUND, FORBIDDEN (self), CONFLICT (last active superadmin), INVALID_TRANSITION (removed)
 */
export async function revokeAdmin(ctx: ServiceContext, id: string): Promise<AdminAccountView> {
  const target = await adminById(ctx, id);
  await refuseSelf(ctx, 'revoke', target);
  if (target.status === 'removed') {
    await invalidTransition(ctx, 'revoke', target, 'This account has been removed');
  }
  const updated = await applyTransition(ctx, {
    action: 'revoke',
    target,
    set: { role: 'user', subRoles: [] },
    revokeTokens: true,
    endSessions: true,
  });
  return toAdminView(updated);
}
