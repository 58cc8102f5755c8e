import { and, eq, exists, getTableColumns, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { type CaregiverLinkRow, caregiverLinks, type UserRow, users } from '../../db/schema';
import { qualified } from '../../db/sql';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import type { LinkView } from './caregivers.schemas';

/**
 * Who may see what in the caregiver network. A relationship (caregiver link) counts only while it is
 * active (`ended_at` null) and the other person's account is active: ending it, or blocking or
 * removing either account, ends access at once, and every row outside a caller's own relationships
 * answers NOT_FOUND exactly like an id that does not exist.
 *
 * The checks come as statements for the service's one read batch (`…Query`) and the functions that
 * judge what they answered, so a service reads everything it needs in one round trip.
 */

/** Roles that take part in the caregiver network, as patients and as caregivers. */
export const NETWORK_ROLES = ['user', 'caregiver'] as const;

/** Whether a role takes part in the caregiver network. */
export const isNetworkRole = (role: string): role is (typeof NETWORK_ROLES)[number] =>
  (NETWORK_ROLES as readonly string[]).includes(role);

/** An active account of the network, as the services use it. */
export interface NetworkMember {
  id: string;
  name: string;
  role: (typeof NETWORK_ROLES)[number];
}

/** The accounts `ids`, for a read batch; `memberIn` picks the network members among them. */
export function accountsQuery(ctx: ServiceContext, ids: string[]) {
  return ctx.db
    .select({ id: users.id, name: users.name, role: users.role, status: users.status })
    .from(users)
    .where(inArray(users.id, ids));
}

/** The account as a network member, when it is an active account of the network. */
export function asMember(row: Pick<UserRow, 'id' | 'name' | 'role' | 'status'> | undefined): NetworkMember | undefined {
  if (row?.status !== 'active' || !isNetworkRole(row.role)) return undefined;
  return { id: row.id, name: row.name, role: row.role };
}

/** `userId` among the rows `accountsQuery` answered, when it is an active account of the network. */
export function memberIn(rows: Pick<UserRow, 'id' | 'name' | 'role' | 'status'>[], userId: string) {
  return asMember(rows.find((r) => r.id === userId));
}

export function toLinkView(row: CaregiverLinkRow): LinkView {
  return {
    id: row.id,
    patientId: row.patientId,
    caregiverId: row.caregiverId,
    since: iso(row.createdAt),
    endedAt: row.endedAt === null ? null : iso(row.endedAt),
    endedBy: row.endedBy,
  };
}

/**
 * The active link in which `caregiverId` cares for `patientId`, whatever the accounts' status, for a
 * read batch (at most one row: the partial unique index allows one active link per pair).
 */
export function activeLinkBetween(ctx: ServiceContext, patientId: string, caregiverId: string) {
  return ctx.db
    .select()
    .from(caregiverLinks)
    .where(
      and(
        eq(caregiverLinks.patientId, patientId),
        eq(caregiverLinks.caregiverId, caregiverId),
        isNull(caregiverLinks.endedAt),
      ),
    )
    .limit(1);
}

/**
 * The conditions of a relationship the caller shares: link `linkId`, active, the caller its patient or
 * its caregiver, and the other person's account active in the network (joined as `users`).
 */
function sharedLinkParts(ctx: AuthedContext, linkId: string) {
  const me = ctx.actor.id;
  const other = sql`(case when ${qualified(caregiverLinks.patientId)} = ${me} then ${qualified(caregiverLinks.caregiverId)} else ${qualified(caregiverLinks.patientId)} end)`;
  return {
    other: eq(qualified(users.id), other),
    where: and(
      eq(qualified(caregiverLinks.id), linkId),
      isNull(qualified(caregiverLinks.endedAt)),
      or(eq(qualified(caregiverLinks.patientId), me), eq(qualified(caregiverLinks.caregiverId), me)),
      eq(qualified(users.status), 'active'),
      inArray(qualified(users.role), [...NETWORK_ROLES]),
    )!,
  };
}

/** The relationship `linkId` when the caller shares it (see `sharedLinkIn`), for a read batch. */
export function sharedLinkQuery(ctx: AuthedContext, linkId: string) {
  const { other, where } = sharedLinkParts(ctx, linkId);
  // Only the link's columns: the joined account decides whether there is a row, nothing more.
  return ctx.db.select(getTableColumns(caregiverLinks)).from(caregiverLinks).innerJoin(users, other).where(where);
}

/**
 * The relationship `sharedLinkQuery` found: active, the caller's, with the other person's account
 * active. Anyone else, or once it has ended, gets NOT_FOUND.
 * @throws AppError NOT_FOUND
 */
export function sharedLinkIn(rows: CaregiverLinkRow[]): CaregiverLinkRow {
  const link = rows[0];
  if (!link) throw notFound('Relationship');
  return link;
}

/** SQL that holds while the caller shares relationship `linkId` (as `sharedLinkQuery` finds it). */
export function sharesLink(ctx: AuthedContext, linkId: string): SQL {
  const { other, where } = sharedLinkParts(ctx, linkId);
  return exists(ctx.db.select({ one: sql`1` }).from(caregiverLinks).innerJoin(users, other).where(where));
}

/** The patient of link `linkId`, in SQL, for an audit row written before the service has read the link. */
export const patientOfLink = (linkId: string): SQL<string> =>
  sql<string>`(select ${qualified(caregiverLinks.patientId)} from ${caregiverLinks} where ${qualified(caregiverLinks.id)} = ${linkId})`;

/**
 * The patient the caller actively cares for, with the link, for a read batch: the link's columns and
 * the patient's name, role and status (aliased: the account's `id`, `status` and `created_at` would
 * overwrite the link's in a batch). Judge the answer with `caredForIn`.
 */
export function caredForQuery(ctx: AuthedContext, patientId: string | SQL) {
  return ctx.db
    .select({
      ...getTableColumns(caregiverLinks),
      patientName: sql<string>`${users.name}`.as('patient_name'),
      patientRole: sql<UserRow['role']>`${users.role}`.as('patient_role'),
      patientStatus: sql<UserRow['status']>`${users.status}`.as('patient_status'),
    })
    .from(caregiverLinks)
    .innerJoin(users, eq(users.id, caregiverLinks.patientId))
    .where(
      and(
        eq(caregiverLinks.patientId, patientId),
        eq(caregiverLinks.caregiverId, ctx.actor.id),
        isNull(caregiverLinks.endedAt),
      ),
    )
    .limit(1);
}

/**
 * The link and patient `caredForQuery` found. Anyone else's patient, an ended link or a patient whose
 * account is no longer active is NOT_FOUND.
 * @throws AppError NOT_FOUND
 */
export function caredForIn(
  rows: (CaregiverLinkRow & { patientName: string; patientRole: UserRow['role']; patientStatus: UserRow['status'] })[],
): { link: CaregiverLinkRow; patient: NetworkMember } {
  const [row] = rows;
  const patient =
    row && asMember({ id: row.patientId, name: row.patientName, role: row.patientRole, status: row.patientStatus });
  if (!row || !patient) throw notFound('Patient');
  const { patientName: _name, patientRole: _role, patientStatus: _status, ...link } = row;
  return { link, patient };
}

/** SQL: `caregiverId` has an active link to `patientId`, the patient's account active. */
export function linkedSql(patientId: string | SQL, caregiverId: string): SQL {
  const link = and(
    eq(qualified(caregiverLinks.patientId), patientId),
    eq(qualified(caregiverLinks.caregiverId), caregiverId),
    isNull(qualified(caregiverLinks.endedAt)),
  );
  return sql`exists (select 1 from ${caregiverLinks} join ${users} on ${qualified(users.id)} = ${qualified(caregiverLinks.patientId)} where ${link} and ${qualified(users.status)} = 'active')`;
}
