import { and, eq, getTableColumns, type SQLWrapper, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { AuthedContext, ServiceContext } from '../../context';
import type { BatchResults } from '../../db/batch';
import {
  appointments,
  type DoctorProfileRow,
  type DoctorServiceRow,
  doctorProfiles,
  doctorServices,
  type UserRow,
  users,
  type WeeklyHoursRow,
} from '../../db/schema';
import { AppError, notFound } from '../../lib/errors';
import { MINUTE_MS } from '../../lib/time';
import { offersStart, scheduleQueries } from '../availability/free-slots.service';
import type { Interval, SpecialDay } from '../availability/slots';
import { bookableWhere } from '../doctors/doctor-access';
import { isStaff } from './appointment-access';
import type { ClaimSpan } from './claims';

/**
 * Where a booking, hold, reschedule or follow-up goes, and for whom: the patient, the bookable doctor,
 * their service and schedule. Each is read by a statement for the caller's one read batch (`…Query`,
 * `…Queries`) and judged by a pure function on what it answered (`…Of`, `assertSlotAllowed`), so a
 * booking's checks cost one round trip together.
 */

export const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

/**
 * An id for a booking read: a value, or SQL (a subquery) reading it from another row in the same batch,
 * e.g. the doctor of the appointment being moved.
 */
export type Ref = string | SQLWrapper;

/** The column `column` of the appointment `id`, as a `Ref` (a subquery) for the same read batch. */
export const ofAppointment = (ctx: ServiceContext, id: string, column: SQLiteColumn) =>
  ctx.db.select({ value: column }).from(appointments).where(eq(appointments.id, id));

export type Patient = Pick<UserRow, 'id' | 'name'>;

/**
 * Whose booking or hold it is: a patient books for themselves (patientId left out or their own); staff
 * must name the patient. Checked before anything is read.
 * @throws AppError VALIDATION_FAILED (field patientId)
 */
export function bookingPatientId(ctx: AuthedContext, patientId: string | undefined): string {
  const actor = ctx.actor;
  const staff = isStaff(actor);
  if (!staff && patientId !== undefined && patientId !== actor.id) {
    throw invalid('patientId', 'Patients book for themselves only: leave patientId out');
  }
  if (staff && patientId === undefined) throw invalid('patientId', 'Required when staff book for a patient');
  return staff ? patientId! : actor.id;
}

/** The patient's account, for the read batch (see `bookingPatientOf`). */
export function patientQuery(ctx: ServiceContext, patientId: Ref) {
  return ctx.db
    .select({ id: users.id, name: users.name, role: users.role, status: users.status })
    .from(users)
    .where(eq(users.id, patientId));
}

/**
 * The patient `patientQuery` found, when it is an active patient account.
 * @throws AppError VALIDATION_FAILED (field patientId)
 */
export function bookingPatientOf(rows: { id: string; name: string; role: string; status: string }[]): Patient {
  const row = rows[0];
  if (row?.role !== 'user' || row.status !== 'active') {
    throw invalid('patientId', 'Not an active patient account');
  }
  return { id: row.id, name: row.name };
}

/** A bookable doctor, one of their active services, and their schedule around the start asked for. */
export interface BookingTarget {
  doctor: Pick<UserRow, 'id' | 'name'>;
  profile: DoctorProfileRow;
  service: DoctorServiceRow;
  schedule: { hours: WeeklyHoursRow[]; specialHours: SpecialDay[]; timeOff: Interval[] };
}

/**
 * What `bookingTargetOf` judges, for the caller's read batch: the bookable doctor with their profile,
 * the service (theirs and active) and the schedule around `startsAt`.
 */
export function bookingTargetQueries(ctx: ServiceContext, ref: { doctorId: Ref; serviceId: Ref }, startsAt: number) {
  return { ...doctorServiceQueries(ctx, ref), ...scheduleQueries(ctx, ref.doctorId, startsAt) };
}

/** The bookable doctor with their profile and the service (theirs and active), for a read batch. */
export function doctorServiceQueries(ctx: ServiceContext, ref: { doctorId: Ref; serviceId: Ref }) {
  return {
    doctor: ctx.db
      .select({ ...getTableColumns(doctorProfiles), doctorName: sql<string>`${users.name}`.as('doctor_name') })
      .from(users)
      .innerJoin(doctorProfiles, eq(doctorProfiles.userId, users.id))
      .where(bookableWhere(ref.doctorId)),
    service: ctx.db
      .select()
      .from(doctorServices)
      .where(
        and(
          eq(doctorServices.id, ref.serviceId),
          eq(doctorServices.doctorId, ref.doctorId),
          eq(doctorServices.active, true),
        ),
      ),
  };
}

/**
 * The bookable doctor and their active service that `doctorServiceQueries` read.
 * @throws AppError NOT_FOUND (doctor not bookable; service not theirs or inactive)
 */
export function doctorServiceOf(
  read: BatchResults<ReturnType<typeof doctorServiceQueries>>,
): Omit<BookingTarget, 'schedule'> {
  const found = read.doctor[0];
  if (!found) throw notFound('Doctor');
  const { doctorName, ...profile } = found;
  const service = read.service[0];
  if (!service) throw notFound('Service');
  return { doctor: { id: profile.userId, name: doctorName }, profile, service };
}

/** @throws AppError NOT_FOUND (doctor not bookable; service not theirs or inactive) */
export function bookingTargetOf(read: BatchResults<ReturnType<typeof bookingTargetQueries>>): BookingTarget {
  return {
    ...doctorServiceOf(read),
    schedule: { hours: read.hours, specialHours: read.specialHours, timeOff: read.timeOff },
  };
}

/** The time a booking of `target` at `startsAt` claims: the service's length plus the doctor's buffer. */
export function bookingSpan(target: BookingTarget, startsAt: number): ClaimSpan {
  return {
    doctorId: target.doctor.id,
    startsAt,
    endsAt: startsAt + target.service.durationMinutes * MINUTE_MS,
    bufferMinutes: target.profile.bufferMinutes,
  };
}

/**
 * Refuses a start the doctor's schedule does not offer for the service: weekly or special hours and grid, minimum
 * notice, booking horizon, time off and emergency unavailability (the rules of GET /doctors/{id}/slots).
 * Existing bookings and holds are not considered here: the claim in the booking batch settles those
 * (SLOT_UNAVAILABLE).
 * @throws AppError VALIDATION_FAILED (field startsAt)
 */
export function assertSlotAllowed(ctx: ServiceContext, target: BookingTarget, startsAt: number): void {
  const now = ctx.clock.now().getTime();
  if (!offersStart(target.profile, target.schedule, target.service.durationMinutes, startsAt, now)) {
    throw invalid(
      'startsAt',
      'Not a bookable slot of this doctor and service (outside their hours or grid, too soon, too far ahead, or during time off); pick one from GET /api/v1/doctors/{id}/slots',
    );
  }
}
