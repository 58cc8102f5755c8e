import { eq } from 'drizzle-orm';
import type { AuthedContext } from '../../context';
import { batchOf } from '../../db/batch';
import { appointments } from '../../db/schema';
import { AppError } from '../../lib/errors';
import { type DaysAround, nearestFreeSlots, slotsAroundQueries } from '../availability/free-slots.service';
import type { Slot } from '../availability/slots';
import { type AppointmentView, appointmentDetails, needsRebooking, seenBy } from './appointment-access';
import type { RescheduleInput } from './booking.schemas';
import { doctorServiceOf, doctorServiceQueries, ofAppointment } from './booking-target';
import { rescheduleAppointment } from './reschedule.service';

/** Local days searched for rebooking options before and after the appointment's own date. */
export const REBOOKING_DAYS: DaysAround = { before: 7, after: 30 };

/**
 * The doctor's free slots nearest an appointment waiting to be rebooked (the doctor's time off or
 * special hours took its time), for its own service: the `limit` starts nearest its original start,
 * before or after it, within REBOOKING_DAYS and by the rules of the public slots (so none before now
 * plus the minimum notice), in start order. Its own claimed time does not block them. One round trip:
 * the appointment, its doctor and service and their schedule and claims around it (by subqueries on the
 * appointment) are read together.
 * @throws AppError NOT_FOUND (not the caller's; doctor or service no longer bookable), INVALID_TRANSITION
 *   (the appointment does not wait to be rebooked)
 */
export async function rebookingOptions(
  ctx: AuthedContext,
  id: string,
  query: { limit: number },
): Promise<{ timeZone: string; options: Slot[] }> {
  const doctorId = ofAppointment(ctx, id, appointments.doctorId);
  const read = await batchOf(ctx.db, {
    rows: appointmentDetails(ctx).where(eq(appointments.id, id)),
    ...doctorServiceQueries(ctx, { doctorId, serviceId: ofAppointment(ctx, id, appointments.serviceId) }),
    ...slotsAroundQueries(ctx, doctorId, ofAppointment(ctx, id, appointments.startsAt), REBOOKING_DAYS, id),
  });
  const { row } = seenBy(ctx, read.rows[0]);
  if (!needsRebooking(row)) {
    throw new AppError(
      'INVALID_TRANSITION',
      'This appointment does not wait to be rebooked; pick a new time from GET /api/v1/doctors/{id}/slots and reschedule it',
      { details: { needsRebooking: false } },
    );
  }
  const { profile, service } = doctorServiceOf(read);
  const options = nearestFreeSlots(profile, read, {
    durationMinutes: service.durationMinutes,
    around: row.startsAt,
    now: ctx.clock.now().getTime(),
    limit: query.limit,
    days: REBOOKING_DAYS,
  });
  return { timeZone: profile.timeZone, options };
}

/**
 * Moves an appointment waiting to be rebooked to a start the doctor's schedule offers (by the rules and
 * in the one write of a reschedule, recorded and pushed as `rebook`); it then waits no more.
 * @throws AppError as `rescheduleAppointment`, and INVALID_TRANSITION for an appointment that does not
 *   wait to be rebooked (never flagged, or rebooked already)
 */
export function rebookAppointment(ctx: AuthedContext, id: string, input: RescheduleInput): Promise<AppointmentView> {
  return rescheduleAppointment(ctx, id, input, 'rebook');
}
