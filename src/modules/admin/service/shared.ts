import { eq, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../../context';
import { type UserRow, users } from '../../../db/schema';
import { AppError, notFound } from '../../../lib/errors';
import { iso } from '../../../lib/time';
import { auditGuardTripped } from '../../audit/audit.service';
import { toUserView } from '../../users/users.service';
import { type AdminAction, authorityRefusal, type Refusal } from '../admin.policy';
import type { AdminUserView } from '../admin.schemas';

/** The back-office view of an account: the public view plus why it is in its state and when it last signed in. */
export function toAdminView(row: UserRow, lastSignInAt: number | null): AdminUserView {
  return {
    ...toUserView(row),
    statusReason: row.statusReason,
    lastSignInAt: iso(lastSignInAt),
    updatedAt: iso(row.updatedAt),
  };
}

/**
 * `max(sessions.created_at)` of the `users` row in scope: one indexed lookup per row (sessions_user_idx).
 * Written with explicit qualifiers: drizzle renders a single-table select's columns unqualified, which
 * inside the subquery would bind to `sessions`.
 */
export const lastSignInAt = sql<
  number | null
>`(select max(last_session.created_at) from sessions as last_session where last_session.user_id = users.id)`;

/** Throws the refusal as an AppError (FORBIDDEN 403, INVALID_TRANSITION / CONFLICT 409). */
export function refuseWith(refusal: Refusal | null): void {
  if (refusal) throw new AppError(refusal.code, refusal.message);
}

/**
 * The account `id` as the back office shows it (with when it last signed in), as a statement: the
 * read of `getUser`, and the last statement of a write batch, whose answer is the account as written.
 */
export function adminViewQuery(ctx: ServiceContext, id: string) {
  return ctx.db.select({ user: users, lastSignInAt }).from(users).where(eq(users.id, id));
}

/**
 * The view a write batch ending with `adminViewQuery` answers.
 * @throws AppError NOT_FOUND (the account is gone)
 */
export function adminViewOf(results: unknown[]): AdminUserView {
  const [row] = results.at(-1) as { user: UserRow; lastSignInAt: number | null }[];
  if (!row) throw notFound('User');
  return toAdminView(row.user, row.lastSignInAt);
}

/**
 * Loads the account `id`, with how many other active superadmins there are (the last-superadmin rule),
 * in one statement, and checks the caller may `action` it at all.
 * @throws AppError NOT_FOUND, FORBIDDEN
 */
export async function authorizedTarget(
  ctx: AuthedContext,
  id: string,
  action: AdminAction,
): Promise<{ target: UserRow; otherSuperadmins: number }> {
  const row = await ctx.db
    .select({
      target: users,
      otherSuperadmins: sql<number>`(select count(*) from users as other where other.role = 'superadmin' and other.status = 'active' and other.id <> ${id})`,
    })
    .from(users)
    .where(eq(users.id, id))
    .get();
  if (!row) throw notFound('User');
  refuseWith(authorityRefusal(ctx.actor, row.target, action));
  return row;
}

/**
 * SQL condition for an UPDATE of `users`: some other active superadmin remains. Evaluated inside the
 * write, so two superadmins removing each other at once cannot both succeed.
 */
export function anotherActiveSuperadmin(userId: string): SQL {
  return sql`exists (select 1 from users as other where other.role = 'superadmin' and other.status = 'active' and other.id <> ${userId})`;
}

type Statements = [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]];

/**
 * Runs an atomic batch holding an audit insert guarded by `'one-row-changed'`, placed right after the
 * conditional write it records. When the guard trips (the account changed since it was read), `explain`
 * says why (re-reading the account) and its error is thrown; the batch left nothing behind: no audit
 * event, no revoked sessions, nothing.
 */
export async function commitGuarded(
  ctx: ServiceContext,
  statements: BatchItem<'sqlite'>[],
  explain: () => Promise<never>,
) {
  try {
    return await ctx.db.batch(statements as Statements);
  } catch (err) {
    if (auditGuardTripped(err)) return explain();
    throw err;
  }
}

/** The refusal for an account that changed between our read and our write (found by re-reading it). */
export function changedMeanwhile(): AppError {
  return new AppError('CONFLICT', 'The account changed while this request ran; reload it and try again');
}
