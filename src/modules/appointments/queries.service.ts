import { and, asc, desc, eq, gt, gte, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { paginate } from '../../db/paginate';
import { type AppointmentEventRow, appointmentEvents, appointments, LIVE_STATUSES } from '../../db/schema';
import type { Page } from '../../lib/envelope';
import { recordAudit } from '../audit/audit.service';
import {
  type AppointmentView,
  appointmentDetails,
  appointmentView,
  appointmentViews,
  visibleAppointment,
} from './appointment-access';
import type { AppointmentListFilters } from './lifecycle.schemas';

/** Most history events one response carries. */
export const HISTORY_LIMIT = 200;

/**
 * One appointment the caller can see (own as patient or doctor, any as staff). Its reason and symptoms
 * are medical data, so the read is audited.
 * @throws AppError NOT_FOUND (missing or not the caller's)
 */
export async function getAppointment(ctx: ServiceContext, id: string): Promise<AppointmentView> {
  const { row, relation } = await visibleAppointment(ctx, id);
  await recordAudit(ctx, {
    action: 'appointment.read',
    resourceType: 'appointment',
    resourceId: row.id,
    patientId: row.patientId,
    metadata: { as: relation },
  });
  return appointmentView(ctx, row);
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
 * order they were written), at most HISTORY_LIMIT events.
 * @throws AppError NOT_FOUND (missing or not the caller's)
 */
export async function appointmentHistory(ctx: ServiceContext, id: string) {
  await visibleAppointment(ctx, id);
  const rows = await ctx.db
    .select()
    .from(appointmentEvents)
    .where(eq(appointmentEvents.appointmentId, id))
    .orderBy(asc(appointmentEvents.at), sql`rowid`)
    .limit(HISTORY_LIMIT)
    .all();
  return rows.map(toEventView);
}

/** "My appointments": a doctor's as the doctor, anyone else's as the patient. */
export async function listMyAppointments(
  ctx: ServiceContext,
  query: Omit<AppointmentListFilters, 'doctorId' | 'patientId'>,
): Promise<Page<AppointmentView>> {
  const actor = ctx.actor!;
  const doctor = actor.role === 'doctor';
  const mine = doctor ? eq(appointments.doctorId, actor.id) : eq(appointments.patientId, actor.id);
  const page = await listAppointments(ctx, mine, query);
  // A doctor's list shows patients' reasons and symptoms: audited like any read of others' medical data.
  if (doctor) await auditListRead(ctx, page, 'doctor');
  return page;
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

/** One audit event for a page of other people's appointments (ids only). */
async function auditListRead(ctx: ServiceContext, page: Page<AppointmentView>, as: 'doctor' | 'staff') {
  if (page.items.length === 0) return;
  await recordAudit(ctx, {
    action: 'appointment.list',
    resourceType: 'appointment',
    metadata: { as, ids: page.items.map((item) => item.id) },
  });
}

/** Every appointment, for front-desk staff, optionally of one doctor and/or one patient. */
export async function listAllAppointments(
  ctx: ServiceContext,
  query: AppointmentListFilters,
): Promise<Page<AppointmentView>> {
  const scope = and(
    query.doctorId ? eq(appointments.doctorId, query.doctorId) : undefined,
    query.patientId ? eq(appointments.patientId, query.patientId) : undefined,
  );
  const page = await listAppointments(ctx, scope, query);
  await auditListRead(ctx, page, 'staff');
  return page;
}

async function listAppointments(
  ctx: ServiceContext,
  scope: SQL | undefined,
  query: Omit<AppointmentListFilters, 'doctorId' | 'patientId'>,
): Promise<Page<AppointmentView>> {
  const filters: (SQL | undefined)[] = [scope];
  if (query.status) filters.push(inArray(appointments.status, query.status));
  if (query.from !== undefined) filters.push(gte(appointments.startsAt, query.from));
  if (query.to !== undefined) filters.push(lt(appointments.startsAt, query.to));
  if (query.upcoming) {
    filters.push(inArray(appointments.status, [...LIVE_STATUSES]));
    filters.push(gt(appointments.endsAt, ctx.clock.now().getTime()));
  }
  const direction = query.order === 'desc' ? desc : asc;
  const rows = await paginate(ctx.db, appointments, {
    where: and(...filters),
    orderBy: [direction(appointments.startsAt), direction(appointments.id)],
    page: query.page,
    limit: query.limit,
    map: (row) => row,
  });
  return { items: await appointmentViews(ctx, rows.items), pagination: rows.pagination };
}
