import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { users } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { type AppointmentView, visibleAppointment } from './appointment-access';
import type { CreateFollowUpInput } from './booking.schemas';
import { assertSlotAllowed, bookingTarget, commitBooking, FOLLOW_UP_OF_STATUSES } from './booking.service';

/**
 * A follow-up of a completed or missed appointment, booked by its doctor or by staff: same patient and
 * doctor, by default the same service and type, on a start the doctor's schedule offers. It is
 * `confirmed` at once (the doctor asked for it) and written by the same batch as any booking.
 * @throws AppError NOT_FOUND (not the caller's appointment; service not the doctor's or inactive; doctor
 *   no longer bookable), INVALID_TRANSITION, CONFLICT (patient account not active), VALIDATION_FAILED,
 *   SLOT_UNAVAILABLE
 */
export async function createFollowUp(
  ctx: ServiceContext,
  appointmentId: string,
  input: CreateFollowUpInput,
): Promise<AppointmentView> {
  const { row: original } = await visibleAppointment(ctx, appointmentId, ['doctor', 'staff']);
  if (!FOLLOW_UP_OF_STATUSES.includes(original.status)) {
    throw new AppError(
      'INVALID_TRANSITION',
      `Only a completed or missed appointment can be followed up; this one is ${original.status}`,
    );
  }
  const patient = await ctx.db
    .select({ id: users.id, name: users.name, status: users.status })
    .from(users)
    .where(eq(users.id, original.patientId))
    .get();
  if (patient?.status !== 'active') throw new AppError('CONFLICT', 'The patient’s account is not active');
  const target = await bookingTarget(ctx, original.doctorId, input.serviceId ?? original.serviceId);
  const startsAt = Date.parse(input.startsAt);
  await assertSlotAllowed(ctx, target, startsAt);
  return commitBooking(ctx, {
    target,
    patient: { id: patient.id, name: patient.name },
    startsAt,
    type: input.type ?? original.type,
    status: 'confirmed',
    reason: input.reason,
    followUpOfId: original.id,
    auditAction: 'appointment.followUp.create',
  });
}
