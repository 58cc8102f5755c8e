import { and, eq, sql } from 'drizzle-orm';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import { type AppointmentStatus, appointments } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { auditInsert } from '../audit/audit.service';
import { announceTimeFreed } from '../availability/time-freed';
import {
  type AppointmentView,
  appointmentDetails,
  detailView,
  eventGuardTripped,
  guardedEventStatement,
  needsRebooking,
  notifyParties,
  seenBy,
  visibleAppointment,
} from './appointment-access';
import { sequenceQuery } from './appointment-notices';
import { appointmentReminderStatements, partyZonesQuery } from './appointment-reminders';
import type { RescheduleInput } from './booking.schemas';
import { assertSlotAllowed, bookingTargetOf, bookingTargetQueries, invalid, ofAppointment } from './booking-target';
import { claimStatements, runClaimingBatch } from './claims';

/** Statuses whose time may still move. */
export const RESCHEDULABLE: readonly AppointmentStatus[] = ['pending', 'confirmed'];

/**
 * How an appointment is moved: `reschedule` (any pending or confirmed one) or `rebook` (only one waiting
 * to be rebooked, because the doctor's time off or special hours took its time). Both land on a start
 * the schedule offers, so both end the wait; a rebook is recorded and pushed as `rebook`.
 */
export type MoveKind = 'reschedule' | 'rebook';

/**
 * Moves a pending or confirmed appointment to another start the doctor's schedule offers for its
 * service; its status stays, and a wait to be rebooked ends (the new time is one the schedule offers).
 * One batch: the conditional UPDATE (still this status and this start, and for a rebook still waiting),
 * its guarded history event, then the claims: the old units are freed and the new ones claimed, so a
 * taken new time fails the whole batch and the appointment keeps its old time and claims; and its
 * reminders, scheduled again for the new start (those no longer ahead removed).
 * The claim span keeps the buffer snapshot taken at booking. Two round trips: the row, its doctor,
 * service and schedule are read in one batch (the doctor and service by subqueries on the row), then
 * the write.
 * @throws AppError NOT_FOUND (not the caller's; doctor or service no longer bookable), INVALID_TRANSITION
 *   (not pending or confirmed; a rebook of one that does not wait to be rebooked), VALIDATION_FAILED
 *   (startsAt), SLOT_UNAVAILABLE, CONFLICT (changed meanwhile)
 */
export async function rescheduleAppointment(
  ctx: AuthedContext,
  id: string,
  input: RescheduleInput,
  kind: MoveKind = 'reschedule',
): Promise<AppointmentView> {
  const startsAt = Date.parse(input.startsAt);
  const read = await batchOf(ctx.db, {
    rows: appointmentDetails(ctx).where(eq(appointments.id, id)),
    // The calendar SEQUENCE before the move, for the notice's .ics.
    sequence: sequenceQuery(ctx, id),
    ...bookingTargetQueries(
      ctx,
      {
        doctorId: ofAppointment(ctx, id, appointments.doctorId),
        serviceId: ofAppointment(ctx, id, appointments.serviceId),
      },
      startsAt,
    ),
    zones: partyZonesQuery(ctx, {
      patientId: ofAppointment(ctx, id, appointments.patientId),
      doctorId: ofAppointment(ctx, id, appointments.doctorId),
    }),
  });
  const { row } = seenBy(ctx, read.rows[0]);
  if (!RESCHEDULABLE.includes(row.status)) {
    throw new AppError('INVALID_TRANSITION', `A ${row.status} appointment cannot be ${MOVED[kind]}`);
  }
  if (kind === 'rebook' && !needsRebooking(row)) throw notWaiting();
  if (startsAt === row.startsAt) throw invalid('startsAt', 'The appointment already starts at this time');
  const target = bookingTargetOf(read);
  assertSlotAllowed(ctx, target, startsAt);

  const now = ctx.clock.now().getTime();
  const endsAt = startsAt + target.service.durationMinutes * 60_000;
  const span = { doctorId: row.doctorId, startsAt, endsAt, bufferMinutes: row.bufferMinutes };
  const from = new Date(row.startsAt).toISOString();
  const to = new Date(startsAt).toISOString();
  const affectedBy = needsRebooking(row) ? { id: row.affectedById, kind: row.affectedKind } : null;
  const data = { from, to, ...(affectedBy ? { affectedBy } : {}) };
  try {
    const [updated] = await runClaimingBatch(
      ctx,
      span,
      [
        ctx.db
          .update(appointments)
          .set({
            startsAt,
            endsAt,
            rescheduleCount: sql`${appointments.rescheduleCount} + 1`,
            needsRebooking: false,
            updatedAt: now,
          })
          .where(
            and(
              eq(appointments.id, id),
              eq(appointments.status, row.status),
              eq(appointments.startsAt, row.startsAt),
              kind === 'rebook' ? eq(appointments.needsRebooking, true) : undefined,
            ),
          )
          .returning(),
        guardedEventStatement(ctx, {
          appointmentId: id,
          action: kind,
          fromStatus: row.status,
          toStatus: row.status,
          reason: input.reason,
          data,
        }),
        ...claimStatements(ctx, span, { type: 'appointment', id, expiresAt: null }, { release: [id] }),
        // Scheduled again for the new start: the core moves each pending or sent one there.
        ...appointmentReminderStatements(
          ctx,
          {
            row: { ...row, startsAt, endsAt },
            names: row,
            zones: read.zones,
            sequence: Number(read.sequence[0]?.n ?? 0) + 1,
            updatedAt: now,
          },
          now,
        ),
        auditInsert(ctx, {
          action: `appointment.${kind}`,
          resourceType: 'appointment',
          resourceId: id,
          patientId: row.patientId,
          reason: input.reason ?? null,
          metadata: data,
        }),
      ],
      { ignore: [id] },
    );
    const view = detailView(row, updated[0]!);
    notifyParties(ctx, kind, view, {
      sequence: Number(read.sequence[0]?.n ?? 0) + 1,
      previousStartsAt: row.startsAt,
    });
    announceTimeFreed(ctx, row.doctorId);
    return view;
  } catch (err) {
    if (!eventGuardTripped(err)) throw err;
    throw await changedMeanwhile(ctx, id, row.startsAt, kind);
  }
}

const MOVED: Record<MoveKind, string> = { reschedule: 'rescheduled', rebook: 'rebooked' };

/** The 409 for a rebook of an appointment that does not wait to be rebooked (never flagged, or done). */
function notWaiting(): AppError {
  return new AppError(
    'INVALID_TRANSITION',
    'This appointment does not wait to be rebooked: the doctor’s schedule did not take its time, or it was rebooked already; reschedule it instead',
    { details: { needsRebooking: false } },
  );
}

/** The 409 for a move whose appointment changed between its read and its batch. */
async function changedMeanwhile(ctx: ServiceContext, id: string, readStart: number, kind: MoveKind): Promise<AppError> {
  const { row } = await visibleAppointment(ctx, id);
  if (!RESCHEDULABLE.includes(row.status)) {
    return new AppError(
      'INVALID_TRANSITION',
      `The appointment became ${row.status} meanwhile and cannot be ${MOVED[kind]}`,
    );
  }
  if (row.startsAt !== readStart) {
    return new AppError('CONFLICT', 'The appointment was rescheduled by someone else meanwhile; check its new time', {
      details: { startsAt: new Date(row.startsAt).toISOString() },
    });
  }
  if (kind === 'rebook' && !needsRebooking(row)) return notWaiting();
  return new AppError('CONFLICT', `The appointment changed meanwhile (now ${row.status}); try again`);
}
