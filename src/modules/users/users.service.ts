import { and, eq, inArray, ne } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { type UserRow, users } from '../../db/schema';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import type { UserView } from './users.schemas';

/** The public view of an account: never the password hash or token version. */
export function toUserView(row: UserRow): UserView {
  return {
    id: row.id,
    email: row.email,
    mobileNumber: row.mobileNumber,
    name: row.name,
    role: row.role,
    subRoles: row.subRoles,
    status: row.status,
    emailVerified: row.emailVerifiedAt !== null,
    mobileVerified: row.mobileVerifiedAt !== null,
    verifiedAt: iso(row.verifiedAt),
    hasPassword: row.passwordHash !== null,
    createdAt: iso(row.createdAt),
  };
}

/** The signed-in caller's account row, for a read batch (`currentUserOf` reads the answer). */
export function currentUserQuery(ctx: AuthedContext) {
  return ctx.db.select().from(users).where(eq(users.id, ctx.actor.id));
}

/**
 * The account `currentUserQuery` read.
 * @throws AppError NOT_FOUND when it is gone
 */
export function currentUserOf(rows: readonly UserRow[]): UserRow {
  const row = rows[0];
  if (!row) throw notFound('User');
  return row;
}

/**
 * The signed-in caller's account row.
 * @throws AppError NOT_FOUND when it is gone
 */
export async function currentUser(ctx: AuthedContext): Promise<UserRow> {
  return currentUserOf(await currentUserQuery(ctx));
}

/** The signed-in caller's own account. */
export async function getMe(ctx: AuthedContext): Promise<UserView> {
  return toUserView(await currentUser(ctx));
}

/**
 * How many active superadmins there are besides `userId`: the last one may not leave (delete their
 * own account, or be deleted, deactivated or blocked by another).
 */
export async function otherActiveSuperadmins(ctx: ServiceContext, userId: string): Promise<number> {
  return ctx.db.$count(users, and(eq(users.role, 'superadmin'), eq(users.status, 'active'), ne(users.id, userId)));
}

/**
 * The standing of one account (role, status, credentials verified), for another module's read batch:
 * no row when there is no such account.
 */
export function accountStandingQuery(ctx: ServiceContext, userId: string) {
  return ctx.db
    .select({ id: users.id, role: users.role, status: users.status, verifiedAt: users.verifiedAt })
    .from(users)
    .where(eq(users.id, userId));
}

/** The ids of every active admin and superadmin, for a read batch: who a notice to "the admins" reaches. */
export function activeAdminIdsQuery(ctx: ServiceContext) {
  return ctx.db
    .select({ id: users.id })
    .from(users)
    .where(and(inArray(users.role, ['admin', 'superadmin']), eq(users.status, 'active')));
}
