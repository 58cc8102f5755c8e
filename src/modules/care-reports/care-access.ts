import { type SQL, sql } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { notFound } from '../../lib/errors';
import { DAY_MS } from '../../lib/time';
import { careRelationSql } from '../appointments/appointment-access';
import { auditInsert } from '../audit/audit.service';
import { linkedSql } from '../caregivers/care-access';
import { integerSettingSql } from '../settings/settings.service';

/**
 * Who reads a patient's care reports: the patient; a caregiver with an active link to them (the
 * patient's family and carers, both accounts active); a doctor with a confirmed, in-progress or
 * completed appointment with them within `records.doctorAccessDays` (the medical record's care
 * relationship). Anyone else gets NOT_FOUND. The check is SQL, so a read folds it into its one batch
 * and its audit row is written exactly when it passes.
 */
export type CareReader = 'patient' | 'caregiver' | 'doctor';

/** `me` names the caller. */
export const patientOf = (ctx: AuthedContext, patientId: string) => (patientId === 'me' ? ctx.actor.id : patientId);

/** SQL: the caller's basis for reading `patientId`'s care reports, or NULL. */
export function readerSql(ctx: AuthedContext, patientId: string | SQL): SQL<CareReader | null> {
  const { actor } = ctx;
  if (actor.id === patientId) return sql<CareReader>`'patient'`;
  const cases: SQL[] = [sql`when ${patientId} = ${actor.id} then 'patient'`];
  if (actor.role === 'caregiver' || actor.role === 'user') {
    cases.push(sql`when ${linkedSql(patientId, actor.id)} then 'caregiver'`);
  }
  if (actor.role === 'doctor') {
    const since = sql<number>`(${ctx.clock.now().getTime()} - ${integerSettingSql('records.doctorAccessDays')} * ${DAY_MS})`;
    cases.push(sql`when ${careRelationSql(patientId, actor.id, since)} then 'doctor'`);
  }
  return sql<CareReader | null>`(case ${sql.join(cases, sql` `)} end)`;
}

/** The basis read for a batch: one row `{ basis }`. */
export function readerQuery(ctx: AuthedContext, patientId: string | SQL) {
  return ctx.db.select({ basis: readerSql(ctx, patientId) }).from(sql`(select 1) as one`);
}

/**
 * The basis `readerQuery` read.
 * @throws AppError NOT_FOUND when the caller may not read (as if there were no such patient)
 */
export function readerOf(rows: readonly { basis: CareReader | null }[]): CareReader {
  const basis = rows[0]?.basis;
  if (!basis) throw notFound('Patient');
  return basis;
}

/** The audit event of one read, written in the read's batch only when the check passes. */
export function readAudit(ctx: AuthedContext, patientId: string | SQL, resource: string) {
  const from = sql`(select ${readerSql(ctx, patientId)} as basis) as access`;
  return auditInsert(
    ctx,
    {
      action: 'care_report.read',
      resourceType: 'care_report',
      resourceId: patientId,
      patientId,
      metadata: sql`json_object('resource', ${resource}, 'basis', access.basis)`,
    },
    { guard: { from, where: sql`access.basis is not null` } },
  );
}
