import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { ServiceContext } from '../../context';
import {
  type AppointmentHoldRow,
  type AppointmentRow,
  type AppointmentStatus,
  type AppointmentType,
  appointmentAttachments,
  appointmentHolds,
  appointments,
  type DoctorProfileRow,
  type DoctorServiceRow,
  doctorServices,
  type UserRow,
  users,
} from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError, notFound } from '../../lib/errors';
import { MINUTE_MS } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { scheduleOffersStart } from '../availability/availability.service';
import { bookableDoctor } from '../doctors/doctor-access';
import {
  type AppointmentView,
  eventGuardTripped,
  eventStatement,
  guardedEventStatement,
  isStaff,
  notifyParties,
  toAppointmentView,
  visibleAppointment,
} from './appointment-access';
import { attachmentLinkStatements } from './attachments.service';
import type { BookAppointmentInput } from './booking.schemas';
import { type ClaimSpan, claimStatements, claimUnits, runClaimingBatch } from './claims';
import { idempotentRequest, runIdempotent, type StoredResponse } from './idempotency';

/**
 * Booking: who a booking is for, which doctor and service, whether the start is one the schedule
 * offers, and the one batch that writes an appointment (shared by POST /appointments and follow-ups).
 * Taken time is never checked by reading: the batch claims the span's 5-minute units (claims.ts) and
 * the database refuses the second claim, so concurrent bookings cannot both win.
 */

/** The idempotency scope of POST /appointments. */
export const BOOK_SCOPE = 'appointments.book';

/** Statuses an appointment must have to be followed up. */
export const FOLLOW_UP_OF_STATUSES: readonly AppointmentStatus[] = ['completed', 'no-show'];

export const invalid = (field: string, message: string) =>
  new AppError('VALIDATION_FAILED', 'Validation failed', { fields: [{ field, message }] });

export type Patient = Pick<UserRow, 'id' | 'name'>;

/**
 * The patient a booking or hold is for: a patient books for themselves (patientId left out or their
 * own); staff must name an active patient account.
 * @throws AppError VALIDATION_FAILED (field patientId)
 */
export async function bookingPatient(ctx: ServiceContext, patientId: string | undefined): Promise<Patient> {
  const actor = ctx.actor!;
  const staff = isStaff(actor);
  if (!staff && patientId !== undefined && patientId !== actor.id) {
    throw invalid('patientId', 'Patients book for themselves only: leave patientId out');
  }
  if (staff && patientId === undefined) throw invalid('patientId', 'Required when staff book for a patient');
  const row = await ctx.db
    .select({ id: users.id, name: users.name, role: users.role, status: users.status })
    .from(users)
    .where(eq(users.id, staff ? patientId! : actor.id))
    .get();
  if (row?.role !== 'user' || row.status !== 'active') {
    throw invalid('patientId', 'Not an active patient account');
  }
  return { id: row.id, name: row.name };
}

/** A bookable doctor and one of their active services. */
export interface BookingTarget {
  doctor: Pick<UserRow, 'id' | 'name'>;
  profile: DoctorProfileRow;
  service: DoctorServiceRow;
}

/** @throws AppError NOT_FOUND (doctor not bookable; service not theirs or inactive) */
export async function bookingTarget(ctx: ServiceContext, doctorId: string, serviceId: string): Promise<BookingTarget> {
  const { user, profile } = await bookableDoctor(ctx, doctorId);
  const service = await ctx.db
    .select()
    .from(doctorServices)
    .where(
      and(eq(doctorServices.id, serviceId), eq(doctorServices.doctorId, doctorId), eq(doctorServices.active, true)),
    )
    .get();
  if (!service) throw notFound('Service');
  return { doctor: { id: user.id, name: user.name }, profile, service };
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
 * Refuses a start the doctor's schedule does not offer for the service: weekly hours and grid, minimum
 * notice, booking horizon, time off and emergency unavailability (the rules of GET /doctors/{id}/slots).
 * Existing bookings and holds are not considered here: the claim in the booking batch settles those
 * (SLOT_UNAVAILABLE).
 * @throws AppError VALIDATION_FAILED (field startsAt)
 */
export async function assertSlotAllowed(ctx: ServiceContext, target: BookingTarget, startsAt: number): Promise<void> {
  if (!(await scheduleOffersStart(ctx, target.profile, target.service.durationMinutes, startsAt))) {
    throw invalid(
      'startsAt',
      'Not a bookable slot of this doctor and service (outside their hours or grid, too soon, too far ahead, or during time off); pick one from GET /api/v1/doctors/{id}/slots',
    );
  }
}

/**
 * Why a hold can no longer become an appointment, or null while it can.
 * An expired hold is one whose `expiresAt` has passed by the injected clock, swept or not.
 */
export function holdProblem(hold: AppointmentHoldRow, now: number): AppError | null {
  if (hold.appointmentId !== null) return new AppError('CONFLICT', 'This hold has already been booked');
  if (hold.releasedAt !== null) return new AppError('CONFLICT', 'This hold was released; hold or book the slot again');
  if (hold.expiresAt <= now) {
    return new AppError('HOLD_EXPIRED', 'This hold has expired; book the slot again if it is still free', {
      details: { expiredAt: new Date(hold.expiresAt).toISOString() },
    });
  }
  return null;
}

/** The patient's live holds on the doctor whose claimed time overlaps `span` (released by a booking without holdId). */
async function overlappingHoldIds(ctx: ServiceContext, patientId: string, span: ClaimSpan): Promise<string[]> {
  const units = claimUnits(span);
  const spanEnd = units[units.length - 1]! + 5 * MINUTE_MS;
  const holds = await ctx.db
    .select({
      id: appointmentHolds.id,
      startsAt: appointmentHolds.startsAt,
      endsAt: appointmentHolds.endsAt,
      bufferMinutes: appointmentHolds.bufferMinutes,
    })
    .from(appointmentHolds)
    .where(
      and(
        eq(appointmentHolds.patientId, patientId),
        eq(appointmentHolds.doctorId, span.doctorId),
        isNull(appointmentHolds.appointmentId),
        isNull(appointmentHolds.releasedAt),
        gt(appointmentHolds.expiresAt, ctx.clock.now().getTime()),
        lt(appointmentHolds.startsAt, spanEnd),
      ),
    )
    .all();
  return holds.filter((h) => h.endsAt + h.bufferMinutes * MINUTE_MS > units[0]!).map((h) => h.id);
}

/**
 * Refuses a follow-up of an appointment the caller cannot see (404), of another patient or doctor, or
 * one that is not completed or missed.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (field followUpOfId)
 */
async function assertFollowUpOf(ctx: ServiceContext, id: string, patientId: string, doctorId: string): Promise<void> {
  const { row } = await visibleAppointment(ctx, id);
  if (row.patientId !== patientId || row.doctorId !== doctorId) {
    throw invalid('followUpOfId', 'Must be an appointment of the same patient with the same doctor');
  }
  if (!FOLLOW_UP_OF_STATUSES.includes(row.status)) {
    throw invalid('followUpOfId', 'Only a completed or missed (no-show) appointment can be followed up');
  }
}

/** Everything one booking writes, decided before the batch. */
export interface BookingPlan {
  target: BookingTarget;
  patient: Patient;
  startsAt: number;
  type: AppointmentType;
  status: 'pending' | 'confirmed';
  reason?: string | null;
  symptoms?: string | null;
  followUpOfId?: string | null;
  /** The patient's live hold on exactly this slot, converted by this booking. */
  hold?: AppointmentHoldRow | null;
  /** The patient's other live holds in the way, released by this booking. */
  releaseHoldIds?: string[];
  /** The caller's uploaded files (purpose `attachment`) to link. */
  attachmentIds?: string[];
  /** Audit action, e.g. `appointment.book`. */
  auditAction: string;
  /** Statements that commit with the booking given its response (e.g. the idempotency row); they run first. */
  before?: (view: AppointmentView) => BatchItem<'sqlite'>[];
}

/**
 * Writes an appointment in one batch (one transaction): claims of its span (releasing the converted
 * hold's and the patient's overlapping holds' units), the appointment row with price, buffer and time
 * zone snapshots, the `book` history event, the hold's conversion, attachment links and the audit event.
 * Any failure leaves nothing behind. A converted hold is updated only while still live; if it was used,
 * released or expired meanwhile, the history row's guard rolls the batch back.
 * @throws AppError SLOT_UNAVAILABLE, HOLD_EXPIRED, CONFLICT (hold used or released meanwhile; file attached
 *   meanwhile), VALIDATION_FAILED (field attachmentIds)
 */
export async function commitBooking(ctx: ServiceContext, plan: BookingPlan): Promise<AppointmentView> {
  const now = ctx.clock.now().getTime();
  const span = bookingSpan(plan.target, plan.startsAt);
  const { service, profile } = plan.target;
  const row: AppointmentRow = {
    id: ctx.ids.id('apt'),
    patientId: plan.patient.id,
    doctorId: plan.target.doctor.id,
    serviceId: service.id,
    bookedBy: ctx.actor!.id,
    type: plan.type,
    status: plan.status,
    startsAt: span.startsAt,
    endsAt: span.endsAt,
    bufferMinutes: profile.bufferMinutes,
    timeZone: profile.timeZone,
    reason: plan.reason ?? null,
    symptoms: plan.symptoms ?? null,
    priceCents: service.priceCents,
    currency: service.currency,
    followUpOfId: plan.followUpOfId ?? null,
    holdId: plan.hold?.id ?? null,
    refundPercent: null,
    refundDueCents: null,
    cancelledBy: null,
    cancellationReason: null,
    cancelledAt: null,
    rescheduleCount: 0,
    createdAt: now,
    updatedAt: now,
  };
  const fileIds = [...new Set(plan.attachmentIds ?? [])];
  const attachments = await attachmentLinkStatements(ctx, {
    appointmentId: row.id,
    ownerId: ctx.actor!.id,
    fileIds,
  });
  const view = toAppointmentView(row, {
    patientName: plan.patient.name,
    doctorName: plan.target.doctor.name,
    serviceName: service.name,
    serviceMinutes: service.durationMinutes,
    attachmentCount: fileIds.length,
  });

  const hold = plan.hold ?? null;
  const released = plan.releaseHoldIds ?? [];
  const freed = [...(hold ? [hold.id] : []), ...released];
  const event = {
    appointmentId: row.id,
    action: 'book',
    fromStatus: null,
    toStatus: row.status,
    data: row.followUpOfId ? { followUpOf: row.followUpOfId } : null,
  } as const;
  const statements: BatchItem<'sqlite'>[] = [
    ...(plan.before?.(view) ?? []),
    ...claimStatements(ctx, span, { type: 'appointment', id: row.id, expiresAt: null }, { release: freed }),
    ctx.db.insert(appointments).values(row),
  ];
  if (released.length) {
    statements.push(
      ctx.db
        .update(appointmentHolds)
        .set({ releasedAt: now })
        .where(
          and(
            inArray(appointmentHolds.id, released),
            isNull(appointmentHolds.appointmentId),
            isNull(appointmentHolds.releasedAt),
          ),
        ),
    );
  }
  if (hold) {
    // The conversion must change exactly this one live hold: the guarded event right after checks it.
    statements.push(
      ctx.db
        .update(appointmentHolds)
        .set({ appointmentId: row.id })
        .where(
          and(
            eq(appointmentHolds.id, hold.id),
            isNull(appointmentHolds.appointmentId),
            isNull(appointmentHolds.releasedAt),
            gt(appointmentHolds.expiresAt, now),
          ),
        ),
      guardedEventStatement(ctx, event),
    );
  } else {
    statements.push(eventStatement(ctx, event));
  }
  statements.push(
    ...attachments,
    auditInsert(ctx, {
      action: plan.auditAction,
      resourceType: 'appointment',
      resourceId: row.id,
      patientId: row.patientId,
      metadata: {
        doctorId: row.doctorId,
        serviceId: row.serviceId,
        startsAt: view.startsAt,
        status: row.status,
        holdId: row.holdId,
        followUpOfId: row.followUpOfId,
        attachments: fileIds.length,
      },
    }),
  );

  try {
    await runClaimingBatch(ctx, span, statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]], freed);
  } catch (err) {
    if (hold && eventGuardTripped(err)) {
      const current = await ctx.db.select().from(appointmentHolds).where(eq(appointmentHolds.id, hold.id)).get();
      throw (
        (current && holdProblem(current, ctx.clock.now().getTime())) ??
        new AppError('CONFLICT', 'The hold changed meanwhile')
      );
    }
    if (isUniqueViolation(err, appointmentAttachments)) {
      throw new AppError('CONFLICT', 'A file was attached to another appointment meanwhile', {
        fields: [{ field: 'attachmentIds', message: 'Already attached to an appointment' }],
      });
    }
    throw err;
  }
  notifyParties(ctx, 'book', view);
  return view;
}

/**
 * POST /appointments: books a `pending` appointment for the caller (or, for staff, the patient named),
 * converting their hold when `holdId` is given; otherwise the start must be a slot the schedule offers,
 * and the patient's own live holds overlapping it are released so they do not block them. With an
 * idempotency key the first committed answer is replayed for retries.
 * @throws AppError NOT_FOUND (doctor, service, followUpOfId), VALIDATION_FAILED, SLOT_UNAVAILABLE,
 *   HOLD_EXPIRED, CONFLICT, IDEMPOTENCY_CONFLICT
 */
export async function bookAppointment(
  ctx: ServiceContext,
  input: BookAppointmentInput,
  idempotencyKey?: string,
): Promise<StoredResponse<AppointmentView> & { replayed: boolean }> {
  const request = idempotencyKey === undefined ? null : await idempotentRequest(ctx, BOOK_SCOPE, idempotencyKey, input);
  return runIdempotent<AppointmentView>(ctx, request, async (store) => ({
    status: 201,
    body: await book(ctx, input, (view) => store({ status: 201, body: view })),
  }));
}

async function book(
  ctx: ServiceContext,
  input: BookAppointmentInput,
  before: (view: AppointmentView) => BatchItem<'sqlite'>[],
): Promise<AppointmentView> {
  const patient = await bookingPatient(ctx, input.patientId);
  const target = await bookingTarget(ctx, input.doctorId, input.serviceId);
  const startsAt = Date.parse(input.startsAt);
  let hold: AppointmentHoldRow | null = null;
  let releaseHoldIds: string[] = [];
  if (input.holdId !== undefined) {
    hold = (await ctx.db.select().from(appointmentHolds).where(eq(appointmentHolds.id, input.holdId)).get()) ?? null;
    if (
      !hold ||
      hold.patientId !== patient.id ||
      hold.doctorId !== target.doctor.id ||
      hold.serviceId !== target.service.id ||
      hold.startsAt !== startsAt
    ) {
      throw invalid('holdId', 'Not a hold of this patient on this doctor, service and start time');
    }
    const problem = holdProblem(hold, ctx.clock.now().getTime());
    if (problem) throw problem;
  } else {
    await assertSlotAllowed(ctx, target, startsAt);
    releaseHoldIds = await overlappingHoldIds(ctx, patient.id, bookingSpan(target, startsAt));
  }
  if (input.followUpOfId !== undefined) {
    await assertFollowUpOf(ctx, input.followUpOfId, patient.id, target.doctor.id);
  }
  return commitBooking(ctx, {
    target,
    patient,
    startsAt,
    type: input.type,
    status: 'pending',
    reason: input.reason,
    symptoms: input.symptoms,
    followUpOfId: input.followUpOfId,
    hold,
    releaseHoldIds,
    attachmentIds: input.attachmentIds,
    auditAction: 'appointment.book',
    before,
  });
}
