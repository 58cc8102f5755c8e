import { and, count, desc, eq, isNull } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type RecordGrantRow, type RecordGrantScope, recordGrants } from '../../db/schema';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { accountStandingQuery } from '../users/users.service';

/** Who a patient may grant their record to: doctors and caregivers with an active account. */
const GRANTEE_ROLES = ['doctor', 'caregiver'] as const;
/** The longest a grant may run: a grant is temporary by design. */
const MAX_GRANT_DAYS = 365;

function toGrantView(row: RecordGrantRow, now: number) {
  return {
    id: row.id,
    patientId: row.patientId,
    granteeId: row.granteeId,
    scope: row.scope,
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    createdAt: iso(row.createdAt),
    live: row.revokedAt === null && row.expiresAt > now,
  };
}

const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', message, { fields: [{ field, message }] });

/**
 * Grants a doctor or caregiver access to the caller's record until `expiresAt` (in the future, at most
 * MAX_GRANT_DAYS ahead): `record` opens the whole record, `documents` its documents only. Two round
 * trips: the grantee's standing, then the grant with its audit event.
 * @throws AppError NOT_FOUND (no such active doctor or caregiver), VALIDATION_FAILED (expiresAt, granteeId)
 */
export async function createGrant(
  ctx: AuthedContext,
  input: { granteeId: string; scope: RecordGrantScope; expiresAt: string },
) {
  const now = ctx.clock.now().getTime();
  const expiresAt = Date.parse(input.expiresAt);
  if (expiresAt <= now) throw invalid('expiresAt', 'Must be in the future');
  if (expiresAt > now + MAX_GRANT_DAYS * 86_400_000)
    throw invalid('expiresAt', `Must be at most ${MAX_GRANT_DAYS} days ahead`);
  if (input.granteeId === ctx.actor.id) throw invalid('granteeId', 'You always have access to your own record');
  const [grantee] = await accountStandingQuery(ctx, input.granteeId);
  if (grantee?.status !== 'active' || !(GRANTEE_ROLES as readonly string[]).includes(grantee.role)) {
    throw notFound('Doctor or caregiver');
  }
  const row: RecordGrantRow = {
    id: ctx.ids.id('rgr'),
    patientId: ctx.actor.id,
    granteeId: input.granteeId,
    scope: input.scope,
    expiresAt,
    revokedAt: null,
    createdAt: now,
  };
  await ctx.db.batch([
    ctx.db.insert(recordGrants).values(row),
    auditInsert(ctx, {
      action: 'medical_record.grant.create',
      resourceType: 'record_grant',
      resourceId: row.id,
      patientId: row.patientId,
      metadata: { granteeId: row.granteeId, scope: row.scope, expiresAt },
    }),
  ]);
  return toGrantView(row, now);
}

/** The caller's grants, newest first, live or not (one round trip). */
export async function listGrants(ctx: AuthedContext, query: { page: number; limit: number }) {
  const mine = eq(recordGrants.patientId, ctx.actor.id);
  const { rows, total } = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(recordGrants)
      .where(mine)
      .orderBy(desc(recordGrants.createdAt), desc(recordGrants.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(recordGrants).where(mine),
  });
  const now = ctx.clock.now().getTime();
  return page(
    rows.map((row) => toGrantView(row, now)),
    total[0]?.n ?? 0,
    query,
  );
}

/**
 * Revokes one of the caller's grants at once (a grant already revoked stays as it was). One round trip:
 * the row, its audit event (written only when it is revoked now) and the revocation.
 * @throws AppError NOT_FOUND (not the caller's grant)
 */
export async function revokeGrant(ctx: AuthedContext, id: string) {
  const now = ctx.clock.now().getTime();
  const mine = and(eq(recordGrants.id, id), eq(recordGrants.patientId, ctx.actor.id));
  const open = and(mine, isNull(recordGrants.revokedAt));
  const { found, revoked } = await batchOf(ctx.db, {
    found: ctx.db.select().from(recordGrants).where(mine),
    // Before the update, on the same condition: audited exactly when it revokes.
    audit: auditInsert(
      ctx,
      { action: 'medical_record.grant.revoke', resourceType: 'record_grant', resourceId: id, patientId: ctx.actor.id },
      { guard: { from: recordGrants, where: open } },
    ),
    revoked: ctx.db.update(recordGrants).set({ revokedAt: now }).where(open).returning(),
  });
  const row = revoked[0] ?? found[0];
  if (!row) throw notFound('Grant');
  return toGrantView(row, now);
}
