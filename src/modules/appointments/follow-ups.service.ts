import { eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { appointments } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { type AppointmentView, seenBy } from './appointment-access';
import { partyZonesQuery } from './appointment-reminders';
import type { CreateFollowUpInput } from './booking.schemas';
import { commitBooking, FOLLOW_UP_OF_STATUSES } from './booking.service';
import {
  assertSlotAllowed,
  bookingTargetOf,
  bookingTargetQueries,
  ofAppointment,
  patientQuery,
} from './booking-target';

/**
 * A follow-up of a completed or missed appointment, booked by its doctor or by staff: same patient and
 * doctor, by default the same service and type, on a start the doctor's schedule offers. It is
 * `confirmed` at once (the doctor asked for it) and written by the same batch as any booking. Two round
 * trips: the original, the patient, doctor, service and schedule are read in one batch (by subqueries on
 * the original), then the write.
 * @throws AppError NOT_FOUND (not the caller's appointment; service not the doctor's or inactive; doctor
 *   no longer bookable), INVALID_TRANSITION, CONFLICT (patient account not active), VALIDATION_FAILED,
 *   SLOT_UNAVAILABLE
 */
export async function createFollowUp(
  ctx: AuthedContext,
  appointmentId: string,
  input: CreateFollowUpInput,
): Promise<AppointmentView> {
  const startsAt = Date.parse(input.startsAt);
  const of = (column: Parameters<typeof ofAppointment>[2]) => ofAppointment(ctx, appointmentId, column);
  const read = await batchOf(ctx.db, {
    original: ctx.db.select().from(appointments).where(eq(appointments.id, appointmentId)),
    patient: patientQuery(ctx, of(appointments.patientId)),
    ...bookingTargetQueries(
      ctx,
      { doctorId: of(appointments.doctorId), serviceId: input.serviceId ?? of(appointments.serviceId) },
      startsAt,
    ),
    zones: partyZonesQuery(ctx, { patientId: of(appointments.patientId), doctorId: of(appointments.doctorId) }),
  });
  const { row: original } = seenBy(ctx, read.original[0], ['doctor', 'staff']);
  if (!FOLLOW_UP_OF_STATUSES.includes(original.status)) {
    throw new AppError(
      'INVALID_TRANSITION',
      `Only a completed or missed appointment can be followed up; this one is ${original.status}`,
    );
  }
  const patient = read.patient[0];
  if (patient?.status !== 'active') throw new AppError('CONFLICT', 'The patient’s account is not active');
  const target = bookingTargetOf(read);
  assertSlotAllowed(ctx, target, startsAt);
  return commitBooking(ctx, {
    target,
    patient: { id: patient.id, name: patient.name },
    startsAt,
    type: input.type ?? original.type,
    status: 'confirmed',
    reason: input.reason,
    followUpOfId: original.id,
    zones: read.zones,
    auditAction: 'appointment.followUp.create',
  });
}
