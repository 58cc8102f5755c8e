import type { AdminSubRole, AppointmentRow, AppointmentStatus, Role } from '../../src/db/schema';
import { appointments, doctorProfiles, doctorServices, slotClaims, weeklyHours } from '../../src/db/schema';
import { claimUnits } from '../../src/modules/appointments/claims';
import { createUser, db, tokenFor, uniqueId } from '../helpers';

/** A signed-in account whose token is valid at `now` (tests use an injected clock). */
export async function account(role: Role, now: Date, subRoles: AdminSubRole[] = []) {
  const user = await createUser({ role, subRoles });
  return { user, token: await tokenFor(user, now) };
}

export interface PracticeOptions {
  timeZone?: string;
  slotMinutes?: number;
  bufferMinutes?: number;
  minNoticeMinutes?: number;
  maxDaysAhead?: number;
  /** weekday 1 = Monday … 7 = Sunday, local HH:MM; default every day 09:00–17:00. */
  hours?: { weekday: number; start: string; end: string }[];
  /** Durations of the services to create, in minutes; default [30, 60]. */
  serviceMinutes?: number[];
  priceCents?: number;
}

/**
 * A verified doctor ready to be booked: profile, services and weekly hours written straight to D1.
 * Each call makes a new doctor (storage is shared per test file).
 */
export async function practice(now: Date, options: PracticeOptions = {}) {
  const doctor = await account('doctor', now);
  const at = now.getTime();
  await db.insert(doctorProfiles).values({
    userId: doctor.user.id,
    qualifications: [],
    languages: ['en'],
    timeZone: options.timeZone ?? 'UTC',
    slotMinutes: options.slotMinutes ?? 30,
    bufferMinutes: options.bufferMinutes ?? 0,
    minNoticeMinutes: options.minNoticeMinutes ?? 0,
    maxDaysAhead: options.maxDaysAhead ?? 60,
    updatedAt: at,
  });
  const services = [];
  for (const minutes of options.serviceMinutes ?? [30, 60]) {
    const id = uniqueId('svc');
    await db.insert(doctorServices).values({
      id,
      doctorId: doctor.user.id,
      name: `Consultation ${minutes} min`,
      durationMinutes: minutes,
      priceCents: options.priceCents ?? 5000,
      currency: 'EUR',
      createdAt: at,
      updatedAt: at,
    });
    services.push({ id, minutes });
  }
  const hours = options.hours ?? [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' }));
  await db.insert(weeklyHours).values(
    hours.map((h) => ({
      id: uniqueId('wkh'),
      doctorId: doctor.user.id,
      weekday: h.weekday,
      startTime: h.start,
      endTime: h.end,
    })),
  );
  return { doctor, services, bufferMinutes: options.bufferMinutes ?? 0 };
}

/**
 * An appointment written straight to D1 with its slot claims, for tests of what happens after booking
 * (lifecycle, lists, attachments, calendar). Booking itself is tested through HTTP.
 */
export async function insertAppointment(input: {
  patientId: string;
  doctorId: string;
  serviceId: string;
  startsAt: string;
  minutes?: number;
  status?: AppointmentStatus;
  bufferMinutes?: number;
  timeZone?: string;
  priceCents?: number;
  followUpOfId?: string | null;
  paymentTiming?: AppointmentRow['paymentTiming'];
  paymentStatus?: AppointmentRow['paymentStatus'];
  paymentDueAt?: number | null;
}): Promise<AppointmentRow> {
  const startsAt = Date.parse(input.startsAt);
  const endsAt = startsAt + (input.minutes ?? 30) * 60_000;
  const status = input.status ?? 'pending';
  const row: AppointmentRow = {
    id: uniqueId('apt'),
    patientId: input.patientId,
    doctorId: input.doctorId,
    serviceId: input.serviceId,
    bookedBy: input.patientId,
    type: 'video',
    status,
    startsAt,
    endsAt,
    bufferMinutes: input.bufferMinutes ?? 0,
    timeZone: input.timeZone ?? 'UTC',
    reason: 'Check-up',
    symptoms: null,
    priceCents: input.priceCents ?? 5000,
    currency: 'EUR',
    followUpOfId: input.followUpOfId ?? null,
    holdId: null,
    refundPercent: null,
    refundDueCents: null,
    cancelledBy: null,
    cancellationReason: null,
    cancelledAt: null,
    rescheduleCount: 0,
    paymentTiming: input.paymentTiming ?? 'later',
    paymentStatus: input.paymentStatus ?? 'unpaid',
    paymentDueAt: input.paymentDueAt ?? null,
    paidAt: null,
    refundStatus: null,
    refundCents: 0,
    refundedAt: null,
    needsRebooking: false,
    affectedById: null,
    affectedKind: null,
    affectedAt: null,
    createdAt: startsAt - 86_400_000,
    updatedAt: startsAt - 86_400_000,
  };
  await db.insert(appointments).values(row);
  if (status === 'pending' || status === 'confirmed' || status === 'in-progress') {
    const units = claimUnits({ doctorId: row.doctorId, startsAt, endsAt, bufferMinutes: row.bufferMinutes });
    for (let i = 0; i < units.length; i += 20) {
      await db.insert(slotClaims).values(
        units.slice(i, i + 20).map((unitStart) => ({
          doctorId: row.doctorId,
          unitStart,
          ownerType: 'appointment' as const,
          ownerId: row.id,
          expiresAt: null,
        })),
      );
    }
  }
  return row;
}
