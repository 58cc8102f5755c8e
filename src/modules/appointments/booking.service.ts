import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { AuthedContext, ServiceContext } from '../../context';
import { batchOf } from '../../db/batch';
import {
  type AppointmentHoldRow,
  type AppointmentRow,
  type AppointmentStatus,
  type AppointmentType,
  appointmentAttachments,
  appointmentHolds,
  appointments,
} from '../../db/schema';
import { isUniqueViolation } from '../../db/sql';
import { AppError } from '../../lib/errors';
import { DAY_MS, MINUTE_MS } from '../../lib/time';
import { auditInsert } from '../audit/audit.service';
import { UNIT_MS } from '../availability/slots';
import { primeSettings, settingsQuery } from '../settings/settings.service';
import {
  type AppointmentView,
  eventGuardTripped,
  eventStatement,
  guardedEventStatement,
  isStaff,
  notifyParties,
  seenBy,
  toAppointmentView,
} from './appointment-access';
import { appointmentReminderStatements, partyZonesQuery } from './appointment-reminders';
import { attachableFilesQuery, attachmentLinkStatements } from './attachments.service';
import type { BookAppointmentInput } from './booking.schemas';
import {
  assertSlotAllowed,
  type BookingTarget,
  bookingPatientId,
  bookingPatientOf,
  bookingSpan,
  bookingTargetOf,
  bookingTargetQueries,
  invalid,
  type Patient,
  patientQuery,
} from './booking-target';
import { type ClaimSpan, claimStatements, claimUnits, runClaimingBatch } from './claims';
import { type IdempotentRun, idempotentRequest, runIdempotent, type StoredResponse } from './idempotency';
import { paymentTermsFor } from './payment-state';

/**
 * Booking: the one batch that writes an appointment (shared by POST /appointments and follow-ups) and
 * POST /appointments itself. Everything a booking checks is read in one batch first (booking-target.ts
 * builds most of its statements and judges what they answered), so a booking costs two round trips:
 * that read and the write. Taken time is never checked by reading: the write batch claims the span's
 * 5-minute units (claims.ts) and the database refuses the second claim, so concurrent bookings cannot
 * both win.
 */

/** The idempotency scope of POST /appointments. */
export const BOOK_SCOPE = 'appointments.book';

/** Statuses an appointment must have to be followed up. */
export const FOLLOW_UP_OF_STATUSES: readonly AppointmentStatus[] = ['completed', 'no-show'];

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

/**
 * The patient's live holds on the doctor starting within a day of `startsAt`, for the read batch: a
 * superset of those `overlappingHoldIds` keeps (no service with its buffer lasts a day).
 */
function liveHoldsQuery(ctx: ServiceContext, patientId: string, doctorId: string, startsAt: number) {
  return ctx.db
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
        eq(appointmentHolds.doctorId, doctorId),
        isNull(appointmentHolds.appointmentId),
        isNull(appointmentHolds.releasedAt),
        gt(appointmentHolds.expiresAt, ctx.clock.now().getTime()),
        lt(appointmentHolds.startsAt, startsAt + DAY_MS),
        gt(appointmentHolds.endsAt, startsAt - DAY_MS),
      ),
    );
}

/** Of the live holds read, those whose claimed time overlaps `span` (released by a booking without holdId). */
function overlappingHoldIds(
  holds: { id: string; startsAt: number; endsAt: number; bufferMinutes: number }[],
  span: ClaimSpan,
): string[] {
  const units = claimUnits(span);
  const spanEnd = units[units.length - 1]! + UNIT_MS;
  return holds
    .filter((h) => h.startsAt < spanEnd && h.endsAt + h.bufferMinutes * MINUTE_MS > units[0]!)
    .map((h) => h.id);
}

/**
 * Refuses a follow-up of an appointment the caller cannot see (404), of another patient or doctor, or
 * one that is not completed or missed.
 * @throws AppError NOT_FOUND, VALIDATION_FAILED (field followUpOfId)
 */
function assertFollowUpOf(
  ctx: ServiceContext,
  found: Pick<AppointmentRow, 'patientId' | 'doctorId' | 'status'> | undefined,
  patientId: string,
  doctorId: string,
): void {
  const { row } = seenBy(ctx, found);
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
  /** The caller's uploaded files (purpose `attachment`) to link, and what `attachableFilesQuery` read of them. */
  attachments?: { fileIds: string[]; found: Parameters<typeof attachmentLinkStatements>[1]['found'] };
  /** What `partyZonesQuery` read of the patient and doctor: their reminders' zones. */
  zones: readonly { userId: string; timeZone: string | null }[];
  /** Audit action, e.g. `appointment.book`. */
  auditAction: string;
  /** Statements that commit with the booking given its response (e.g. the idempotency row); they run first. */
  before?: (view: AppointmentView) => BatchItem<'sqlite'>[];
  /** A read to make beside the booking's own when its batch fails (the idempotency recheck). */
  onFailure?: () => Promise<unknown>;
}

/**
 * Writes an appointment in one batch (one transaction): claims of its span (releasing the converted
 * hold's and the patient's overlapping holds' units), the appointment row with price, buffer and time
 * zone snapshots, the `book` history event, the hold's conversion, attachment links, the patient's and
 * doctor's 24 h and 1 h reminders (those still ahead; appointment-reminders.ts) and the audit event.
 * Any failure leaves nothing behind. A converted hold is updated only while still live; if it was used,
 * released or expired meanwhile, the history row's guard rolls the batch back.
 * @throws AppError SLOT_UNAVAILABLE, HOLD_EXPIRED, CONFLICT (hold used or released meanwhile; file attached
 *   meanwhile), VALIDATION_FAILED (field attachmentIds)
 */
export async function commitBooking(ctx: AuthedContext, plan: BookingPlan): Promise<AppointmentView> {
  const now = ctx.clock.now().getTime();
  const span = bookingSpan(plan.target, plan.startsAt);
  const { service, profile } = plan.target;
  const row: AppointmentRow = {
    id: ctx.ids.id('apt'),
    patientId: plan.patient.id,
    doctorId: plan.target.doctor.id,
    serviceId: service.id,
    bookedBy: ctx.actor.id,
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
    ...(await paymentTermsFor(ctx, service, plan.status, now)),
    paidAt: null,
    refundStatus: null,
    refundCents: 0,
    refundedAt: null,
    needsRebooking: false,
    affectedById: null,
    affectedKind: null,
    affectedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  const fileIds = [...new Set(plan.attachments?.fileIds ?? [])];
  const attachments = attachmentLinkStatements(ctx, {
    appointmentId: row.id,
    fileIds,
    found: plan.attachments?.found,
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
    ...appointmentReminderStatements(
      ctx,
      {
        row,
        names: { patientName: plan.patient.name, doctorName: plan.target.doctor.name, serviceName: service.name },
        zones: plan.zones,
        sequence: 0,
        updatedAt: now,
      },
      now,
    ),
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
    await runClaimingBatch(ctx, span, statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]], {
      ignore: freed,
      alongside: plan.onFailure,
    });
  } catch (err) {
    if (hold && eventGuardTripped(err)) {
      const [current] = await Promise.all([
        ctx.db.select().from(appointmentHolds).where(eq(appointmentHolds.id, hold.id)).get(),
        plan.onFailure?.(),
      ]);
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
  // Nothing changed after booking yet: SEQUENCE 0.
  notifyParties(ctx, 'book', view, { sequence: 0 });
  return view;
}

/**
 * POST /appointments: books a `pending` appointment for the caller (or, for staff, the patient named),
 * converting their hold when `holdId` is given; otherwise the start must be a slot the schedule offers,
 * and the patient's own live holds overlapping it are released so they do not block them. With an
 * idempotency key the first committed answer is replayed for retries. Two round trips: everything it
 * checks (the earlier answer under the key, patient, doctor, service, schedule, hold, follow-up, files)
 * is read in one batch, then one batch writes.
 * @throws AppError NOT_FOUND (doctor, service, followUpOfId), VALIDATION_FAILED, SLOT_UNAVAILABLE,
 *   HOLD_EXPIRED, CONFLICT, IDEMPOTENCY_CONFLICT
 */
export async function bookAppointment(
  ctx: AuthedContext,
  input: BookAppointmentInput,
  idempotencyKey?: string,
): Promise<StoredResponse<AppointmentView> & { replayed: boolean }> {
  const request = idempotencyKey === undefined ? null : await idempotentRequest(ctx, BOOK_SCOPE, idempotencyKey, input);
  return runIdempotent<AppointmentView>(ctx, request, (run) => book(ctx, input, run));
}

async function book(
  ctx: AuthedContext,
  input: BookAppointmentInput,
  run: IdempotentRun<AppointmentView>,
): Promise<StoredResponse<AppointmentView>> {
  const actor = ctx.actor;
  // Whose booking it is decides what to read; a patientId the caller may not give is refused after the
  // earlier answer under the key (which always wins) is known.
  const staff = isStaff(actor);
  const patientId = staff ? input.patientId : actor.id;
  const startsAt = Date.parse(input.startsAt);
  const read = await batchOf(ctx.db, {
    stored: run.lookup,
    patient: patientId === undefined ? undefined : patientQuery(ctx, patientId),
    ...bookingTargetQueries(ctx, { doctorId: input.doctorId, serviceId: input.serviceId }, startsAt),
    hold:
      input.holdId === undefined
        ? undefined
        : ctx.db.select().from(appointmentHolds).where(eq(appointmentHolds.id, input.holdId)),
    liveHolds:
      input.holdId === undefined && patientId !== undefined
        ? liveHoldsQuery(ctx, patientId, input.doctorId, startsAt)
        : undefined,
    followUpOf:
      input.followUpOfId === undefined
        ? undefined
        : ctx.db
            .select({ patientId: appointments.patientId, doctorId: appointments.doctorId, status: appointments.status })
            .from(appointments)
            .where(eq(appointments.id, input.followUpOfId)),
    files: attachableFilesQuery(ctx, actor.id, input.attachmentIds ?? []),
    zones: patientId === undefined ? undefined : partyZonesQuery(ctx, { patientId, doctorId: input.doctorId }),
    // The payment terms of the booking ('payments.timing', 'payments.checkoutMinutes').
    settings: settingsQuery(ctx),
  });
  primeSettings(ctx, read.settings);
  const earlier = run.replay(read.stored);
  if (earlier) return earlier;

  bookingPatientId(ctx, input.patientId);
  const patient = bookingPatientOf(read.patient ?? []);
  const target = bookingTargetOf(read);
  let hold: AppointmentHoldRow | null = null;
  let releaseHoldIds: string[] = [];
  if (input.holdId !== undefined) {
    hold = read.hold?.[0] ?? null;
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
    assertSlotAllowed(ctx, target, startsAt);
    releaseHoldIds = overlappingHoldIds(read.liveHolds ?? [], bookingSpan(target, startsAt));
  }
  if (input.followUpOfId !== undefined) {
    assertFollowUpOf(ctx, read.followUpOf?.[0], patient.id, target.doctor.id);
  }
  const view = await commitBooking(ctx, {
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
    attachments: { fileIds: input.attachmentIds ?? [], found: read.files },
    zones: read.zones ?? [],
    auditAction: 'appointment.book',
    before: (booked) => run.store({ status: 201, body: booked }),
    onFailure: run.recheck,
  });
  return { status: 201, body: view };
}
