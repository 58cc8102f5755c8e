import { and, asc, count, desc, eq, gt, gte, inArray, lt, not, type SQL, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type AppointmentEventRow, appointmentEvents, appointments, LIVE_STATUSES } from '../../db/schema';
import { qualified } from '../../db/sql';
import { type Page, page } from '../../lib/envelope';
import { auditInsert } from '../audit/audit.service';
import {
  type AppointmentView,
  appointmentDetails,
  detailView,
  relationSql,
  seenBy,
  seenWhere,
} from './appointment-access';
import type { AppointmentListFilters } from './lifecycle.schemas';
import { RESCHEDULABLE } from './reschedule.service';

/** Most history events one response carries. */
export const HISTORY_LIMIT = 200;

/**
 * One appointment the caller can see (own as patient or doctor, any as staff). Its reason and symptoms
 * are medical data, so the read is audited, in the same batch as the read (one round trip): the audit
 * row is written exactly when the caller may see the row.
 * @throws AppError NOT_FOUND (missing or not the caller's)
 */
export async function getAppointment(ctx: AuthedContext, id: string): Promise<AppointmentView> {
  const [rows] = await ctx.db.batch([
    appointmentDetails(ctx).where(eq(appointments.id, id)),
    auditInsert(
      ctx,
      {
        action: 'appointment.read',
        resourceType: 'appointment',
        resourceId: id,
        patientId: qualified(appointments.patientId),
        metadata: sql`json_object('as', ${relationSql(ctx)})`,
      },
      { guard: { from: appointments, where: seenWhere(ctx, id) } },
    ),
  ]);
  return detailView(seenBy(ctx, rows[0]).row);
}

function toEventView(row: AppointmentEventRow) {
  return {
    id: row.id,
    action: row.action,
    fromStatus: row.fromStatus,
    toStatus: row.toStatus,
    actor: { id: row.actorId, role: row.actorRole },
    reason: row.reason,
    data: row.data,
    at: new Date(row.at).toISOString(),
  };
}

/**
 * The history of an appointment the caller can see, oldest first (events at the same instant in the
 * order they were written), at most HISTORY_LIMIT events. The row and its events are read together.
 * @throws AppError NOT_FOUND (missing or not the caller's)
 */
export async function appointmentHistory(ctx: ServiceContext, id: string) {
  const [rows, events] = await ctx.db.batch([
    ctx.db
      .select({ patientId: appointments.patientId, doctorId: appointments.doctorId })
      .from(appointments)
      .where(eq(appointments.id, id)),
    ctx.db
      .select()
      .from(appointmentEvents)
      .where(eq(appointmentEvents.appointmentId, id))
      .orderBy(asc(appointmentEvents.at), sql`rowid`)
      .limit(HISTORY_LIMIT),
  ]);
  seenBy(ctx, rows[0]);
  return events.map(toEventView);
}

/**
 * "My appointments": a doctor's as the doctor, anyone else's as the patient; `doctorId` narrows either
 * to that doctor (for a doctor, any other id is an empty page). A doctor's list shows patients' reasons
 * and symptoms: audited like any read of others' medical data.
 */
export async function listMyAppointments(
  ctx: AuthedContext,
  query: Omit<AppointmentListFilters, 'patientId'>,
): Promise<Page<AppointmentView>> {
  const actor = ctx.actor;
  const doctor = actor.role === 'doctor';
  const mine = doctor ? eq(appointments.doctorId, actor.id) : eq(appointments.patientId, actor.id);
  return listAppointments(ctx, mine, query, doctor ? 'doctor' : null);
}

/**
 * A patient's next `limit` live appointments that have not ended, soonest first, with the names their
 * views show (`detailView`): the rows `listMyAppointments` with `upcoming` answers that patient, as a
 * statement for a caller's read batch. Nothing is audited: the caller audits its own read.
 */
export function upcomingAppointmentsQuery(ctx: ServiceContext, patientId: string, limit: number) {
  return appointmentDetails(ctx)
    .where(
      and(
        eq(appointments.patientId, patientId),
        inArray(appointments.status, [...LIVE_STATUSES]),
        gt(appointments.endsAt, ctx.clock.now().getTime()),
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(appointments.id))
    .limit(limit);
}

/** Every appointment, for front-desk staff, optionally of one doctor and/or one patient; audited. */
export async function listAllAppointments(
  ctx: ServiceContext,
  query: AppointmentListFilters,
): Promise<Page<AppointmentView>> {
  const scope = query.patientId ? eq(appointments.patientId, query.patientId) : undefined;
  return listAppointments(ctx, scope, query, 'staff');
}

/** Whether (and as whom) a list audits its page of other people's appointments, and an extra condition. */
export type ListAudit = { as: 'doctor' | 'staff'; guard?: SQL } | null;

/**
 * A page of appointments matching `where` in `order`, with the names their views show, and the total, as
 * statements for one read batch. With `audit`, the batch also writes one audit event for the page of
 * other people's appointments (their ids only, computed by the same query as the page), none for an
 * empty page or when `audit.guard` does not hold.
 */
export function listStatements(
  ctx: ServiceContext,
  where: SQL | undefined,
  order: SQL[],
  query: { page: number; limit: number },
  audit: ListAudit,
) {
  const offset = (query.page - 1) * query.limit;
  const rows = appointmentDetails(ctx)
    .where(where)
    .orderBy(...order)
    .limit(query.limit)
    .offset(offset);
  const total = ctx.db.select({ n: count() }).from(appointments).where(where);
  if (!audit) return { rows, total, audit: undefined };
  const pageIds = ctx.db
    .select({ id: appointments.id })
    .from(appointments)
    .where(where)
    .orderBy(...order)
    .limit(query.limit)
    .offset(offset);
  const exists = sql`exists ${pageIds}`;
  return {
    rows,
    total,
    audit: auditInsert(
      ctx,
      {
        action: 'appointment.list',
        resourceType: 'appointment',
        metadata: sql`json_object('as', ${audit.as}, 'ids', (select json_group_array(${sql.identifier('id')}) from ${pageIds}))`,
      },
      { guard: { where: audit.guard ? and(exists, audit.guard)! : exists } },
    ),
  };
}

/**
 * A page of appointments with the names their views show and the total, in one batch (one round trip):
 * the rows of `scope` that pass the list filters (doctor, status, start range, upcoming, waiting to be
 * rebooked). With `auditAs`, the batch also writes one audit event for the page (`listStatements`).
 */
async function listAppointments(
  ctx: ServiceContext,
  scope: SQL | undefined,
  query: Omit<AppointmentListFilters, 'patientId'>,
  auditAs: 'doctor' | 'staff' | null,
): Promise<Page<AppointmentView>> {
  const filters: (SQL | undefined)[] = [scope];
  if (query.doctorId) filters.push(eq(appointments.doctorId, query.doctorId));
  if (query.status) filters.push(inArray(appointments.status, query.status));
  if (query.from !== undefined) filters.push(gte(appointments.startsAt, query.from));
  if (query.to !== undefined) filters.push(lt(appointments.startsAt, query.to));
  if (query.upcoming) {
    filters.push(inArray(appointments.status, [...LIVE_STATUSES]));
    filters.push(gt(appointments.endsAt, ctx.clock.now().getTime()));
  }
  if (query.needsRebooking !== undefined) {
    const waiting = and(eq(appointments.needsRebooking, true), inArray(appointments.status, RESCHEDULABLE))!;
    filters.push(query.needsRebooking ? waiting : not(waiting));
  }
  const direction = query.order === 'desc' ? desc : asc;
  const read = await batchOf(
    ctx.db,
    listStatements(
      ctx,
      and(...filters),
      [direction(appointments.startsAt), direction(appointments.id)],
      query,
      auditAs ? { as: auditAs } : null,
    ),
  );
  return page(
    read.rows.map((row) => detailView(row)),
    read.total[0]?.n ?? 0,
    query,
  );
}
