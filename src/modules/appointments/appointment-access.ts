import { and, eq, getTableColumns, or, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Actor, AuthedContext, ServiceContext } from '../../context';
import {
  type AppointmentAction,
  type AppointmentRow,
  type AppointmentStatus,
  appointmentAttachments,
  appointmentEvents,
  appointments,
  doctorServices,
  users,
} from '../../db/schema';
import { ifOneRowChanged, isNotNullViolation, qualified } from '../../db/sql';
import { notFound } from '../../lib/errors';
import { iso, localDateAt, localTimeAt } from '../../lib/time';
import { type ChangeFacts, noticeAppointmentChange } from './appointment-notices';

/** Front-desk staff: see and manage every appointment (row checks below). */
export function isStaff(actor: Actor): boolean {
  return actor.role === 'receptionist' || actor.role === 'admin' || actor.role === 'superadmin';
}

/** How the caller relates to an appointment, or null when it is none of their business. */
export type Relation = 'patient' | 'doctor' | 'staff';

export function relationTo(actor: Actor, row: Pick<AppointmentRow, 'patientId' | 'doctorId'>): Relation | null {
  if (row.patientId === actor.id) return 'patient';
  if (row.doctorId === actor.id) return 'doctor';
  if (isStaff(actor)) return 'staff';
  return null;
}

const EVERYONE: readonly Relation[] = ['patient', 'doctor', 'staff'];

/**
 * The appointment a read found, when the caller may see it as one of `allowed`: their own as patient or
 * doctor, any as staff. Anyone else gets NOT_FOUND, exactly as for an id that does not exist.
 * @throws AppError NOT_FOUND
 */
export function seenBy<R extends Pick<AppointmentRow, 'patientId' | 'doctorId'>>(
  ctx: ServiceContext,
  row: R | undefined,
  allowed: readonly Relation[] = EVERYONE,
): { row: R; relation: Relation } {
  const relation = row && ctx.actor ? relationTo(ctx.actor, row) : null;
  if (!row || !relation || !allowed.includes(relation)) throw notFound('Appointment');
  return { row, relation };
}

/**
 * The condition `seenBy` checks, in SQL, on the `appointments` row of `id`: for the statements a read
 * batch sends beside the row before it knows whether the caller may see it (its audit row, which must
 * be written exactly when the read is allowed).
 */
export function seenWhere(ctx: AuthedContext, id: string, allowed: readonly Relation[] = EVERYONE): SQL {
  const actor = ctx.actor;
  const as: SQL[] = [];
  if (allowed.includes('patient')) as.push(eq(qualified(appointments.patientId), actor.id));
  if (allowed.includes('doctor')) as.push(eq(qualified(appointments.doctorId), actor.id));
  if (allowed.includes('staff') && isStaff(actor)) as.push(sql`1`);
  return and(eq(qualified(appointments.id), id), as.length ? or(...as) : sql`0`)!;
}

/** The caller's relation to the row `seenWhere` selected, in SQL (patient before doctor before staff, as `relationTo`). */
export function relationSql(ctx: AuthedContext): SQL<Relation> {
  const actor = ctx.actor;
  return sql<Relation>`(case when ${qualified(appointments.patientId)} = ${actor.id} then 'patient' when ${qualified(appointments.doctorId)} = ${actor.id} then 'doctor' else 'staff' end)`;
}

/**
 * An appointment the caller may see, with the names its view shows, in one query; for services whose
 * only read it is (the others put `appointmentDetails` into their read batch and call `seenBy`).
 * @throws AppError NOT_FOUND
 */
export async function visibleAppointment(
  ctx: ServiceContext,
  id: string,
  allowed: readonly Relation[] = EVERYONE,
): Promise<{ row: AppointmentDetail; relation: Relation }> {
  const [row] = ctx.actor ? await appointmentDetails(ctx).where(eq(appointments.id, id)) : [];
  return seenBy(ctx, row, allowed);
}

/** The history row of one action on an appointment, to run in the same batch as the change. */
export function eventStatement(
  ctx: AuthedContext,
  input: {
    appointmentId: string;
    action: AppointmentAction;
    fromStatus: AppointmentStatus | null;
    toStatus: AppointmentStatus;
    reason?: string | null;
    data?: Record<string, unknown> | null;
  },
) {
  const actor = ctx.actor;
  return ctx.db.insert(appointmentEvents).values({
    id: ctx.ids.id('aev'),
    appointmentId: input.appointmentId,
    action: input.action,
    fromStatus: input.fromStatus,
    toStatus: input.toStatus,
    actorId: actor.id,
    actorRole: actor.role,
    reason: input.reason ?? null,
    data: input.data ?? null,
    at: ctx.clock.now().getTime(),
  });
}

/**
 * The history row of an action, placed right after the conditional UPDATE it records: its `to_status`
 * is NULL (a NOT NULL violation that rolls back the whole batch) unless that UPDATE changed exactly one
 * row. So a transition whose precondition no longer held when it ran (another request changed the
 * status first) leaves nothing behind; `eventGuardTripped` recognises the failure.
 */
export function guardedEventStatement(ctx: AuthedContext, input: Parameters<typeof eventStatement>[1]) {
  const actor = ctx.actor;
  return ctx.db.insert(appointmentEvents).values({
    id: ctx.ids.id('aev'),
    appointmentId: input.appointmentId,
    action: input.action,
    fromStatus: input.fromStatus,
    toStatus: ifOneRowChanged<AppointmentStatus>(input.toStatus),
    actorId: actor.id,
    actorRole: actor.role,
    reason: input.reason ?? null,
    data: input.data ?? null,
    at: ctx.clock.now().getTime(),
  });
}

/**
 * A history event id computed in SQL, one per row of an INSERT … SELECT (a change of many appointments in
 * one statement): this instant's ULID time part plus 64 random bits, so ids stay time-sortable.
 */
export function sqlEventId(ctx: ServiceContext): SQL<string> {
  return sql<string>`${ctx.ids.id('aev').slice(0, 14)} || substr(hex(randomblob(8)), 1, 16)`;
}

/** Whether a batch failed because a `guardedEventStatement` found its UPDATE changed no row. */
export function eventGuardTripped(err: unknown): boolean {
  return isNotNullViolation(err, appointmentEvents.toStatus);
}

/**
 * Whether the patient is still to rebook (or cancel) an appointment whose time a schedule change took:
 * flagged, and still pending or confirmed.
 */
export function needsRebooking(row: Pick<AppointmentRow, 'needsRebooking' | 'status'>): boolean {
  return row.needsRebooking && (row.status === 'pending' || row.status === 'confirmed');
}

const localLabel = (ms: number, zone: string) => `${localDateAt(ms, zone)}T${localTimeAt(ms, zone)}`;

export type AppointmentView = ReturnType<typeof toAppointmentView>;

/** The client's view of an appointment row plus the names it shows. */
export function toAppointmentView(
  row: AppointmentRow,
  names: {
    patientName: string | null;
    doctorName: string | null;
    serviceName: string | null;
    serviceMinutes: number | null;
    attachmentCount: number;
  },
) {
  return {
    id: row.id,
    status: row.status,
    type: row.type,
    patient: { id: row.patientId, name: names.patientName },
    doctor: { id: row.doctorId, name: names.doctorName },
    service: {
      id: row.serviceId,
      name: names.serviceName,
      durationMinutes: names.serviceMinutes ?? Math.round((row.endsAt - row.startsAt) / 60_000),
    },
    startsAt: iso(row.startsAt),
    endsAt: iso(row.endsAt),
    timeZone: row.timeZone,
    localStart: localLabel(row.startsAt, row.timeZone),
    localEnd: localLabel(row.endsAt, row.timeZone),
    reason: row.reason,
    symptoms: row.symptoms,
    price: { amountCents: row.priceCents, currency: row.currency },
    followUpOfId: row.followUpOfId,
    holdId: row.holdId,
    cancellation:
      row.cancelledAt === null
        ? null
        : {
            at: iso(row.cancelledAt),
            byUserId: row.cancelledBy ?? '',
            reason: row.cancellationReason,
            refund: {
              percent: row.refundPercent ?? 0,
              amountCents: row.refundDueCents ?? 0,
              currency: row.currency,
            },
          },
    payment: {
      status: row.paymentStatus,
      timing: row.paymentTiming,
      dueAt: row.paymentDueAt === null ? null : iso(row.paymentDueAt),
      paidAt: row.paidAt === null ? null : iso(row.paidAt),
    },
    refund:
      row.refundStatus === null
        ? null
        : {
            amountCents: row.refundCents,
            currency: row.currency,
            status: row.refundStatus,
            refundedAt: row.refundedAt === null ? null : iso(row.refundedAt),
          },
    rescheduleCount: row.rescheduleCount,
    needsRebooking: needsRebooking(row),
    affectedBy:
      row.affectedById === null || row.affectedKind === null
        ? null
        : { id: row.affectedById, kind: row.affectedKind, at: iso(row.affectedAt ?? row.updatedAt) },
    attachmentCount: names.attachmentCount,
    createdAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
  };
}

const patientUser = alias(users, 'patient_user');
const doctorUser = alias(users, 'doctor_user');

/** An appointment row read with the names and count its view shows (`appointmentDetails`). */
export type AppointmentDetail = AppointmentRow & ViewNames;

type ViewNames = Parameters<typeof toAppointmentView>[1];

/**
 * Appointment rows with the patient's, doctor's and service's names and the attachment count, as one
 * statement to filter, order and put into a read batch. The joined columns are aliased: in a batch,
 * same-named columns of joined tables overwrite each other.
 * @example const [rows] = await ctx.db.batch([appointmentDetails(ctx).where(eq(appointments.id, id)), …]);
 */
export function appointmentDetails(ctx: ServiceContext) {
  return ctx.db
    .select({
      ...getTableColumns(appointments),
      patientName: sql<string | null>`${patientUser.name}`.as('patient_name'),
      doctorName: sql<string | null>`${doctorUser.name}`.as('doctor_name'),
      serviceName: sql<string | null>`${doctorServices.name}`.as('service_name'),
      serviceMinutes: sql<number | null>`${doctorServices.durationMinutes}`.as('service_minutes'),
      attachmentCount:
        sql<number>`(select count(*) from ${appointmentAttachments} where ${qualified(appointmentAttachments.appointmentId)} = ${qualified(appointments.id)})`.as(
          'attachment_count',
        ),
    })
    .from(appointments)
    .leftJoin(patientUser, eq(patientUser.id, appointments.patientId))
    .leftJoin(doctorUser, eq(doctorUser.id, appointments.doctorId))
    .leftJoin(doctorServices, eq(doctorServices.id, appointments.serviceId));
}

/** The view of a row read by `appointmentDetails`, with `changes` a write made since (its names stay). */
export function detailView(detail: AppointmentDetail, changes: Partial<AppointmentRow> = {}): AppointmentView {
  return toAppointmentView({ ...detail, ...changes }, detail);
}

/**
 * Pushes `appointment:updated` `{ action, appointment }` to the appointment's patient and doctor, except
 * the caller who made the change (their answer already says it), after the response (`ctx.defer`), so the
 * push costs the request nothing. Called after the change committed; a party with no socket open loses
 * nothing, the appointment and its history are stored. With `facts` (the SEQUENCE after the change),
 * the change's notice goes to both parties through the notification pipeline too
 * (`noticeAppointmentChange`, also after the response).
 */
export function notifyParties(
  ctx: ServiceContext,
  action: AppointmentAction,
  view: AppointmentView,
  facts?: ChangeFacts,
): void {
  const parties = [view.patient.id, view.doctor.id].filter((id) => id !== ctx.actor?.id);
  for (const id of new Set(parties)) {
    ctx.defer(ctx.ports.realtime.notify(id, 'appointment:updated', { action, appointment: view }));
  }
  if (facts) noticeAppointmentChange(ctx, action, view, facts);
}

/** The statuses in which an appointment ties a doctor to a patient's care (records access). */
export const CARE_STATUSES: readonly AppointmentStatus[] = ['confirmed', 'in-progress', 'completed'];

/**
 * SQL true when `doctorId` has a confirmed, in-progress or completed appointment with `patientId`
 * starting at or after `sinceMs` (SQL, so a setting can decide it inside the same statement): the care
 * relationship that opens a patient's medical record to their doctor.
 */
export function careRelationSql(patientId: string | SQL, doctorId: string, sinceMs: SQL<number>): SQL {
  return sql`exists (select 1 from ${appointments} where ${qualified(appointments.patientId)} = ${patientId} and ${qualified(appointments.doctorId)} = ${doctorId} and ${qualified(appointments.status)} in (${sql.join(
    CARE_STATUSES.map((s) => sql`${s}`),
    sql`, `,
  )}) and ${qualified(appointments.startsAt)} >= ${sinceMs})`;
}
