import { and, eq, getTableColumns, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../context';
import { type CareSessionRow, careSessionEvents, careSessions, payments, users } from '../../db/schema';
import { qualified } from '../../db/sql';
import { notFound } from '../../lib/errors';
import { iso } from '../../lib/time';
import { linkedSql } from '../caregivers/care-access';
import type { CareSessionView } from './care-sessions.schemas';
import type { CareRelation } from './lifecycle.policy';

/**
 * Who sees a care session, and as what: its caregiver (`caregiver`); the `patient` side (the patient,
 * whoever booked it, and family or carers with an active link to the patient); admins (`staff`).
 * Anyone else gets NOT_FOUND, as for an id that does not exist. The check is SQL, read in the same
 * batch as the row.
 */
export function relationSql(ctx: AuthedContext): SQL<CareRelation | null> {
  const { actor } = ctx;
  const patientId = qualified(careSessions.patientId);
  const cases: SQL[] = [
    sql`when ${qualified(careSessions.caregiverId)} = ${actor.id} then 'caregiver'`,
    sql`when ${patientId} = ${actor.id} or ${qualified(careSessions.bookedBy)} = ${actor.id} then 'patient'`,
  ];
  if (actor.role === 'user' || actor.role === 'caregiver') {
    cases.push(sql`when ${linkedSql(patientId, actor.id)} then 'patient'`);
  }
  if (actor.role === 'admin' || actor.role === 'superadmin') cases.push(sql`when 1 then 'staff'`);
  return sql<CareRelation | null>`(case ${sql.join(cases, sql` `)} end)`;
}

const caregiverUser = alias(users, 'caregiver_user');
const patientUser = alias(users, 'patient_user');

/**
 * A session with the names its view shows, its payment and the caller's relation to it, as a
 * statement to filter and put into a read batch (joined columns aliased: they share names).
 */
export function sessionDetails(ctx: AuthedContext) {
  return ctx.db
    .select({
      ...getTableColumns(careSessions),
      caregiverName: sql<string | null>`${caregiverUser.name}`.as('caregiver_name'),
      patientName: sql<string | null>`${patientUser.name}`.as('patient_name'),
      paymentId: sql<string | null>`${payments.id}`.as('payment_id'),
      paymentStatus: sql<string | null>`${payments.status}`.as('payment_status'),
      receiptNumber: sql<string | null>`${payments.receiptNumber}`.as('receipt_number'),
      relation: relationSql(ctx).as('relation'),
    })
    .from(careSessions)
    .leftJoin(caregiverUser, eq(caregiverUser.id, careSessions.caregiverId))
    .leftJoin(patientUser, eq(patientUser.id, careSessions.patientId))
    .leftJoin(payments, and(eq(payments.subjectType, 'care-session'), eq(payments.subjectId, careSessions.id)));
}

export type SessionDetail = CareSessionRow & {
  caregiverName: string | null;
  patientName: string | null;
  paymentId: string | null;
  paymentStatus: string | null;
  receiptNumber: string | null;
  relation: CareRelation | null;
};

/**
 * The session a read found, with the caller's relation to it.
 * @throws AppError NOT_FOUND (no such session, or not the caller's)
 */
export function seenSession(row: SessionDetail | undefined): SessionDetail & { relation: CareRelation } {
  if (!row?.relation) throw notFound('Care session');
  return row as SessionDetail & { relation: CareRelation };
}

/** The events of a session, oldest first, for a read batch. */
export const eventsQuery = (ctx: ServiceContext, sessionId: string) =>
  ctx.db
    .select()
    .from(careSessionEvents)
    .where(eq(careSessionEvents.sessionId, sessionId))
    .orderBy(careSessionEvents.at);

/** A session as clients see it, with `changes` a write made since the read. */
export function toCareSessionView(detail: SessionDetail, changes: Partial<CareSessionRow> = {}): CareSessionView {
  const row = { ...detail, ...changes };
  return {
    id: row.id,
    patientId: row.patientId,
    caregiverId: row.caregiverId,
    bookedBy: row.bookedBy,
    recommendationId: row.recommendationId,
    mode: row.mode,
    status: row.status,
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    timeZone: row.timeZone,
    address: row.address,
    notes: row.notes,
    checkedInAt: iso(row.checkedInAt),
    checkedOutAt: iso(row.checkedOutAt),
    bill: {
      hourlyRateCents: row.hourlyRateCents,
      currency: row.currency,
      actualMinutes: row.actualMinutes,
      billedMinutes: row.billedMinutes,
      amountCents: row.amountCents,
      payment: row.paymentId
        ? { id: row.paymentId, status: row.paymentStatus ?? 'open', receiptNumber: row.receiptNumber }
        : null,
    },
    cancelReason: row.cancelReason,
    caregiverName: row.caregiverName,
    patientName: row.patientName,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}
