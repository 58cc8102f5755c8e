import { and, count, desc, eq, type SQL } from 'drizzle-orm';
import { notify } from '../../access/notices';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type EmergencyAccessRow, type EmergencyReviewStatus, emergencyAccesses } from '../../db/schema';
import { qualified } from '../../db/sql';
import { page } from '../../lib/envelope';
import { AppError, notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { getSetting, primeSettings, settingsQuery } from '../settings/settings.service';
import { accountStandingQuery, activeAdminIdsQuery } from '../users/users.service';

function toEmergencyView(row: EmergencyAccessRow) {
  return {
    id: row.id,
    patientId: row.patientId,
    doctorId: row.doctorId,
    reason: row.reason,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    reviewStatus: row.reviewStatus,
    reviewedBy: row.reviewedBy,
    reviewedAt: iso(row.reviewedAt),
    reviewNote: row.reviewNote,
  };
}

/**
 * Break glass: a verified doctor (the route admits no other caller) opens a patient's record for reading
 * for `records.emergencyAccessMinutes`, stating why. The patient and every active admin are notified at
 * once (enqueued after the response), and the use waits in the admins' review queue. Two round trips:
 * the patient, the admins and the settings in one read, then the access with its audit event.
 * @throws AppError NOT_FOUND (no such patient account), VALIDATION_FAILED (a doctor's own record)
 */
export async function requestEmergencyAccess(ctx: AuthedContext, patientId: string, input: { reason: string }) {
  if (patientId === ctx.actor.id || patientId === 'me') {
    throw new AppError('VALIDATION_FAILED', 'Your own record needs no emergency access', {
      fields: [{ field: 'patientId', message: 'Your own record needs no emergency access' }],
    });
  }
  const { patient, admins, settings } = await batchOf(ctx.db, {
    patient: accountStandingQuery(ctx, patientId),
    admins: activeAdminIdsQuery(ctx),
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, settings);
  const target = patient[0];
  if (target?.role !== 'user' || target.status === 'removed') throw notFound('Patient');
  const minutes = await getSetting(ctx, 'records.emergencyAccessMinutes');
  const now = ctx.clock.now().getTime();
  const row: EmergencyAccessRow = {
    id: ctx.ids.id('ema'),
    patientId,
    doctorId: ctx.actor.id,
    reason: input.reason,
    createdAt: now,
    expiresAt: now + minutes * 60_000,
    reviewStatus: 'pending',
    reviewedBy: null,
    reviewedAt: null,
    reviewNote: null,
  };
  await ctx.db.batch([
    ctx.db.insert(emergencyAccesses).values(row),
    auditInsert(ctx, {
      action: 'medical_record.emergency_access',
      resourceType: 'emergency_access',
      resourceId: row.id,
      patientId,
      reason: input.reason,
      metadata: { expiresAt: row.expiresAt },
    }),
  ]);
  const subject = { type: 'emergency-access', id: row.id };
  notify(
    ctx,
    {
      recipients: [patientId],
      kind: 'record.emergency-access',
      type: 'system',
      preference: 'system',
      template: 'notice',
      data: {
        title: 'Your medical record was opened in an emergency',
        message: `A doctor used emergency access to read your medical record for ${minutes} minutes. Your access log shows who and when; our team reviews every emergency access.`,
        emergencyAccessId: row.id,
      },
      subject,
    },
    {
      recipients: admins.map((a) => a.id),
      kind: 'record.emergency-access.review',
      type: 'system',
      preference: 'system',
      template: 'notice',
      data: {
        title: 'Emergency access to review',
        message:
          'A doctor used emergency access to a patient’s medical record. Review it in the emergency access queue.',
        emergencyAccessId: row.id,
      },
      subject,
    },
  );
  return toEmergencyView(row);
}

/** The emergency accesses, newest first, filtered by review status; for admins (one round trip). */
export async function listEmergencyAccesses(
  ctx: AuthedContext,
  query: { page: number; limit: number; status?: EmergencyReviewStatus },
) {
  const where: SQL | undefined = query.status ? eq(emergencyAccesses.reviewStatus, query.status) : undefined;
  const { rows, total } = await batchOf(ctx.db, {
    rows: ctx.db
      .select()
      .from(emergencyAccesses)
      .where(where)
      .orderBy(desc(emergencyAccesses.createdAt), desc(emergencyAccesses.id))
      .limit(query.limit)
      .offset((query.page - 1) * query.limit),
    total: ctx.db.select({ n: count() }).from(emergencyAccesses).where(where),
  });
  return page(rows.map(toEmergencyView), total[0]?.n ?? 0, query);
}

/**
 * An admin's review of one emergency access: `approve` (justified) or `flag` (for follow-up), with an
 * optional note. Only a pending one can be reviewed. One round trip: the review returns the row; the
 * row is read beside it to tell NOT_FOUND from an access already reviewed.
 * @throws AppError NOT_FOUND, INVALID_TRANSITION (already reviewed)
 */
export async function reviewEmergencyAccess(
  ctx: AuthedContext,
  id: string,
  input: { decision: 'approve' | 'flag'; note?: string | null },
) {
  const now = ctx.clock.now().getTime();
  const pending = and(eq(emergencyAccesses.id, id), eq(emergencyAccesses.reviewStatus, 'pending'));
  const status: EmergencyReviewStatus = input.decision === 'approve' ? 'approved' : 'flagged';
  const { found, reviewed } = await batchOf(ctx.db, {
    found: ctx.db.select().from(emergencyAccesses).where(eq(emergencyAccesses.id, id)),
    audit: auditInsert(
      ctx,
      {
        action: `medical_record.emergency_access.${input.decision}`,
        resourceType: 'emergency_access',
        resourceId: id,
        patientId: qualified(emergencyAccesses.patientId),
        reason: input.note ?? null,
      },
      { guard: { from: emergencyAccesses, where: pending } },
    ),
    reviewed: ctx.db
      .update(emergencyAccesses)
      .set({ reviewStatus: status, reviewedBy: ctx.actor.id, reviewedAt: now, reviewNote: input.note ?? null })
      .where(pending)
      .returning(),
  });
  if (reviewed[0]) return toEmergencyView(reviewed[0]);
  if (!found[0]) throw notFound('Emergency access');
  throw new AppError('INVALID_TRANSITION', `This emergency access was already ${found[0].reviewStatus}`);
}
