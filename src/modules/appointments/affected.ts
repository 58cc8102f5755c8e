import { and, asc, eq, gt, inArray, lt, type SQL, sql } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { alias } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../context';
import type { BatchResults, Statements } from '../../db/batch';
import {
  type AffectedKind,
  type AppointmentAction,
  appointmentEvents,
  appointments,
  userProfiles,
} from '../../db/schema';
import { page } from '../../lib/envelope';
import type { Interval } from '../availability/slots';
import {
  type AppointmentDetail,
  type AppointmentView,
  appointmentDetails,
  detailView,
  notifyParties,
  sqlEventId,
} from './appointment-access';
import { changeCountSql } from './appointment-notices';
import { appointmentReminderStatements, cancelAppointmentRemindersWhere } from './appointment-reminders';
import { type ListAudit, listStatements } from './queries.service';
import { RESCHEDULABLE } from './reschedule.service';

/**
 * Appointments whose time a change of the doctor's schedule (time off, special hours) took. The
 * schedule-changes module decides which (src/modules/schedule-changes); this file reads the bookings
 * it decides on and writes the flags, set-based, in the change's own batch:
 * - flagged: `needsRebooking`, with the change that took the time (`affectedBy`), a `needs-rebooking`
 *   history event, its pending reminders removed (no "in 1 hour" for a visit the doctor cannot attend),
 *   and a push to the patient (and the doctor when someone else made the change);
 * - restored when the change is undone: the flag cleared, a `rebooking-cleared` event, its reminders
 *   scheduled again and a push; the appointment keeps its time;
 * - relinked when another change still takes the time: it keeps waiting, now for that change.
 * The patient resolves a flagged appointment by rebooking it (rebooking.service.ts) or cancelling it with
 * a full refund (lifecycle.service.ts).
 */

/** The cause a flag names: the id of a time off or special hours and its kind. */
export interface AffectedBy {
  id: string;
  kind: AffectedKind;
}

/**
 * The appointments of one doctor that may still move (pending or confirmed) and are not over yet,
 * overlapping `window`, with the names their view shows, soonest first: a superset the caller filters by
 * its exact rule, for its read batch.
 */
export function movableAppointmentsQuery(ctx: ServiceContext, doctorId: string, window: Interval) {
  return appointmentDetails(ctx)
    .where(
      and(
        eq(appointments.doctorId, doctorId),
        inArray(appointments.status, RESCHEDULABLE),
        lt(appointments.startsAt, window.end),
        gt(appointments.endsAt, window.start),
        gt(appointments.endsAt, ctx.clock.now().getTime()),
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(appointments.id));
}

/** The appointments `cause` flagged that still wait to be rebooked, for a read batch. */
export function awaitingRebookingQuery(ctx: ServiceContext, doctorId: string, causeId: string) {
  return appointmentDetails(ctx)
    .where(
      and(
        eq(appointments.doctorId, doctorId),
        eq(appointments.affectedById, causeId),
        eq(appointments.needsRebooking, true),
        inArray(appointments.status, RESCHEDULABLE),
      ),
    )
    .orderBy(asc(appointments.startsAt), asc(appointments.id));
}

const patientProfile = alias(userProfiles, 'patient_profile');
const doctorProfile = alias(userProfiles, 'doctor_profile');

/**
 * For each appointment of the doctor waiting to be rebooked: its calendar SEQUENCE and its parties'
 * own zones, what scheduling its reminders again on a restore needs (for the undoing change's read batch).
 */
export function awaitingReminderFactsQuery(ctx: ServiceContext, doctorId: string) {
  return ctx.db
    .select({
      id: appointments.id,
      sequence: sql<number>`${changeCountSql}`.as('sequence'),
      patientZone: sql<string | null>`${patientProfile.timeZone}`.as('patient_zone'),
      doctorZone: sql<string | null>`${doctorProfile.timeZone}`.as('doctor_zone'),
    })
    .from(appointments)
    .leftJoin(patientProfile, eq(patientProfile.userId, appointments.patientId))
    .leftJoin(doctorProfile, eq(doctorProfile.userId, appointments.doctorId))
    .where(
      and(
        eq(appointments.doctorId, doctorId),
        eq(appointments.needsRebooking, true),
        inArray(appointments.status, RESCHEDULABLE),
      ),
    );
}

/** A row `awaitingReminderFactsQuery` read. */
export type AwaitingReminderFacts = {
  id: string;
  sequence: number;
  patientZone: string | null;
  doctorZone: string | null;
};

/** `appointments.id` is one of `ids`, bound as one JSON parameter (D1 binds at most 100 per statement). */
const idIn = (ids: string[]) => inArray(appointments.id, sql`(select value from json_each(${JSON.stringify(ids)}))`);

/** One history event per appointment matching `where` (same status before and after), by the caller. */
function eventsWhere(ctx: AuthedContext, where: SQL, action: AppointmentAction, data: Record<string, unknown>) {
  const db = ctx.db;
  return db.insert(appointmentEvents).select(
    db
      .select({
        id: sqlEventId(ctx).as('id'),
        appointmentId: appointments.id,
        action: sql<AppointmentAction>`${action}`.as('action'),
        fromStatus: appointments.status,
        toStatus: appointments.status,
        actorId: sql<string>`${ctx.actor.id}`.as('actorId'),
        actorRole: sql<string>`${ctx.actor.role}`.as('actorRole'),
        reason: sql<null>`null`.as('reason'),
        data: sql<string>`${JSON.stringify(data)}`.as('data'),
        at: sql<number>`${ctx.clock.now().getTime()}`.as('at'),
      })
      .from(appointments)
      .where(where),
  );
}

/**
 * Statements flagging the appointments `ids` as taken by `cause`, for the change's batch: of them, those
 * still pending or confirmed and not flagged yet get a `needs-rebooking` event and the flag; the last
 * statement returns their ids. The event names the cause and its kind, never the doctor's reason for
 * it (the patient reads the history).
 */
export function flagStatements(ctx: AuthedContext, ids: string[], cause: AffectedBy): BatchItem<'sqlite'>[] {
  if (!ids.length) return [];
  const where = and(idIn(ids), inArray(appointments.status, RESCHEDULABLE), eq(appointments.needsRebooking, false))!;
  const now = ctx.clock.now().getTime();
  return [
    eventsWhere(ctx, where, 'needs-rebooking', { affectedBy: { id: cause.id, kind: cause.kind } }),
    // Before the flag: `where` selects the unflagged ones only.
    cancelAppointmentRemindersWhere(ctx, where),
    ctx.db
      .update(appointments)
      .set({ needsRebooking: true, affectedById: cause.id, affectedKind: cause.kind, affectedAt: now, updatedAt: now })
      .where(where)
      .returning({ id: appointments.id }),
  ];
}

/**
 * Statements restoring the appointments `rows` that `causeId` flagged and that still wait: a
 * `rebooking-cleared` event, the flag and its cause cleared (they keep their time) and their reminders
 * scheduled again for that time (those whose time has not passed), from `facts` (read before the batch).
 */
export function restoreStatements(
  ctx: AuthedContext,
  rows: readonly AppointmentDetail[],
  causeId: string,
  facts: readonly AwaitingReminderFacts[],
): BatchItem<'sqlite'>[] {
  if (!rows.length) return [];
  const where = and(
    idIn(rows.map((r) => r.id)),
    eq(appointments.affectedById, causeId),
    eq(appointments.needsRebooking, true),
  )!;
  const now = ctx.clock.now().getTime();
  const reminders: Statements = rows.flatMap((row) => {
    const fact = facts.find((f) => f.id === row.id);
    return appointmentReminderStatements(
      ctx,
      {
        row,
        names: row,
        zones: [
          { userId: row.patientId, timeZone: fact?.patientZone ?? null },
          { userId: row.doctorId, timeZone: fact?.doctorZone ?? null },
        ],
        // The `rebooking-cleared` event written here is one more change.
        sequence: Number(fact?.sequence ?? 0) + 1,
        updatedAt: now,
      },
      now,
    );
  });
  return [
    eventsWhere(ctx, where, 'rebooking-cleared', { affectedBy: { id: causeId } }),
    ...reminders,
    ctx.db
      .update(appointments)
      .set({ needsRebooking: false, affectedById: null, affectedKind: null, affectedAt: null, updatedAt: now })
      .where(where),
  ];
}

/** The statement moving waiting appointments `ids` from `fromId` to another cause still taking their time. */
export function relinkStatement(ctx: ServiceContext, ids: string[], fromId: string, cause: AffectedBy) {
  return ctx.db
    .update(appointments)
    .set({ affectedById: cause.id, affectedKind: cause.kind })
    .where(and(idIn(ids), eq(appointments.affectedById, fromId), eq(appointments.needsRebooking, true)));
}

/** How a flagged row reads after `flagStatements` (for the answer, without reading it again). */
export function flaggedView(row: AppointmentDetail, cause: AffectedBy, now: number): AppointmentView {
  return detailView(row, {
    needsRebooking: true,
    affectedById: cause.id,
    affectedKind: cause.kind,
    affectedAt: now,
    updatedAt: now,
  });
}

/** How a restored row reads after `restoreStatements`. */
export function restoredView(row: AppointmentDetail, now: number): AppointmentView {
  return detailView(row, {
    needsRebooking: false,
    affectedById: null,
    affectedKind: null,
    affectedAt: null,
    updatedAt: now,
  });
}

/**
 * Tells each appointment's patient (and its doctor, unless they made the change) after the response:
 * `needs-rebooking` for the flagged, `rebooking-cleared` for the restored (`appointment:updated`).
 */
export function notifyAffected(
  ctx: ServiceContext,
  changes: { flagged?: AppointmentView[]; restored?: AppointmentView[] },
): void {
  for (const view of changes.flagged ?? []) notifyParties(ctx, 'needs-rebooking', view);
  for (const view of changes.restored ?? []) notifyParties(ctx, 'rebooking-cleared', view);
}

/**
 * A page of the appointments one cause flagged, whatever became of them since (waiting, rebooked,
 * cancelled), soonest first, as statements for the caller's read batch: the rows, their total and the
 * audit row of the read (the doctor's patients' appointments), written only when `guard` holds too
 * (the cause is the caller's to see).
 */
export function affectedPageQueries(
  ctx: AuthedContext,
  scope: { doctorId: string; causeId: string },
  query: { page: number; limit: number },
  audit: ListAudit,
) {
  const where = and(eq(appointments.doctorId, scope.doctorId), eq(appointments.affectedById, scope.causeId))!;
  return listStatements(ctx, where, [asc(appointments.startsAt), asc(appointments.id)], query, audit);
}

/** The page `affectedPageQueries` read. */
export function affectedPageOf(
  reads: BatchResults<ReturnType<typeof affectedPageQueries>>,
  query: { page: number; limit: number },
) {
  return page(
    reads.rows.map((row) => detailView(row)),
    reads.total[0]?.n ?? 0,
    query,
  );
}
