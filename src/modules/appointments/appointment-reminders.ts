import { eq, or, type SQL } from 'drizzle-orm';
import type { ServiceContext } from '../../context';
import type { Statements } from '../../db/batch';
import { type AppointmentRow, appointments, userProfiles } from '../../db/schema';
import { HOUR_MS } from '../../lib/time';
import { cancelReminders, cancelRemindersIn, scheduleReminders } from '../notifications/reminders';
import type { Ref } from './booking-target';

/**
 * Appointment reminders: 24 h and 1 h before the start, to the patient and to the doctor. They are
 * written in the same batch as the booking, move with it (a reschedule or rebook schedules them again
 * for the new time) and are removed by every transition that ends the visit or starts it (see
 * TRANSITIONS' `reminders`), all through the notifications module's reminder core, which skips a
 * reminder whose time has already passed (a booking three hours ahead gets the 1 h one only).
 * A pending booking gets them too: its time is held for the patient and the practice may confirm it
 * at any moment; rejecting it removes them.
 */

/** The reminders of an appointment: the kind, the template's `lead` and how long before the start. */
export const APPOINTMENT_REMINDERS = [
  { kind: 'appointment.24h', lead: '24h', before: 24 * HOUR_MS },
  { kind: 'appointment.1h', lead: '1h', before: HOUR_MS },
] as const;

/** The subject of an appointment's notices. */
export const appointmentSubject = (id: string) => ({ type: 'appointment', id });

/** The statement reading the patient's and doctor's own zones (their profiles'), for the writer's read batch. */
export function partyZonesQuery(ctx: ServiceContext, parties: { patientId: Ref; doctorId: Ref }) {
  return ctx.db
    .select({ userId: userProfiles.userId, timeZone: userProfiles.timeZone })
    .from(userProfiles)
    .where(or(eq(userProfiles.userId, parties.patientId), eq(userProfiles.userId, parties.doctorId)));
}

/** What the reminders of one appointment are written from, as the writer has it after its change. */
export interface RemindedAppointment {
  row: Pick<AppointmentRow, 'id' | 'patientId' | 'doctorId' | 'startsAt' | 'endsAt' | 'type' | 'timeZone'>;
  names: { patientName: string | null; doctorName: string | null; serviceName: string | null };
  /** What `partyZonesQuery` answered. */
  zones: readonly { userId: string; timeZone: string | null }[];
  /** Changes after booking, this one included (0 for a new booking). */
  sequence: number;
  /** When the appointment changed (now). */
  updatedAt: number;
}

/**
 * The statements (for the writer's batch) scheduling an appointment's four reminders for its current
 * start, or moving them there: each party's are rendered in their profile's zone, or the appointment's
 * (the practice's) when they have none. Those whose time is not after `now` are not scheduled.
 */
export function appointmentReminderStatements(
  ctx: ServiceContext,
  input: RemindedAppointment,
  now: number,
): Statements {
  const { row, names } = input;
  const zoneOf = (userId: string) => input.zones.find((z) => z.userId === userId)?.timeZone ?? row.timeZone;
  const parties = [
    { recipientId: row.patientId, recipientRole: 'patient' },
    { recipientId: row.doctorId, recipientRole: 'doctor' },
  ] as const;
  return scheduleReminders(
    ctx,
    parties.flatMap(({ recipientId, recipientRole }) =>
      APPOINTMENT_REMINDERS.map(({ kind, lead, before }) => ({
        subject: appointmentSubject(row.id),
        kind,
        recipientId,
        dueAt: row.startsAt - before,
        type: 'reminder' as const,
        template: 'appointment-reminder' as const,
        data: {
          appointmentId: row.id,
          startsAt: row.startsAt,
          endsAt: row.endsAt,
          type: row.type,
          serviceName: names.serviceName,
          doctorName: names.doctorName,
          patientName: names.patientName,
          recipientRole,
          sequence: input.sequence,
          updatedAt: input.updatedAt,
          lead,
          timeZone: zoneOf(recipientId),
        },
      })),
    ),
    now,
  );
}

/** The statement removing an appointment's reminders not sent yet (for the writer's batch). */
export function cancelAppointmentReminders(ctx: ServiceContext, appointmentId: string) {
  return cancelReminders(ctx, appointmentSubject(appointmentId));
}

/**
 * The statement removing the reminders not sent yet of the appointments `where` selects, read in the
 * same statement (a set-based change, e.g. an account erasure cancelling many): place it before the
 * change that makes `where` stop matching them.
 */
export function cancelAppointmentRemindersWhere(ctx: ServiceContext, where: SQL | undefined) {
  return cancelRemindersIn(ctx, 'appointment', ctx.db.select({ id: appointments.id }).from(appointments).where(where));
}
