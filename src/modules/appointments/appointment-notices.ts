import { eq, type SQL, sql } from 'drizzle-orm';
import { type AnyNotifyInput, notify } from '../../access/notices';
import type { ServiceContext } from '../../context';
import { type AppointmentAction, appointmentEvents, appointments } from '../../db/schema';
import { qualified } from '../../db/sql';
import type { CancelledBy } from '../../lib/email/strings';

/**
 * The notices of appointment changes: booked, confirmed, rejected, cancelled, rescheduled and rebooked
 * go to the patient and the doctor through the notification pipeline (`notify`: enqueued after the
 * response, delivered by the queue consumer), each in their own language and zone, the email with the
 * appointment's `.ics`. Both parties get them, the one who made the change too: the calendar file keeps
 * their calendar right.
 */

/**
 * Changes after booking (confirm, reschedule, cancel…) of the appointment in the enclosing query: the
 * calendar event's SEQUENCE, the same in feeds and in the emails' `.ics`.
 */
export const changeCountSql = sql<number>`(select count(*) from ${appointmentEvents} where ${qualified(appointmentEvents.appointmentId)} = ${qualified(appointments.id)} and ${qualified(appointmentEvents.action)} <> 'book')`;

/** The statement reading the SEQUENCE of appointment `id` before a change, for the change's read batch. */
export function sequenceQuery(ctx: ServiceContext, id: string | SQL<string>) {
  return ctx.db.select({ n: changeCountSql }).from(appointments).where(eq(appointments.id, id));
}

/** What a notice says of an appointment: the fields of its view (`AppointmentView`) it reads. */
export interface NoticedAppointment {
  id: string;
  status: string;
  type: 'video' | 'in-person';
  patient: { id: string; name: string | null };
  doctor: { id: string; name: string | null };
  service: { name: string | null };
  startsAt: string;
  endsAt: string;
  timeZone: string;
  updatedAt: string;
  cancellation: { byUserId: string } | null;
}

/** What a change's notice needs beyond the view: the SEQUENCE after it, and the start before a move. */
export interface ChangeFacts {
  sequence: number;
  previousStartsAt?: number;
}

type AppointmentTemplate =
  | 'appointment-booked'
  | 'appointment-confirmed'
  | 'appointment-cancelled'
  | 'appointment-rescheduled';

/**
 * The notice of each action that has one, and its kind. A kind is unique per change where an action can
 * happen again (a second reschedule is a new notice; a redelivered job of the same one is not).
 */
const NOTICES: Partial<Record<AppointmentAction, { template: AppointmentTemplate; kind: (f: ChangeFacts) => string }>> =
  {
    book: { template: 'appointment-booked', kind: () => 'appointment.booked' },
    confirm: { template: 'appointment-confirmed', kind: () => 'appointment.confirmed' },
    reject: { template: 'appointment-cancelled', kind: () => 'appointment.rejected' },
    cancel: { template: 'appointment-cancelled', kind: () => 'appointment.cancelled' },
    reschedule: { template: 'appointment-rescheduled', kind: (f) => `appointment.rescheduled:${f.sequence}` },
    rebook: { template: 'appointment-rescheduled', kind: (f) => `appointment.rebooked:${f.sequence}` },
  };

/** Who ended it, as the cancellation email says: the patient, the doctor, or the practice (staff). */
function cancelledBy(ctx: ServiceContext, action: AppointmentAction, view: NoticedAppointment): CancelledBy {
  const by = action === 'cancel' ? view.cancellation?.byUserId : ctx.actor?.id;
  if (by === view.patient.id) return 'patient';
  if (by === view.doctor.id) return 'doctor';
  return 'practice';
}

/**
 * Sends the notice of `action` on the appointment `view` shows (after the change committed) to its
 * patient and doctor; an action without a notice (start, complete, no-show, the rebooking flags) sends
 * nothing. No D1 round trip: the jobs are enqueued after the response.
 */
export function noticeAppointmentChange(
  ctx: ServiceContext,
  action: AppointmentAction,
  view: NoticedAppointment,
  facts: ChangeFacts,
): void {
  const notice = NOTICES[action];
  if (!notice) return;
  const data = {
    appointmentId: view.id,
    startsAt: Date.parse(view.startsAt),
    endsAt: Date.parse(view.endsAt),
    type: view.type,
    serviceName: view.service.name,
    doctorName: view.doctor.name,
    patientName: view.patient.name,
    pending: view.status === 'pending',
    sequence: facts.sequence,
    updatedAt: Date.parse(view.updatedAt),
    timeZone: view.timeZone,
    ...(notice.template === 'appointment-cancelled' ? { cancelledBy: cancelledBy(ctx, action, view) } : {}),
    ...(notice.template === 'appointment-rescheduled' ? { previousStartsAt: facts.previousStartsAt } : {}),
  };
  const parties = [
    { id: view.patient.id, recipientRole: 'patient' },
    { id: view.doctor.id, recipientRole: 'doctor' },
  ] as const;
  notify(
    ctx,
    ...parties.map(
      (party) =>
        ({
          recipients: [party.id],
          kind: notice.kind(facts),
          type: 'appointment',
          template: notice.template,
          data: { ...data, recipientRole: party.recipientRole },
          subject: { type: 'appointment', id: view.id },
        }) as AnyNotifyInput,
    ),
  );
}
