import { and, eq, isNull, or } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { type CaregiverLinkRow, caregiverLinks, users } from '../../db/schema';
import { ifOneRowChanged } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { type AuditEventInput, auditInsert } from '../audit/audit.service';
import type { LinkView } from './caregivers.schemas';

/**
 * Who may see what in the caregiver network. A relationship (caregiver link) counts only while it is
 * active (`ended_at` null) and the other person's account is active: ending it, or blocking or
 * removing either account, ends access at once, and every row outside a caller's own relationships
 * answers NOT_FOUND exactly like an id that does not exist.
 */

/** Roles that take part in the caregiver network, as patients and as caregivers. */
export const NETWORK_ROLES = ['user', 'caregiver'] as const;

/** Whether a role takes part in the caregiver network. */
export const isNetworkRole = (role: string): role is (typeof NETWORK_ROLES)[number] =>
  (NETWORK_ROLES as readonly string[]).includes(role);

/** The signed-in caller's id. */
export function callerId(ctx: ServiceContext): string {
  if (!ctx.actor) throw new AppError('UNAUTHENTICATED', 'Sign in to continue');
  return ctx.actor.id;
}

/** An active account of the network (role user or caregiver), or undefined. */
export async function networkMember(
  ctx: ServiceContext,
  userId: string,
): Promise<{ id: string; name: string; role: (typeof NETWORK_ROLES)[number] } | undefined> {
  const row = await ctx.db
    .select({ id: users.id, name: users.name, role: users.role, status: users.status })
    .from(users)
    .where(eq(users.id, userId))
    .get();
  if (row?.status !== 'active' || !isNetworkRole(row.role)) return undefined;
  return { id: row.id, name: row.name, role: row.role };
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

/** The active link in which `caregiverId` cares for `patientId`, whatever the accounts' status. */
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
    .get();
}

/**
 * A relationship the caller is part of (as patient or caregiver), active, with the other person's
 * account active. Anyone else, or once it has ended, gets NOT_FOUND.
 * @throws AppError NOT_FOUND
 */
export async function sharedLink(ctx: ServiceContext, linkId: string): Promise<CaregiverLinkRow> {
  const me = callerId(ctx);
  const link = await ctx.db
    .select()
    .from(caregiverLinks)
    .where(
      and(
        eq(caregiverLinks.id, linkId),
        isNull(caregiverLinks.endedAt),
        or(eq(caregiverLinks.patientId, me), eq(caregiverLinks.caregiverId, me)),
      ),
    )
    .get();
  const other = link && (link.patientId === me ? link.caregiverId : link.patientId);
  if (!link || !other || !(await networkMember(ctx, other))) throw notFound('Relationship');
  return link;
}

/**
 * The patient the caller actively cares for, with the link. Anyone else's patient, an ended link or a
 * patient whose account is no longer active is NOT_FOUND.
 * @throws AppError NOT_FOUND
 */
export async function caredForPatient(ctx: ServiceContext, patientId: string) {
  const link = await activeLinkBetween(ctx, patientId, callerId(ctx));
  const patient = link ? await networkMember(ctx, patientId) : undefined;
  if (!link || !patient) throw notFound('Patient');
  return { link, patient };
}

/**
 * The audit insert for the statement right after a conditional write in the same batch: its action is
 * NULL (a NOT NULL violation that rolls the whole batch back) unless that write changed exactly one
 * row, so a change that lost a race leaves nothing behind. `auditGuardTripped` (catalog.db) recognises
 * the failure.
 */
export function guardedAuditInsert(ctx: ServiceContext, event: AuditEventInput) {
  // auditInsert binds `action` as given, so SQL here is evaluated inside the batch.
  return auditInsert(ctx, { ...event, action: ifOneRowChanged(event.action) as unknown as string });
}
