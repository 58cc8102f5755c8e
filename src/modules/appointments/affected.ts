import { and, asc, eq, gt, inArray, lt } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import { appointments } from '../../db/schema';
import type { Interval } from '../availability/slots';
import { appointmentDetails } from './appointment-access';
import { RESCHEDULABLE } from './reschedule.service';

/**
 * What a change of a doctor's schedule (special hours, time off) reads of their bookings: the
 * appointments that may still move (pending or confirmed) and are not over yet, overlapping `window`,
 * with the names their view shows, soonest first. A superset the caller filters by the exact rule.
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
